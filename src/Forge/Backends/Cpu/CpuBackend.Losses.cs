using System.Numerics.Tensors;
using Forge.Tensors;
using Tensor = Forge.Tensors.Tensor;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void CrossEntropy(Tensor logits, Tensor target, Tensor? weight, int ignoreIndex, float labelSmoothing, Tensor losses, Tensor targetWeights, Tensor logSumExp)
    {
        int classes = logits.Size(1), inner = logits.Size(2);
        float* x = logits.Ptr<float>();
        long* y = target.Ptr<long>();
        float* w = weight is null ? null : weight.Ptr<float>();
        float* loss = losses.Ptr<float>(), tw = targetWeights.Ptr<float>(), lse = logSumExp.Ptr<float>();
        CheckTargets(y, target.Numel, classes, ignoreIndex);
        float weightTotal = ClassWeightTotal(w, classes);
        CpuParallel.For(target.Numel, Math.Max(1, 4096 / Math.Max(classes, 1)), new CrossEntropyRows
        {
            Classes = classes, Inner = inner, X = x, Y = y, Weight = w, IgnoreIndex = ignoreIndex, Smoothing = labelSmoothing, WeightTotal = weightTotal,
            Losses = loss, TargetWeights = tw, LogSumExp = lse,
        });
    }

    private struct CrossEntropyRows : IRangeBody
    {
        public int Classes, Inner, IgnoreIndex;
        public float* X, Weight, Losses, TargetWeights, LogSumExp;
        public long* Y;
        public float Smoothing, WeightTotal;

        public readonly void Run(long start, long end)
        {
            for (long r = start; r < end; r++)
            {
                long label = Y[r];
                if (label == IgnoreIndex)
                {
                    Losses[r] = 0;
                    TargetWeights[r] = 0;
                    LogSumExp[r] = 0;
                    continue;
                }
                float* row = X + (r / Inner) * Classes * Inner + r % Inner;
                float m = RowLogSumExp(row, Classes, Inner);
                float targetWeight = Weight is null ? 1 : Weight[label];
                float value = (1 - Smoothing) * targetWeight * (m - row[label * Inner]);
                if (Smoothing != 0) value += Smoothing / Classes * (m * WeightTotal - WeightedRowSum(row, Weight, Classes, Inner));
                Losses[r] = value;
                TargetWeights[r] = targetWeight;
                LogSumExp[r] = m;
            }
        }
    }

    /// <inheritdoc />
    public void CrossEntropyBackward(Tensor logits, Tensor target, Tensor? weight, int ignoreIndex, float labelSmoothing, Tensor logSumExp, Tensor gradLosses, Tensor gradLogits)
    {
        int classes = logits.Size(1), inner = logits.Size(2);
        float* x = logits.Ptr<float>(), gx = gradLogits.Ptr<float>();
        long* y = target.Ptr<long>();
        float* w = weight is null ? null : weight.Ptr<float>();
        float* lse = logSumExp.Ptr<float>(), g = gradLosses.Ptr<float>();
        CheckTargets(y, target.Numel, classes, ignoreIndex);
        float weightTotal = ClassWeightTotal(w, classes);
        CpuParallel.For(target.Numel, Math.Max(1, 4096 / Math.Max(classes, 1)), new CrossEntropyBackwardRows
        {
            Classes = classes, Inner = inner, X = x, GradLogits = gx, Y = y, Weight = w, IgnoreIndex = ignoreIndex, Smoothing = labelSmoothing,
            WeightTotal = weightTotal, LogSumExp = lse, GradLosses = g,
        });
    }

    private struct CrossEntropyBackwardRows : IRangeBody
    {
        public int Classes, Inner, IgnoreIndex;
        public float* X, GradLogits, Weight, LogSumExp, GradLosses;
        public long* Y;
        public float Smoothing, WeightTotal;

        public readonly void Run(long start, long end)
        {
            int classes = Classes, inner = Inner;
            float* w = Weight;
            for (long r = start; r < end; r++)
            {
                long offset = (r / inner) * classes * inner + r % inner;
                float* row = X + offset;
                float* grad = GradLogits + offset;
                long label = Y[r];
                if (label == IgnoreIndex)
                {
                    for (int c = 0; c < classes; c++) grad[(long)c * inner] = 0;
                    continue;
                }
                float targetWeight = w is null ? 1 : w[label];
                float probabilityScale = GradLosses[r] * ((1 - Smoothing) * targetWeight + Smoothing / classes * WeightTotal);
                float uniformScale = GradLosses[r] * Smoothing / classes;
                float m = LogSumExp[r];
                if (inner == 1)
                {
                    var gradRow = new Span<float>(grad, classes);
                    Simd.ExpSum(row, 1, m, grad, classes);
                    TensorPrimitives.Multiply(gradRow, probabilityScale, gradRow);
                    if (Smoothing != 0 && w is null) TensorPrimitives.Subtract(gradRow, uniformScale, gradRow);
                    else if (Smoothing != 0) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(w, classes), -uniformScale, gradRow, gradRow);
                }
                else
                {
                    for (int c = 0; c < classes; c++)
                        grad[(long)c * inner] = probabilityScale * MathF.Exp(row[(long)c * inner] - m) - uniformScale * (w is null ? 1 : w[c]);
                }
                grad[label * inner] -= GradLosses[r] * (1 - Smoothing) * targetWeight;
            }
        }
    }

    /// <inheritdoc />
    public void NllLoss(Tensor logProbabilities, Tensor target, Tensor? weight, int ignoreIndex, Tensor losses, Tensor targetWeights)
    {
        int classes = logProbabilities.Size(1), inner = logProbabilities.Size(2);
        float* x = logProbabilities.Ptr<float>();
        long* y = target.Ptr<long>();
        float* w = weight is null ? null : weight.Ptr<float>();
        float* loss = losses.Ptr<float>(), tw = targetWeights.Ptr<float>();
        CheckTargets(y, target.Numel, classes, ignoreIndex);
        for (long r = 0; r < target.Numel; r++)
        {
            long label = y[r];
            if (label == ignoreIndex)
            {
                loss[r] = 0;
                tw[r] = 0;
                continue;
            }
            float targetWeight = w is null ? 1 : w[label];
            loss[r] = -targetWeight * x[(r / inner) * classes * inner + label * inner + r % inner];
            tw[r] = targetWeight;
        }
    }

    /// <inheritdoc />
    public void NllLossBackward(Tensor target, Tensor? weight, int ignoreIndex, Tensor gradLosses, Tensor gradInput)
    {
        int classes = gradInput.Size(1), inner = gradInput.Size(2);
        long* y = target.Ptr<long>();
        float* w = weight is null ? null : weight.Ptr<float>();
        float* g = gradLosses.Ptr<float>(), gx = gradInput.Ptr<float>();
        CheckTargets(y, target.Numel, classes, ignoreIndex);
        new Span<float>(gx, checked((int)gradInput.Numel)).Clear();
        for (long r = 0; r < target.Numel; r++)
        {
            long label = y[r];
            if (label == ignoreIndex) continue;
            gx[(r / inner) * classes * inner + label * inner + r % inner] = -(w is null ? 1 : w[label]) * g[r];
        }
    }

    /// <summary>
    /// log Σ exp over <paramref name="count"/> elements <paramref name="stride"/> apart, computed stably (NaN propagates);
    /// contiguous rows use SIMD.
    /// </summary>
    private static float RowLogSumExp(float* row, int count, int stride)
    {
        if (stride == 1)
        {
            float top = TensorPrimitives.Max(new ReadOnlySpan<float>(row, count));
            if (!float.IsFinite(top)) return top;
            return top + MathF.Log(Simd.ExpSum(row, 1, top, null, count));
        }
        float max = float.NegativeInfinity;
        for (int c = 0; c < count; c++)
        {
            float v = row[(long)c * stride];
            if (v > max || float.IsNaN(v)) max = v;
        }
        if (!float.IsFinite(max)) return max;
        double sum = 0;
        for (int c = 0; c < count; c++) sum += Math.Exp(row[(long)c * stride] - max);
        return (float)(max + Math.Log(sum));
    }

    /// <summary>Σ w[c]·row[c] over a strided row (w = 1 when null).</summary>
    private static float WeightedRowSum(float* row, float* w, int count, int stride)
    {
        if (stride == 1)
        {
            var values = new ReadOnlySpan<float>(row, count);
            return w is null ? TensorPrimitives.Sum(values) : TensorPrimitives.Dot(new ReadOnlySpan<float>(w, count), values);
        }
        double sum = 0;
        for (int c = 0; c < count; c++) sum += (w is null ? 1 : w[c]) * (double)row[(long)c * stride];
        return (float)sum;
    }

    private static float ClassWeightTotal(float* w, int classes) =>
        w is null ? classes : TensorPrimitives.Sum(new ReadOnlySpan<float>(w, classes));

    /// <summary>Throws unless every target is a class index in [0, classes) or the ignore index.</summary>
    private static void CheckTargets(long* targets, long count, int classes, int ignoreIndex)
    {
        for (long r = 0; r < count; r++)
        {
            long label = targets[r];
            if (label != ignoreIndex && (label < 0 || label >= classes))
                throw new ForgeException($"Target class {label} at position {r} is out of range: expected a value in [0, {classes}) or the ignore index {ignoreIndex}.");
        }
    }
}
