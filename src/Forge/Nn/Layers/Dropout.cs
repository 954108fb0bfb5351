using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// Inverted dropout (PyTorch's nn.Dropout): in training zeroes each element with probability <see cref="P"/> and scales the rest
/// by 1/(1 − p); the identity in evaluation. Masks come from the generator given at construction (or <see cref="Generator.Default"/>).
/// </summary>
public class Dropout : Module<Tensor, Tensor>
{
    private readonly Generator? generator;

    /// <summary>Dropout with probability <paramref name="p"/> in [0, 1).</summary>
    public Dropout(float p = 0.5f, Generator? generator = null)
    {
        LayerChecks.CheckProbability("Dropout probability", p);
        P = p;
        this.generator = generator;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public float P { get; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.Dropout(input, P, Training, generator);

    /// <inheritdoc />
    public override string ExtraRepr() => $"p={LayerChecks.PyFloat(P)}";
}
