using Forge.Tensors;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void BatchNormStatistics(Tensor input, Tensor mean, Tensor variance)
    {
        int batch = input.Size(0), channels = input.Size(1), spatial = input.Size(2);
        float* x = input.Ptr<float>(), pm = mean.Ptr<float>(), pv = variance.Ptr<float>();
        long count = (long)batch * spatial;
        CpuParallel.For(channels, 1, (start, end) =>
        {
            for (long c = start; c < end; c++)
            {
                double sum = 0;
                for (int n = 0; n < batch; n++)
                {
                    float* row = x + ((long)n * channels + c) * spatial;
                    for (int s = 0; s < spatial; s++) sum += row[s];
                }
                double mu = sum / count;
                double squares = 0;
                for (int n = 0; n < batch; n++)
                {
                    float* row = x + ((long)n * channels + c) * spatial;
                    for (int s = 0; s < spatial; s++)
                    {
                        double d = row[s] - mu;
                        squares += d * d;
                    }
                }
                pm[c] = (float)mu;
                pv[c] = (float)(squares / count);
            }
        });
    }

    /// <inheritdoc />
    public void BatchNormForward(Tensor input, Tensor mean, Tensor invStd, Tensor? weight, Tensor? bias, Tensor output)
    {
        int batch = input.Size(0), channels = input.Size(1), spatial = input.Size(2);
        float* x = input.Ptr<float>(), y = output.Ptr<float>(), pm = mean.Ptr<float>(), pis = invStd.Ptr<float>();
        float* pw = weight is null ? null : weight.Ptr<float>();
        float* pb = bias is null ? null : bias.Ptr<float>();
        CpuParallel.For((long)batch * channels, Math.Max(1, 16384 / Math.Max(spatial, 1)), (start, end) =>
        {
            for (long r = start; r < end; r++)
            {
                long c = r % channels;
                float scale = pis[c] * (pw is null ? 1 : pw[c]);
                float shift = (pb is null ? 0 : pb[c]) - pm[c] * scale;
                float* src = x + r * spatial, dst = y + r * spatial;
                for (int s = 0; s < spatial; s++) dst[s] = src[s] * scale + shift;
            }
        });
    }

    /// <inheritdoc />
    public void BatchNormBackward(Tensor input, Tensor gradOutput, Tensor mean, Tensor invStd, Tensor? weight, bool batchStatistics, Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias)
    {
        int batch = input.Size(0), channels = input.Size(1), spatial = input.Size(2);
        float* x = input.Ptr<float>(), g = gradOutput.Ptr<float>(), pm = mean.Ptr<float>(), pis = invStd.Ptr<float>();
        float* pw = weight is null ? null : weight.Ptr<float>();
        float* gx = gradInput is null ? null : gradInput.Ptr<float>();
        float* gw = gradWeight is null ? null : gradWeight.Ptr<float>();
        float* gb = gradBias is null ? null : gradBias.Ptr<float>();
        long count = (long)batch * spatial;
        CpuParallel.For(channels, 1, (start, end) =>
        {
            for (long c = start; c < end; c++)
            {
                double sumG = 0, sumGX = 0;
                float mu = pm[c], inv = pis[c];
                for (int n = 0; n < batch; n++)
                {
                    long offset = ((long)n * channels + c) * spatial;
                    for (int s = 0; s < spatial; s++)
                    {
                        sumG += g[offset + s];
                        sumGX += g[offset + s] * (double)(x[offset + s] - mu);
                    }
                }
                if (gw is not null) gw[c] = (float)(sumGX * inv);
                if (gb is not null) gb[c] = (float)sumG;
                if (gx is null) continue;
                float scale = inv * (pw is null ? 1 : pw[c]);
                float meanG = batchStatistics ? (float)(sumG / count) : 0;
                float projection = batchStatistics ? (float)(sumGX / count * inv * inv) : 0;
                for (int n = 0; n < batch; n++)
                {
                    long offset = ((long)n * channels + c) * spatial;
                    for (int s = 0; s < spatial; s++)
                        gx[offset + s] = (g[offset + s] - meanG - (x[offset + s] - mu) * projection) * scale;
                }
            }
        });
    }
}
