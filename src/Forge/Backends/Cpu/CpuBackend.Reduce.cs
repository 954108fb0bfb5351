using System.Numerics.Tensors;
using Forge.Tensors;
using Tensor = Forge.Tensors.Tensor;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void ReduceRows(ReduceOp op, Tensor x, Tensor result)
    {
        long rows = result.Numel;
        if (rows == 0) return;
        int cols = checked((int)(x.Numel / rows));
        if (cols == 0 && op is not (ReduceOp.Sum or ReduceOp.Mean))
            throw new ForgeException($"Cannot take {op} over an empty dimension.");
        float* px = x.Ptr<float>();
        bool indices = op is ReduceOp.ArgMax or ReduceOp.ArgMin;
        float* pr = indices ? null : result.Ptr<float>();
        long* pi = indices ? result.Ptr<long>() : null;
        CpuParallel.For(rows, Math.Max(1, 16384 / Math.Max(cols, 1)), (start, end) =>
        {
            for (long r = start; r < end; r++)
            {
                var row = new ReadOnlySpan<float>(px + r * cols, cols);
                switch (op)
                {
                    case ReduceOp.Sum: pr[r] = TensorPrimitives.Sum(row); break;
                    case ReduceOp.Mean: pr[r] = TensorPrimitives.Sum(row) / cols; break;
                    case ReduceOp.Max: pr[r] = TensorPrimitives.Max(row); break;
                    case ReduceOp.Min: pr[r] = TensorPrimitives.Min(row); break;
                    case ReduceOp.ArgMax: pi[r] = TensorPrimitives.IndexOfMax(row); break;
                    case ReduceOp.ArgMin: pi[r] = TensorPrimitives.IndexOfMin(row); break;
                    default: pr[r] = LogSumExp(row); break;
                }
            }
        });
    }

    private static float LogSumExp(ReadOnlySpan<float> row)
    {
        float max = TensorPrimitives.Max(row);
        if (float.IsNegativeInfinity(max) || float.IsNaN(max) || float.IsPositiveInfinity(max)) return max;
        double sum = 0;
        foreach (float v in row) sum += Math.Exp(v - max);
        return (float)(max + Math.Log(sum));
    }
}
