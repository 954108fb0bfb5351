using Forge.Tensors;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    private const long OptimizerGrain = 65536;

    /// <inheritdoc />
    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, double lr, double momentum, double dampening,
        double weightDecay, bool nesterov, bool initializeBuffer)
    {
        float* p = param.Ptr<float>(), g = grad.Ptr<float>();
        float* b = momentumBuffer is null ? null : momentumBuffer.Ptr<float>();
        float wd = (float)weightDecay, mom = (float)momentum, keep = (float)(1 - dampening), alpha = (float)-lr;
        bool decay = weightDecay != 0;
        CpuParallel.For(param.Numel, OptimizerGrain, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                float d = g[i];
                if (decay) d += wd * p[i];
                if (b is not null)
                {
                    float buffer = initializeBuffer ? d : b[i] * mom + keep * d;
                    b[i] = buffer;
                    d = nesterov ? d + mom * buffer : buffer;
                }
                p[i] += alpha * d;
            }
        });
    }

    /// <inheritdoc />
    public void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, double lr, double beta1,
        double beta2, double eps, double weightDecay, long stepCount, bool decoupled)
    {
        float* p = param.Ptr<float>(), g = grad.Ptr<float>(), m = expAvg.Ptr<float>(), v = expAvgSq.Ptr<float>();
        float* vMax = maxExpAvgSq is null ? null : maxExpAvgSq.Ptr<float>();
        double biasCorrection1 = 1 - Math.Pow(beta1, stepCount);
        float correction2Sqrt = (float)Math.Sqrt(1 - Math.Pow(beta2, stepCount));
        float negativeStepSize = (float)-(lr / biasCorrection1);
        float b1 = (float)beta1, oneMinusB1 = (float)(1 - beta1), b2 = (float)beta2, oneMinusB2 = (float)(1 - beta2);
        float epsilon = (float)eps, wd = (float)weightDecay, shrink = (float)(1 - lr * weightDecay);
        bool coupledDecay = !decoupled && weightDecay != 0;
        CpuParallel.For(param.Numel, OptimizerGrain, (start, end) =>
        {
            for (long i = start; i < end; i++)
            {
                float w = p[i], gi = g[i];
                if (decoupled) w *= shrink;
                else if (coupledDecay) gi += wd * w;
                float mi = m[i] * b1 + oneMinusB1 * gi;
                float vi = v[i] * b2 + oneMinusB2 * gi * gi;
                m[i] = mi;
                v[i] = vi;
                if (vMax is not null)
                {
                    vi = Math.Max(vMax[i], vi);
                    vMax[i] = vi;
                }
                float denominator = MathF.Sqrt(vi) / correction2Sqrt + epsilon;
                p[i] = w + negativeStepSize * mi / denominator;
            }
        });
    }

    /// <inheritdoc />
    public (double ParamSquaredNorm, double UpdateSquaredNorm) LambUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq,
        Tensor update, double beta1, double beta2, double eps, double weightDecay, long stepCount)
    {
        float* p = param.Ptr<float>(), g = grad.Ptr<float>(), m = expAvg.Ptr<float>(), v = expAvgSq.Ptr<float>(), u = update.Ptr<float>();
        float correction1 = (float)(1 - Math.Pow(beta1, stepCount)), correction2 = (float)(1 - Math.Pow(beta2, stepCount));
        float b1 = (float)beta1, oneMinusB1 = (float)(1 - beta1), b2 = (float)beta2, oneMinusB2 = (float)(1 - beta2);
        float epsilon = (float)eps, wd = (float)weightDecay;
        bool decay = weightDecay != 0;
        var sums = BlockSums(param.Numel, 2, (start, end, partial) =>
        {
            double paramSum = 0, updateSum = 0;
            for (long i = start; i < end; i++)
            {
                float gi = g[i];
                float mi = m[i] * b1 + oneMinusB1 * gi;
                float vi = v[i] * b2 + oneMinusB2 * gi * gi;
                m[i] = mi;
                v[i] = vi;
                float ui = mi / correction1 / (MathF.Sqrt(vi / correction2) + epsilon);
                if (decay) ui += wd * p[i];
                u[i] = ui;
                paramSum += (double)p[i] * p[i];
                updateSum += (double)ui * ui;
            }
            partial[0] = paramSum;
            partial[1] = updateSum;
        });
        return (sums[0], sums[1]);
    }

    /// <inheritdoc />
    public double Norm(Tensor x, double normType)
    {
        float* px = x.Ptr<float>();
        if (double.IsPositiveInfinity(normType))
        {
            var max = BlockSums(x.Numel, 1, (start, end, partial) =>
            {
                float best = 0;
                for (long i = start; i < end; i++) best = MathF.Max(best, MathF.Abs(px[i]));
                partial[0] = best;
            }, combineWithMax: true);
            return max[0];
        }
        var sum = BlockSums(x.Numel, 1, (start, end, partial) =>
        {
            double total = 0;
            for (long i = start; i < end; i++)
            {
                double a = Math.Abs(px[i]);
                total += normType == 2 ? a * a : normType == 1 ? a : Math.Pow(a, normType);
            }
            partial[0] = total;
        });
        return normType == 2 ? Math.Sqrt(sum[0]) : normType == 1 ? sum[0] : Math.Pow(sum[0], 1 / normType);
    }

    private delegate void BlockBody(long start, long end, Span<double> partial);

    /// <summary>
    /// Runs <paramref name="body"/> over fixed blocks of <see cref="OptimizerGrain"/> elements in parallel and combines the
    /// per-block results in block order, so the result does not depend on the thread count.
    /// </summary>
    private static double[] BlockSums(long count, int width, BlockBody body, bool combineWithMax = false)
    {
        long blocks = Math.Max(1, (count + OptimizerGrain - 1) / OptimizerGrain);
        var partials = new double[blocks * width];
        CpuParallel.For(blocks, 1, (first, last) =>
        {
            for (long block = first; block < last; block++)
            {
                long start = block * OptimizerGrain;
                body(start, Math.Min(count, start + OptimizerGrain), partials.AsSpan((int)(block * width), width));
            }
        });
        var result = new double[width];
        for (long block = 0; block < blocks; block++)
        {
            for (int k = 0; k < width; k++)
            {
                double value = partials[block * width + k];
                result[k] = combineWithMax ? Math.Max(result[k], value) : result[k] + value;
            }
        }
        return result;
    }
}
