using Forge.Tensors;
using ActivationKind = Forge.Nn.Activation;

namespace Forge.Nn;

/// <summary>The position-wise feed-forward block of a Transformer: linear1 → activation → dropout → linear2.</summary>
public class FeedForward : Module<Tensor, Tensor>
{
    /// <summary>A block from <paramref name="dModel"/> through <paramref name="dimFeedforward"/> hidden units back to <paramref name="dModel"/>.</summary>
    public FeedForward(int dModel, int dimFeedforward, ActivationKind activation = ActivationKind.Relu, float dropout = 0, bool bias = true, Generator? generator = null)
    {
        Linear1 = new Linear(dModel, dimFeedforward, bias, generator);
        Activation = Activations.Create(activation);
        Dropout = new Dropout(dropout, generator);
        Linear2 = new Linear(dimFeedforward, dModel, bias, generator);
    }

    /// <summary>The expansion [hidden, dModel].</summary>
    public Linear Linear1 { get; set; }

    /// <summary>The nonlinearity.</summary>
    public Module<Tensor, Tensor> Activation { get; set; }

    /// <summary>Dropout on the hidden units.</summary>
    public Dropout Dropout { get; set; }

    /// <summary>The projection back [dModel, hidden].</summary>
    public Linear Linear2 { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Linear2.Forward(Dropout.Forward(Activation.Forward(Linear1.Forward(input))));
}
