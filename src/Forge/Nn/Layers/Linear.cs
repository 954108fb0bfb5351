using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// y = x·Wᵀ + b (PyTorch's nn.Linear): weight [out, in], bias [out]. Initialized as PyTorch does: the weight Kaiming-uniform
/// with a = √5 (so U(±1/√in)), the bias U(±1/√in).
/// </summary>
public class Linear : Module<Tensor, Tensor>
{
    /// <summary>A layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>, initialized from <paramref name="generator"/>.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        LayerChecks.CheckSize(nameof(inFeatures), inFeatures, allowZero: true);
        LayerChecks.CheckSize(nameof(outFeatures), outFeatures, allowZero: true);
        Weight = new Parameter(Tensor.Empty([outFeatures, inFeatures]));
        Bias = bias ? new Parameter(Tensor.Empty([outFeatures])) : null;
        ResetParameters(generator);
    }

    /// <summary>The weight [out, in].</summary>
    public Parameter Weight { get; set; }

    /// <summary>The bias [out], or null.</summary>
    public Parameter? Bias { get; set; }

    /// <summary>The number of input features.</summary>
    public int InFeatures => Weight.Shape[1];

    /// <summary>The number of output features.</summary>
    public int OutFeatures => Weight.Shape[0];

    /// <summary>Draws the weight and bias again with PyTorch's default initialization.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.KaimingUniform(Weight, Math.Sqrt(5), generator: generator);
        if (Bias is not null) LayerChecks.FanInUniform(Bias, Weight, generator);
    }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc />
    public override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={PyBool(Bias is not null)}";
}
