using System.Buffers;
using System.Numerics.Tensors;
using Tensor = Forge.Tensors.Tensor;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, float eps)
    {
        long rows = mean.Numel;
        if (rows == 0) return;
        int cols = checked((int)(x.Numel / rows));
        float* px = x.Ptr<float>(), py = y.Ptr<float>(), pm = mean.Ptr<float>(), pr = rstd.Ptr<float>();
        float* pw = weight is null ? null : weight.Ptr<float>();
        float* pb = bias is null ? null : bias.Ptr<float>();
        ForEachRow(rows, cols, (row, n) => NormalizeRow(px + row * n, py + row * n, n, pw, pb, eps, out pm[row], out pr[row]));
    }

    /// <inheritdoc />
    public void AddLayerNorm(Tensor x, Tensor residual, Tensor sum, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, float eps)
    {
        long rows = mean.Numel;
        if (rows == 0) return;
        int cols = checked((int)(x.Numel / rows));
        float* px = x.Ptr<float>(), pres = residual.Ptr<float>(), ps = sum.Ptr<float>(), py = y.Ptr<float>(), pm = mean.Ptr<float>(), pr = rstd.Ptr<float>();
        float* pw = weight is null ? null : weight.Ptr<float>();
        float* pb = bias is null ? null : bias.Ptr<float>();
        ForEachRow(rows, cols, (row, n) =>
        {
            float* s = ps + row * n;
            TensorPrimitives.Add(new ReadOnlySpan<float>(px + row * n, n), new ReadOnlySpan<float>(pres + row * n, n), new Span<float>(s, n));
            NormalizeRow(s, py + row * n, n, pw, pb, eps, out pm[row], out pr[row]);
        });
    }

    /// <summary>One row of layer normalization: y = (x − mean)·rstd·weight + bias, with the row's mean and rstd.</summary>
    private static void NormalizeRow(float* x, float* y, int n, float* weight, float* bias, float eps, out float mean, out float rstd)
    {
        var input = new ReadOnlySpan<float>(x, n);
        var output = new Span<float>(y, n);
        mean = TensorPrimitives.Sum(input) / n;
        TensorPrimitives.Subtract(input, mean, output);
        rstd = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(output) / n + eps);
        TensorPrimitives.Multiply(output, rstd, output);
        if (weight != null) TensorPrimitives.Multiply(output, new ReadOnlySpan<float>(weight, n), output);
        if (bias != null) TensorPrimitives.Add(output, new ReadOnlySpan<float>(bias, n), output);
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor x, Tensor mean, Tensor rstd, Tensor? weight, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight, Tensor? gradBias) =>
        NormBackward(x, mean, rstd, weight, gradOutput, gradInput, gradWeight, gradBias);

    /// <inheritdoc />
    public void RmsNorm(Tensor x, Tensor? weight, Tensor y, Tensor rstd, float eps)
    {
        long rows = rstd.Numel;
        if (rows == 0) return;
        int cols = checked((int)(x.Numel / rows));
        float* px = x.Ptr<float>(), py = y.Ptr<float>(), pr = rstd.Ptr<float>();
        float* pw = weight is null ? null : weight.Ptr<float>();
        ForEachRow(rows, cols, (row, n) =>
        {
            var input = new ReadOnlySpan<float>(px + row * n, n);
            var output = new Span<float>(py + row * n, n);
            float r = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(input) / n + eps);
            TensorPrimitives.Multiply(input, r, output);
            if (pw != null) TensorPrimitives.Multiply(output, new ReadOnlySpan<float>(pw, n), output);
            pr[row] = r;
        });
    }

    /// <inheritdoc />
    public void RmsNormBackward(Tensor x, Tensor rstd, Tensor? weight, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight) =>
        NormBackward(x, null, rstd, weight, gradOutput, gradInput, gradWeight, null);

    /// <summary>Rows per block of <see cref="NormBackward"/>: each block sums its own affine gradients, and blocks are added in order.</summary>
    private const int NormRowBlock = 64;

    /// <summary>
    /// Gradients of layer normalization (<paramref name="mean"/> given) or RMS normalization (null mean), with xhat = (x − mean)·rstd
    /// and h = g·weight: dx = rstd·(h − mean(h) − xhat·mean(h·xhat)) (RMS: without the mean(h) term), gradWeight = Σ_rows g·xhat and
    /// gradBias = Σ_rows g. Parallel over fixed blocks of rows, whose partial sums are combined in block order in double, so the
    /// result does not depend on the thread count.
    /// </summary>
    private static void NormBackward(Tensor x, Tensor? mean, Tensor rstd, Tensor? weight, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight, Tensor? gradBias)
    {
        long rows = rstd.Numel;
        if (rows == 0) return;
        int cols = checked((int)(x.Numel / rows));
        float* px = x.Ptr<float>(), pr = rstd.Ptr<float>(), pg = gradOutput.Ptr<float>(), pgx = gradInput.Ptr<float>();
        float* pm = mean is null ? null : mean.Ptr<float>();
        float* pw = weight is null ? null : weight.Ptr<float>();
        bool centered = mean is not null, affine = gradWeight is not null || gradBias is not null;
        long blocks = (rows + NormRowBlock - 1) / NormRowBlock;
        int partialCount = affine ? checked((int)(blocks * 2 * cols)) : 0;
        float[] partials = ArrayPool<float>.Shared.Rent(partialCount);
        partials.AsSpan(0, partialCount).Clear();
        CpuParallel.For(blocks, Math.Max(1, 16384 / ((long)NormRowBlock * cols)), (first, last) =>
        {
            float[] workspace = ArrayPool<float>.Shared.Rent(cols);
            Span<float> scratch = workspace.AsSpan(0, cols);
            for (long block = first; block < last; block++)
            {
                Span<float> weightSum = affine ? partials.AsSpan((int)(block * 2 * cols), cols) : default;
                Span<float> biasSum = affine ? partials.AsSpan((int)(block * 2 * cols + cols), cols) : default;
                long end = Math.Min(rows, (block + 1) * NormRowBlock);
                for (long row = block * NormRowBlock; row < end; row++)
                {
                    var xr = new ReadOnlySpan<float>(px + row * cols, cols);
                    var g = new ReadOnlySpan<float>(pg + row * cols, cols);
                    var dx = new Span<float>(pgx + row * cols, cols);
                    float r = pr[row];
                    Span<float> xhat = scratch;
                    if (centered) TensorPrimitives.Subtract(xr, pm[row], xhat);
                    else xr.CopyTo(xhat);
                    TensorPrimitives.Multiply(xhat, r, xhat);
                    if (affine)
                    {
                        TensorPrimitives.MultiplyAdd(g, xhat, weightSum, weightSum);
                        TensorPrimitives.Add(g, biasSum, biasSum);
                    }
                    if (pw != null) TensorPrimitives.Multiply(g, new ReadOnlySpan<float>(pw, cols), dx);
                    else g.CopyTo(dx);
                    float meanH = centered ? TensorPrimitives.Sum(dx) / cols : 0;
                    float meanHXhat = TensorPrimitives.Dot(dx, xhat) / cols;
                    TensorPrimitives.Subtract(dx, meanH, dx);
                    TensorPrimitives.MultiplyAdd(xhat, -meanHXhat, dx, dx);
                    TensorPrimitives.Multiply(dx, r, dx);
                }
            }
            ArrayPool<float>.Shared.Return(workspace);
        });
        if (affine) SumBlocks(partials, blocks, cols, gradWeight, gradBias);
        ArrayPool<float>.Shared.Return(partials);
    }

    /// <summary>Adds the per-block weight and bias sums of <see cref="NormBackward"/> in block order, in double.</summary>
    private static void SumBlocks(float[] partials, long blocks, int cols, Tensor? gradWeight, Tensor? gradBias)
    {
        float* pgw = gradWeight is null ? null : gradWeight.Ptr<float>();
        float* pgb = gradBias is null ? null : gradBias.Ptr<float>();
        for (int c = 0; c < cols; c++)
        {
            double sumW = 0, sumB = 0;
            for (long block = 0; block < blocks; block++)
            {
                sumW += partials[block * 2 * cols + c];
                sumB += partials[block * 2 * cols + cols + c];
            }
            if (pgw != null) pgw[c] = (float)sumW;
            if (pgb != null) pgb[c] = (float)sumB;
        }
    }
}
