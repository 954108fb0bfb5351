using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.Gpt2;

/// <summary>
/// GPT-2's projection layer (Hugging Face's <c>Conv1D</c>): y = x·W + b with the weight stored [in, out], the transpose of
/// <see cref="Linear"/>'s, as in OpenAI's and Hugging Face's checkpoints.
/// </summary>
public sealed class Conv1D : Module<Tensor, Tensor>
{
    /// <summary>A projection from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>: weight N(0, <paramref name="std"/>²), bias 0.</summary>
    public Conv1D(int inFeatures, int outFeatures, double std, Generator? generator = null)
    {
        Weight = new Parameter(Tensor.Empty([inFeatures, outFeatures]));
        Bias = new Parameter(Tensor.Zeros(outFeatures));
        Init.Normal(Weight, 0, std, generator);
    }

    /// <summary>The weight [in, out].</summary>
    public Parameter Weight { get; set; }

    /// <summary>The bias [out].</summary>
    public Parameter Bias { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.MatMulAdd(Weight, Bias);
    }

    /// <inheritdoc />
    public override string ExtraRepr() => $"nf={Weight.Shape[1]}, nx={Weight.Shape[0]}";
}
