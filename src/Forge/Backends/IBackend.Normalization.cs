using Forge.Tensors;

namespace Forge.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Layer normalization of each row (the last weight.Numel elements, or x.Numel / mean.Numel) of the contiguous Float32 x:
    /// y = (x − mean)·rstd·weight + bias. Writes the per-row mean and rstd = 1/√(var + eps) (population variance) for backward.
    /// </summary>
    void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, float eps);

    /// <summary>
    /// sum = x + residual (contiguous Float32 tensors of one shape) and <see cref="LayerNorm"/> of sum into y, in one pass over
    /// each row: a pre-norm Transformer's residual stream and the next sublayer's normalized input.
    /// </summary>
    void AddLayerNorm(Tensor x, Tensor residual, Tensor sum, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, float eps);

    /// <summary>
    /// Gradients of <see cref="LayerNorm"/> from the saved per-row mean and rstd: always gradInput, and gradWeight / gradBias
    /// (summed over rows) when they are given. All tensors are contiguous Float32.
    /// </summary>
    void LayerNormBackward(Tensor x, Tensor mean, Tensor rstd, Tensor? weight, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight, Tensor? gradBias);

    /// <summary>
    /// Root-mean-square normalization of each row of the contiguous Float32 x: y = x·rstd·weight with rstd = 1/√(mean(x²) + eps),
    /// written per row for backward.
    /// </summary>
    void RmsNorm(Tensor x, Tensor? weight, Tensor y, Tensor rstd, float eps);

    /// <summary>Gradients of <see cref="RmsNorm"/> from the saved per-row rstd: gradInput, and gradWeight (summed over rows) when given.</summary>
    void RmsNormBackward(Tensor x, Tensor rstd, Tensor? weight, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight);
}
