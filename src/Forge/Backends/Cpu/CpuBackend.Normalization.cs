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
        ForEachRow(rows, cols, new NormalizeRows { X = px, Y = py, Weight = pw, Bias = pb, Mean = pm, Rstd = pr, Eps = eps });
    }

    /// <summary>Layer normalization of each row, after adding the residual into the sum when there is one.</summary>
    private struct NormalizeRows : IRowBody
    {
        public float* X, Residual, Sum, Y, Weight, Bias, Mean, Rstd;
        public float Eps;

        public readonly void Row(long row, int n)
        {
            float* x = X + row * n;
            if (Residual != null)
            {
                TensorPrimitives.Add(new ReadOnlySpan<float>(x, n), new ReadOnlySpan<float>(Residual + row * n, n), new Span<float>(Sum + row * n, n));
                x = Sum + row * n;
            }
            NormalizeRow(x, Y + row * n, n, Weight, Bias, Eps, out Mean[row], out Rstd[row]);
        }
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
        ForEachRow(rows, cols, new NormalizeRows { X = px, Residual = pres, Sum = ps, Y = py, Weight = pw, Bias = pb, Mean = pm, Rstd = pr, Eps = eps });
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
        ForEachRow(rows, cols, new RmsNormRows { X = px, Y = py, Weight = pw, Rstd = pr, Eps = eps });
    }

    private struct RmsNormRows : IRowBody
    {
        public float* X, Y, Weight, Rstd;
        public float Eps;

        public readonly void Row(long row, int n)
        {
            var input = new ReadOnlySpan<float>(X + row * n, n);
            var output = new Span<float>(Y + row * n, n);
            float r = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(input) / n + Eps);
            TensorPrimitives.Multiply(input, r, output);
            if (Weight != null) TensorPrimitives.Multiply(output, new ReadOnlySpan<float>(Weight, n), output);
            Rstd[row] = r;
        }
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
        bool affine = gradWeight is not null || gradBias is not null;
        long blocks = (rows + NormRowBlock - 1) / NormRowBlock;
        int partialCount = affine ? checked((int)(blocks * 2 * cols)) : 0;
        float[] partials = ArrayPool<float>.Shared.Rent(partialCount);
        partials.AsSpan(0, partialCount).Clear();
        CpuParallel.For(blocks, Math.Max(1, 16384 / ((long)NormRowBlock * cols)), new NormBackwardBlocks
        {
            Rows = rows, Cols = cols, X = px, Rstd = pr, GradOutput = pg, GradInput = pgx, Mean = pm, Weight = pw, Affine = affine, Partials = partials,
        });
        if (affine) SumBlocks(partials, blocks, cols, gradWeight, gradBias);
        ArrayPool<float>.Shared.Return(partials);
    }

    /// <summary>Blocks of <see cref="NormRowBlock"/> rows of <see cref="NormBackward"/>, each summing its own affine gradients.</summary>
    private struct NormBackwardBlocks : IRangeBody
    {
        public long Rows;
        public int Cols;
        public float* X, Rstd, GradOutput, GradInput, Mean, Weight;
        public bool Affine;
        public float[] Partials;

        public readonly void Run(long first, long last)
        {
            int cols = Cols;
            bool centered = Mean != null;
            float[] workspace = ArrayPool<float>.Shared.Rent(cols);
            Span<float> scratch = workspace.AsSpan(0, cols);
            for (long block = first; block < last; block++)
            {
                Span<float> weightSum = Affine ? Partials.AsSpan((int)(block * 2 * cols), cols) : default;
                Span<float> biasSum = Affine ? Partials.AsSpan((int)(block * 2 * cols + cols), cols) : default;
                long end = Math.Min(Rows, (block + 1) * NormRowBlock);
                for (long row = block * NormRowBlock; row < end; row++)
                {
                    var xr = new ReadOnlySpan<float>(X + row * cols, cols);
                    var g = new ReadOnlySpan<float>(GradOutput + row * cols, cols);
                    var dx = new Span<float>(GradInput + row * cols, cols);
                    float r = Rstd[row];
                    Span<float> xhat = scratch;
                    if (centered) TensorPrimitives.Subtract(xr, Mean[row], xhat);
                    else xr.CopyTo(xhat);
                    TensorPrimitives.Multiply(xhat, r, xhat);
                    if (Affine)
                    {
                        TensorPrimitives.MultiplyAdd(g, xhat, weightSum, weightSum);
                        TensorPrimitives.Add(g, biasSum, biasSum);
                    }
                    if (Weight != null) TensorPrimitives.Multiply(g, new ReadOnlySpan<float>(Weight, cols), dx);
                    else g.CopyTo(dx);
                    float meanH = centered ? TensorPrimitives.Sum(dx) / cols : 0;
                    float meanHXhat = TensorPrimitives.Dot(dx, xhat) / cols;
                    TensorPrimitives.Subtract(dx, meanH, dx);
                    TensorPrimitives.MultiplyAdd(xhat, -meanHXhat, dx, dx);
                    TensorPrimitives.Multiply(dx, r, dx);
                }
            }
            ArrayPool<float>.Shared.Return(workspace);
        }
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
