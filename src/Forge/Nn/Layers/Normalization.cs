using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// Layer normalization over the trailing <see cref="NormalizedShape"/> dimensions (PyTorch's nn.LayerNorm): weight starts at
/// ones, bias at zeros.
/// </summary>
public class LayerNorm : Module<Tensor, Tensor>
{
    private readonly int[] normalizedShape;

    /// <summary>Normalizes the last dimension of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
        : this([normalizedShape], eps, elementwiseAffine, bias) { }

    /// <summary>Normalizes the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0) throw new ForgeException("LayerNorm needs at least one normalized dimension, found none.");
        foreach (int size in normalizedShape) LayerChecks.CheckSize(nameof(normalizedShape), size);
        this.normalizedShape = [.. normalizedShape];
        Eps = eps;
        Weight = elementwiseAffine ? new Parameter(Tensor.Ones(normalizedShape)) : null;
        Bias = elementwiseAffine && bias ? new Parameter(Tensor.Zeros(normalizedShape)) : null;
    }

    /// <summary>The scale, shaped like <see cref="NormalizedShape"/>, or null.</summary>
    public Parameter? Weight { get; set; }

    /// <summary>The shift, shaped like <see cref="NormalizedShape"/>, or null.</summary>
    public Parameter? Bias { get; set; }

    /// <summary>The normalized trailing dimensions.</summary>
    public IReadOnlyList<int> NormalizedShape => normalizedShape;

    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.LayerNorm(input, normalizedShape, Weight, Bias, Eps);

    /// <summary>
    /// x + residual and this layer applied to that sum, in one pass (<see cref="Functional.AddLayerNorm"/>): the residual stream
    /// of a pre-norm Transformer and the next sublayer's input. With hooks registered it runs <c>Forward(x.Add(residual))</c>
    /// instead, so they see the sum as usual.
    /// </summary>
    public (Tensor Sum, Tensor Normalized) AddAndNormalize(Tensor x, Tensor residual)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!HasForwardHooks) return Functional.AddLayerNorm(x, residual, normalizedShape, Weight, Bias, Eps);
        Tensor sum = x.Add(residual);
        return (sum, Forward(sum));
    }

    /// <inheritdoc />
    public override string ExtraRepr() =>
        $"({string.Join(", ", normalizedShape)}{(normalizedShape.Length == 1 ? "," : "")}), eps={LayerChecks.PyFloat(Eps)}, elementwise_affine={PyBool(Weight is not null)}";
}

/// <summary>
/// Root-mean-square normalization (LLaMA-style; PyTorch's nn.RMSNorm): x / √(mean(x²) + eps) · weight over the trailing
/// <see cref="NormalizedShape"/> dimensions; the weight starts at ones.
/// </summary>
public class RmsNorm : Module<Tensor, Tensor>
{
    private readonly int[] normalizedShape;

    /// <summary>Normalizes the last dimension of size <paramref name="normalizedShape"/>.</summary>
    public RmsNorm(int normalizedShape, float eps = 1e-6f, bool elementwiseAffine = true)
        : this([normalizedShape], eps, elementwiseAffine) { }

    /// <summary>Normalizes the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    public RmsNorm(int[] normalizedShape, float eps = 1e-6f, bool elementwiseAffine = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0) throw new ForgeException("RmsNorm needs at least one normalized dimension, found none.");
        foreach (int size in normalizedShape) LayerChecks.CheckSize(nameof(normalizedShape), size);
        this.normalizedShape = [.. normalizedShape];
        Eps = eps;
        Weight = elementwiseAffine ? new Parameter(Tensor.Ones(normalizedShape)) : null;
    }

    /// <summary>The scale, shaped like <see cref="NormalizedShape"/>, or null.</summary>
    public Parameter? Weight { get; set; }

    /// <summary>The normalized trailing dimensions.</summary>
    public IReadOnlyList<int> NormalizedShape => normalizedShape;

    /// <summary>Added to the mean square.</summary>
    public float Eps { get; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.RmsNorm(input, normalizedShape, Weight, Eps);

    /// <inheritdoc />
    public override string ExtraRepr() =>
        $"({string.Join(", ", normalizedShape)}{(normalizedShape.Length == 1 ? "," : "")}), eps={LayerChecks.PyFloat(Eps)}, elementwise_affine={PyBool(Weight is not null)}";
}
