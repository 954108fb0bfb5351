using System.Numerics.Tensors;
using Forge.Tensors;
using Tensor = Forge.Tensors.Tensor;

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
        double beta2, double eps, double weightDecay, long stepCount, bool decoupled, float gradScale)
    {
        float* p = param.Ptr<float>(), g = grad.Ptr<float>(), m = expAvg.Ptr<float>(), v = expAvgSq.Ptr<float>();
        float* vMax = maxExpAvgSq is null ? null : maxExpAvgSq.Ptr<float>();
        double biasCorrection1 = 1 - Math.Pow(beta1, stepCount);
        float correction2Sqrt = (float)Math.Sqrt(1 - Math.Pow(beta2, stepCount));
        float negativeStepSize = (float)-(lr / biasCorrection1);
        float b1 = (float)beta1, oneMinusB1 = (float)(1 - beta1), b2 = (float)beta2, oneMinusB2 = (float)(1 - beta2);
        float epsilon = (float)eps, wd = (float)weightDecay, shrink = (float)(1 - lr * weightDecay);
        bool coupledDecay = !decoupled && weightDecay != 0;
        var update = new AdamUpdate(b1, oneMinusB1, b2, oneMinusB2, correction2Sqrt, epsilon, negativeStepSize, decoupled, shrink, coupledDecay, wd,
            gradScale);
        CpuParallel.For(param.Numel, OptimizerGrain, new AdamChunks { Update = update, P = p, G = g, M = m, V = v, VMax = vMax });
    }

    private struct AdamChunks : IRangeBody
    {
        public AdamUpdate Update;
        public float* P, G, M, V, VMax;

        public readonly void Run(long start, long end)
        {
            long n = end - start;
            float* p = P + start, g = G + start, m = M + start, v = V + start;
            if (VMax is not null) Update.RunWithMaximum(p, g, m, v, VMax + start, n);
            else if (Simd.Width == 512) Update.Run<V512>(p, g, m, v, n);
            else if (Simd.Width == 256) Update.Run<V256>(p, g, m, v, n);
            else if (Simd.Width == 128) Update.Run<V128>(p, g, m, v, n);
            else Update.Run<V1>(p, g, m, v, n);
        }
    }

    /// <summary>
    /// The Adam/AdamW update of one element range. The vector loop performs the scalar form's operations in the same order
    /// (no fused multiply-adds), so every width gives the same bits. A gradient scale other than 1 multiplies each gradient
    /// element first, exactly as scaling the gradient in place before the step would.
    /// </summary>
    private readonly struct AdamUpdate(float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float correction2Sqrt,
        float epsilon, float negativeStepSize, bool decoupled, float shrink, bool coupledDecay, float weightDecay, float gradScale)
    {
        private readonly bool scaled = gradScale != 1;

        public void Run<TV>(float* p, float* g, float* m, float* v, long n) where TV : unmanaged, IFloatVector<TV>
        {
            TV b1 = TV.Create(beta1), c1 = TV.Create(oneMinusBeta1), b2 = TV.Create(beta2), c2 = TV.Create(oneMinusBeta2);
            TV correction = TV.Create(correction2Sqrt), eps = TV.Create(epsilon), step = TV.Create(negativeStepSize);
            TV shrinkBy = TV.Create(shrink), decay = TV.Create(weightDecay), scale = TV.Create(gradScale);
            long i = 0;
            for (; i + TV.Count <= n; i += TV.Count)
            {
                TV w = TV.Load(p + i), gi = TV.Load(g + i);
                if (scaled) gi *= scale;
                if (decoupled) w *= shrinkBy;
                else if (coupledDecay) gi += decay * w;
                TV mi = TV.Load(m + i) * b1 + c1 * gi;
                TV vi = TV.Load(v + i) * b2 + c2 * gi * gi;
                TV.Store(mi, m + i);
                TV.Store(vi, v + i);
                TV.Store(w + step * mi / (TV.Sqrt(vi) / correction + eps), p + i);
            }
            if (i < n) RunWithMaximum(p + i, g + i, m + i, v + i, null, n - i);
        }

        public void RunWithMaximum(float* p, float* g, float* m, float* v, float* vMax, long n)
        {
            for (long i = 0; i < n; i++)
            {
                float w = p[i], gi = g[i];
                if (scaled) gi *= gradScale;
                if (decoupled) w *= shrink;
                else if (coupledDecay) gi += weightDecay * w;
                float mi = m[i] * beta1 + oneMinusBeta1 * gi;
                float vi = v[i] * beta2 + oneMinusBeta2 * gi * gi;
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
        }
    }

    /// <inheritdoc />
    public (double ParamSquaredNorm, double UpdateSquaredNorm) LambUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq,
        Tensor update, double beta1, double beta2, double eps, double weightDecay, long stepCount)
    {
        float* p = param.Ptr<float>(), g = grad.Ptr<float>(), m = expAvg.Ptr<float>(), v = expAvgSq.Ptr<float>(), u = update.Ptr<float>();
        float correction1 = (float)(1 - Math.Pow(beta1, stepCount)), correction2 = (float)(1 - Math.Pow(beta2, stepCount));
        float b1 = (float)beta1, oneMinusB1 = (float)(1 - beta1), b2 = (float)beta2, oneMinusB2 = (float)(1 - beta2);
        float epsilon = (float)eps, wd = (float)weightDecay;
        Span<double> sums = stackalloc double[2];
        BlockSums(param.Numel, new LambBlocks
        {
            P = p, G = g, M = m, V = v, U = u, Beta1 = b1, OneMinusBeta1 = oneMinusB1, Beta2 = b2, OneMinusBeta2 = oneMinusB2,
            Correction1 = correction1, Correction2 = correction2, Epsilon = epsilon, WeightDecay = weightDecay != 0 ? wd : 0,
        }, sums);
        return (sums[0], sums[1]);
    }

    private struct LambBlocks : IBlockBody
    {
        public float* P, G, M, V, U;
        public float Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, Correction1, Correction2, Epsilon, WeightDecay;

        public readonly void Block(long start, long end, Span<double> partial)
        {
            double paramSum = 0, updateSum = 0;
            for (long i = start; i < end; i++)
            {
                float gi = G[i];
                float mi = M[i] * Beta1 + OneMinusBeta1 * gi;
                float vi = V[i] * Beta2 + OneMinusBeta2 * gi * gi;
                M[i] = mi;
                V[i] = vi;
                float ui = mi / Correction1 / (MathF.Sqrt(vi / Correction2) + Epsilon);
                if (WeightDecay != 0) ui += WeightDecay * P[i];
                U[i] = ui;
                paramSum += (double)P[i] * P[i];
                updateSum += (double)ui * ui;
            }
            partial[0] = paramSum;
            partial[1] = updateSum;
        }
    }

    /// <inheritdoc />
    public double Norm(Tensor x, double normType)
    {
        Span<double> result = stackalloc double[1];
        BlockSums(x.Numel, new NormBlocks { X = x.Ptr<float>(), NormType = normType }, result, combineWithMax: double.IsPositiveInfinity(normType));
        double sum = result[0];
        return double.IsPositiveInfinity(normType) ? sum : normType == 2 ? Math.Sqrt(sum) : normType == 1 ? sum : Math.Pow(sum, 1 / normType);
    }

    /// <summary>A block's max |x| (p = ∞) or Σ|x|^p.</summary>
    private struct NormBlocks : IBlockBody
    {
        public float* X;
        public double NormType;

        public readonly void Block(long start, long end, Span<double> partial)
        {
            if (double.IsPositiveInfinity(NormType))
            {
                float best = 0;
                for (long i = start; i < end; i++) best = MathF.Max(best, MathF.Abs(X[i]));
                partial[0] = best;
                return;
            }
            double total = 0;
            if (NormType is 1 or 2)
            {
                // Float sums over short runs (vectorized), added in double.
                for (long run = start; run < end; run += NormRun)
                {
                    var values = new ReadOnlySpan<float>(X + run, (int)Math.Min(NormRun, end - run));
                    total += NormType == 2 ? TensorPrimitives.SumOfSquares(values) : TensorPrimitives.SumOfMagnitudes(values);
                }
            }
            else
            {
                for (long i = start; i < end; i++) total += Math.Pow(Math.Abs(X[i]), NormType);
            }
            partial[0] = total;
        }
    }

    /// <summary>Elements summed in float by <see cref="Norm"/> before the partial sum joins the double total.</summary>
    private const int NormRun = 256;

    /// <summary>What runs on one block of <see cref="BlockSums"/>: it writes the block's partial results.</summary>
    private interface IBlockBody
    {
        void Block(long start, long end, Span<double> partial);
    }

    /// <summary>
    /// Runs <paramref name="body"/> over fixed blocks of <see cref="OptimizerGrain"/> elements in parallel and combines the
    /// per-block results in block order into <paramref name="result"/>, so it does not depend on the thread count.
    /// </summary>
    private static void BlockSums<TBlock>(long count, TBlock body, Span<double> result, bool combineWithMax = false) where TBlock : struct, IBlockBody
    {
        int width = result.Length;
        long blocks = Math.Max(1, (count + OptimizerGrain - 1) / OptimizerGrain);
        double[] partials = System.Buffers.ArrayPool<double>.Shared.Rent(checked((int)(blocks * width)));
        CpuParallel.For(blocks, 1, new Blocks<TBlock> { Count = count, Width = width, Partials = partials, Body = body });
        result.Clear();
        for (long block = 0; block < blocks; block++)
        {
            for (int k = 0; k < width; k++)
            {
                double value = partials[block * width + k];
                result[k] = combineWithMax ? Math.Max(result[k], value) : result[k] + value;
            }
        }
        System.Buffers.ArrayPool<double>.Shared.Return(partials);
    }

    private struct Blocks<TBlock> : IRangeBody where TBlock : struct, IBlockBody
    {
        public long Count;
        public int Width;
        public double[] Partials;
        public TBlock Body;

        public void Run(long first, long last)
        {
            for (long block = first; block < last; block++)
            {
                long start = block * OptimizerGrain;
                Body.Block(start, Math.Min(Count, start + OptimizerGrain), Partials.AsSpan((int)(block * Width), Width));
            }
        }
    }
}
