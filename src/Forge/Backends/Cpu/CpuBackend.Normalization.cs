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
        ForEachRow(rows, cols, (row, n) =>
        {
            var input = new ReadOnlySpan<float>(px + row * n, n);
            var output = new Span<float>(py + row * n, n);
            float m = TensorPrimitives.Sum(input) / n;
            TensorPrimitives.Subtract(input, m, output);
            float r = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(output) / n + eps);
            TensorPrimitives.Multiply(output, r, output);
            if (pw != null) TensorPrimitives.Multiply(output, new ReadOnlySpan<float>(pw, n), output);
            if (pb != null) TensorPrimitives.Add(output, new ReadOnlySpan<float>(pb, n), output);
            pm[row] = m;
            pr[row] = r;
        });
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor x, Tensor mean, Tensor rstd, Tensor? weight, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight, Tensor? gradBias)
    {
        long rows = mean.Numel;
        if (rows == 0) return;
        int cols = checked((int)(x.Numel / rows));
        float* px = x.Ptr<float>(), pm = mean.Ptr<float>(), pr = rstd.Ptr<float>(), pg = gradOutput.Ptr<float>(), pgx = gradInput.Ptr<float>();
        float* pw = weight is null ? null : weight.Ptr<float>();
        // With xhat = (x − mean)·rstd and h = g·weight: dx = rstd·(h − mean(h) − xhat·mean(h·xhat)).
        ForEachRow(rows, cols, (row, n) =>
        {
            float* xr = px + row * n;
            var h = new Span<float>(pgx + row * n, n);
            var g = new ReadOnlySpan<float>(pg + row * n, n);
            if (pw != null) TensorPrimitives.Multiply(g, new ReadOnlySpan<float>(pw, n), h);
            else g.CopyTo(h);
            float m = pm[row], r = pr[row];
            double sumH = 0, sumHXhat = 0;
            for (int c = 0; c < n; c++)
            {
                sumH += h[c];
                sumHXhat += h[c] * (xr[c] - m) * r;
            }
            float meanH = (float)(sumH / n), meanHXhat = (float)(sumHXhat / n);
            for (int c = 0; c < n; c++) h[c] = r * (h[c] - meanH - (xr[c] - m) * r * meanHXhat);
        });
        AffineGradients(px, pm, pr, pg, rows, cols, gradWeight, gradBias);
    }

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
    public void RmsNormBackward(Tensor x, Tensor rstd, Tensor? weight, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight)
    {
        long rows = rstd.Numel;
        if (rows == 0) return;
        int cols = checked((int)(x.Numel / rows));
        float* px = x.Ptr<float>(), pr = rstd.Ptr<float>(), pg = gradOutput.Ptr<float>(), pgx = gradInput.Ptr<float>();
        float* pw = weight is null ? null : weight.Ptr<float>();
        // With xhat = x·rstd and h = g·weight: dx = rstd·(h − xhat·mean(h·xhat)).
        ForEachRow(rows, cols, (row, n) =>
        {
            var xr = new ReadOnlySpan<float>(px + row * n, n);
            var h = new Span<float>(pgx + row * n, n);
            var g = new ReadOnlySpan<float>(pg + row * n, n);
            if (pw != null) TensorPrimitives.Multiply(g, new ReadOnlySpan<float>(pw, n), h);
            else g.CopyTo(h);
            float r = pr[row];
            float meanHXhat = TensorPrimitives.Dot(h, xr) * r / n;
            for (int c = 0; c < n; c++) h[c] = r * (h[c] - xr[c] * r * meanHXhat);
        });
        AffineGradients(px, null, pr, pg, rows, cols, gradWeight, null);
    }

    /// <summary>
    /// gradWeight[c] = Σ_rows g·xhat and gradBias[c] = Σ_rows g, with xhat = (x − mean)·rstd (mean null: no centering).
    /// Parallel over columns, each summed in row order, so the result is deterministic.
    /// </summary>
    private static void AffineGradients(float* px, float* pm, float* pr, float* pg, long rows, int cols, Tensor? gradWeight, Tensor? gradBias)
    {
        if (gradWeight is null && gradBias is null) return;
        float* pgw = gradWeight is null ? null : gradWeight.Ptr<float>();
        float* pgb = gradBias is null ? null : gradBias.Ptr<float>();
        CpuParallel.For(cols, Math.Max(1, 16384 / rows), (start, end) =>
        {
            int width = (int)(end - start);
            var sumW = new double[width];
            var sumB = new double[width];
            for (long row = 0; row < rows; row++)
            {
                float m = pm == null ? 0f : pm[row], r = pr[row];
                float* xr = px + row * cols + start, gr = pg + row * cols + start;
                for (int c = 0; c < width; c++)
                {
                    sumW[c] += gr[c] * (xr[c] - m) * r;
                    sumB[c] += gr[c];
                }
            }
            for (int c = 0; c < width; c++)
            {
                if (pgw != null) pgw[start + c] = (float)sumW[c];
                if (pgb != null) pgb[start + c] = (float)sumB[c];
            }
        });
    }
}
