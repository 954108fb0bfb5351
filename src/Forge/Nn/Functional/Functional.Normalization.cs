using Forge.Tensors;

namespace Forge.Nn;

public static partial class Functional
{
    /// <summary>
    /// Layer normalization over the trailing <paramref name="normalizedShape"/> dimensions: (x − mean) / √(var + eps) · weight + bias,
    /// with the population variance, as in PyTorch. weight and bias (optional) have shape <paramref name="normalizedShape"/>.
    /// </summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        int rows = NormalizedRows("LayerNorm", x, normalizedShape, weight, bias);
        Tensor input = x.ContiguousForKernel();
        Tensor? w = weight?.ContiguousForKernel(), b = bias?.ContiguousForKernel();
        Tensor y = Tensor.Uninitialized(x.shape, DType.Float32, x.Device);
        Tensor mean = Tensor.Empty([rows], DType.Float32, x.Device), rstd = Tensor.Empty([rows], DType.Float32, x.Device);
        x.Backend.LayerNorm(input, w, b, y, mean, rstd, eps);
        return RecordLayerNorm(y, x, input, mean, rstd, normalizedShape, weight, w, bias);
    }

    /// <summary>
    /// x + residual (same shape) and the <see cref="LayerNorm"/> of that sum, computed in one pass over the rows: a pre-norm
    /// Transformer's residual stream and the next sublayer's input. Gradients flow exactly as through
    /// <c>x.Add(residual)</c> followed by <see cref="LayerNorm"/>.
    /// </summary>
    public static (Tensor Sum, Tensor Normalized) AddLayerNorm(Tensor x, Tensor residual, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(residual);
        if (!x.shape.AsSpan().SequenceEqual(residual.shape) || x.DType != residual.DType)
        {
            Tensor added = x.Add(residual);
            return (added, LayerNorm(added, normalizedShape, weight, bias, eps));
        }
        int rows = NormalizedRows("LayerNorm", x, normalizedShape, weight, bias);
        Tensor? w = weight?.ContiguousForKernel(), b = bias?.ContiguousForKernel();
        Tensor sum = Tensor.Uninitialized(x.shape, DType.Float32, x.Device), y = Tensor.Uninitialized(x.shape, DType.Float32, x.Device);
        Tensor mean = Tensor.Empty([rows], DType.Float32, x.Device), rstd = Tensor.Empty([rows], DType.Float32, x.Device);
        x.Backend.AddLayerNorm(x.ContiguousForKernel(), residual.ContiguousForKernel(), sum, w, b, y, mean, rstd, eps);
        Tensor input = sum.Detach();
        Tensor.Record(sum, "AddBackward", g => [g, g], x, residual);
        return (sum, RecordLayerNorm(y, sum, input, mean, rstd, normalizedShape, weight, w, bias));
    }

    /// <summary>Records <paramref name="y"/> as the layer norm of <paramref name="x"/> (<paramref name="input"/> its contiguous values).</summary>
    private static Tensor RecordLayerNorm(Tensor y, Tensor x, Tensor input, Tensor mean, Tensor rstd, int[] normalizedShape, Tensor? weight, Tensor? w, Tensor? bias) =>
        Tensor.Tracks(x, weight, bias) ? RecordLayerNormBackward(y, x, input, mean, rstd, normalizedShape, weight, w, bias) : y;

    private static Tensor RecordLayerNormBackward(Tensor y, Tensor x, Tensor input, Tensor mean, Tensor rstd, int[] normalizedShape, Tensor? weight, Tensor? w,
        Tensor? bias) =>
        Tensor.Record(y, "LayerNormBackward", g =>
        {
            Tensor gradInput = Tensor.EmptyLike(input);
            Tensor? gradWeight = weight is { RequiresGrad: true } ? Tensor.Empty(normalizedShape, DType.Float32, x.Device) : null;
            Tensor? gradBias = bias is { RequiresGrad: true } ? Tensor.Empty(normalizedShape, DType.Float32, x.Device) : null;
            x.Backend.LayerNormBackward(input, mean, rstd, w, g.Contiguous(), gradInput, gradWeight, gradBias);
            return [gradInput, gradWeight, gradBias];
        }, x, weight, bias);

    /// <summary>
    /// Root-mean-square normalization over the trailing <paramref name="normalizedShape"/> dimensions: x / √(mean(x²) + eps) · weight
    /// (no centering, no bias), as in LLaMA-style Transformers.
    /// </summary>
    public static Tensor RmsNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, float eps = 1e-6f)
    {
        int rows = NormalizedRows("RmsNorm", x, normalizedShape, weight, null);
        Tensor input = x.ContiguousForKernel();
        Tensor? w = weight?.ContiguousForKernel();
        Tensor y = Tensor.Uninitialized(x.shape, DType.Float32, x.Device);
        Tensor rstd = Tensor.Empty([rows], DType.Float32, x.Device);
        x.Backend.RmsNorm(input, w, y, rstd, eps);
        return Tensor.Record(y, "RmsNormBackward", g =>
        {
            Tensor gradInput = Tensor.EmptyLike(input);
            Tensor? gradWeight = weight is { RequiresGrad: true } ? Tensor.Empty(normalizedShape, DType.Float32, x.Device) : null;
            x.Backend.RmsNormBackward(input, rstd, w, g.Contiguous(), gradInput, gradWeight);
            return [gradInput, gradWeight];
        }, x, weight);
    }

    /// <summary>Checks a normalization's shapes and returns the number of normalized rows.</summary>
    private static int NormalizedRows(string op, Tensor x, int[] normalizedShape, Tensor? weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0) throw new ForgeException($"{op} needs at least one normalized dimension.");
        bool trailing = normalizedShape.Length <= x.Dim && x.shape.AsSpan(x.Dim - normalizedShape.Length).SequenceEqual(normalizedShape);
        if (!trailing)
            throw new ForgeException($"{op} normalized shape {Tensor.Format(normalizedShape)} does not match the last dimensions of the input {Tensor.Format(x.Shape)}.");
        CheckAffine("weight", weight);
        CheckAffine("bias", bias);
        if (x.DType != DType.Float32) throw new ForgeException($"{op} computes in Float32, found {x.DType}; convert with To(DType.Float32) first.");
        long width = Tensor.ShapeNumel(normalizedShape);
        return width == 0 ? 0 : checked((int)(x.Numel / width));

        void CheckAffine(string name, Tensor? tensor)
        {
            if (tensor is not null && !tensor.shape.AsSpan().SequenceEqual(normalizedShape))
                throw new ForgeException($"{op} {name} must have the normalized shape {Tensor.Format(normalizedShape)}, found {Tensor.Format(tensor.Shape)}.");
            if (tensor is not null && tensor.DType != DType.Float32) throw new ForgeException($"{op} {name} must be Float32, found {tensor.DType}.");
        }
    }
}
