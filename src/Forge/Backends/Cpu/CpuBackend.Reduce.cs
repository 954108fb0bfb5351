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
        CpuParallel.For(rows, Math.Max(1, 16384 / Math.Max(cols, 1)), new ReduceRowsBody { Op = op, Cols = cols, X = px, Result = pr, Indices = pi });
    }

    private struct ReduceRowsBody : IRangeBody
    {
        public ReduceOp Op;
        public int Cols;
        public float* X, Result;
        public long* Indices;

        public readonly void Run(long start, long end)
        {
            int cols = Cols;
            for (long r = start; r < end; r++)
            {
                var row = new ReadOnlySpan<float>(X + r * cols, cols);
                switch (Op)
                {
                    case ReduceOp.Sum: Result[r] = (float)AccurateSum(row); break;
                    case ReduceOp.Mean: Result[r] = (float)(AccurateSum(row) / cols); break;
                    case ReduceOp.Max: Result[r] = TensorPrimitives.Max(row); break;
                    case ReduceOp.Min: Result[r] = TensorPrimitives.Min(row); break;
                    case ReduceOp.ArgMax: Indices[r] = TensorPrimitives.IndexOfMax(row); break;
                    case ReduceOp.ArgMin: Indices[r] = TensorPrimitives.IndexOfMin(row); break;
                    default: Result[r] = LogSumExp(row); break;
                }
            }
        }
    }

    /// <summary>Elements <see cref="AccurateSum"/> adds in float before the partial sum joins the double total.</summary>
    private const int SumRun = 1024;

    /// <summary>The sum of <paramref name="values"/>: vectorized float sums of short runs, added in double, so long rows stay accurate.</summary>
    private static double AccurateSum(ReadOnlySpan<float> values)
    {
        double total = 0;
        for (int start = 0; start < values.Length; start += SumRun) total += TensorPrimitives.Sum(values.Slice(start, Math.Min(SumRun, values.Length - start)));
        return total;
    }

    /// <summary>Columns per task of <see cref="ReduceColumns"/>; the accumulators of one task live on the stack.</summary>
    private const int ColumnChunk = 512;

    /// <summary>Rows summed in float before the partial sums are added in double.</summary>
    private const int ColumnSumBlock = 64;

    /// <inheritdoc />
    public void ReduceColumns(ReduceOp op, Tensor x, Tensor result)
    {
        if (op is not (ReduceOp.Sum or ReduceOp.Mean or ReduceOp.Max or ReduceOp.Min))
            throw new ForgeException($"ReduceColumns supports Sum, Mean, Max and Min, found {op}.");
        int outer = x.Size(0), reduced = x.Size(1), inner = x.Size(2);
        if (reduced == 0 && op is ReduceOp.Max or ReduceOp.Min) throw new ForgeException($"Cannot take {op} over an empty dimension.");
        float* px = x.Ptr<float>(), pr = result.Ptr<float>();
        int chunks = (inner + ColumnChunk - 1) / ColumnChunk;
        long tasks = (long)outer * chunks;
        CpuParallel.For(tasks, Math.Max(1, ElementGrain / Math.Max(1, (long)reduced * Math.Min(inner, ColumnChunk))),
            new ReduceColumnsBody { Op = op, Chunks = chunks, Reduced = reduced, Inner = inner, X = px, Result = pr });
    }

    private struct ReduceColumnsBody : IRangeBody
    {
        public ReduceOp Op;
        public int Chunks, Reduced, Inner;
        public float* X, Result;

        public readonly void Run(long start, long end)
        {
            Span<float> partial = stackalloc float[ColumnChunk];
            Span<double> total = stackalloc double[ColumnChunk];
            for (long task = start; task < end; task++)
            {
                long o = task / Chunks;
                int c0 = (int)(task % Chunks) * ColumnChunk, width = Math.Min(ColumnChunk, Inner - c0);
                float* column = X + o * Reduced * Inner + c0;
                var target = new Span<float>(Result + o * Inner + c0, width);
                if (Op is ReduceOp.Max or ReduceOp.Min) ExtremeOfColumns(Op, column, Reduced, Inner, target);
                else SumColumns(column, Reduced, Inner, partial[..width], total[..width], target, Op == ReduceOp.Mean);
            }
        }
    }

    /// <summary>Column sums of rows × width values (rows <paramref name="stride"/> apart): float within blocks of rows, double across.</summary>
    private static void SumColumns(float* x, int rows, int stride, Span<float> partial, Span<double> total, Span<float> result, bool mean)
    {
        total.Clear();
        int width = result.Length;
        for (int r0 = 0; r0 < rows; r0 += ColumnSumBlock)
        {
            int r1 = Math.Min(rows, r0 + ColumnSumBlock);
            new ReadOnlySpan<float>(x + (long)r0 * stride, width).CopyTo(partial);
            for (int r = r0 + 1; r < r1; r++) TensorPrimitives.Add(partial, new ReadOnlySpan<float>(x + (long)r * stride, width), partial);
            for (int c = 0; c < width; c++) total[c] += partial[c];
        }
        double scale = mean ? 1.0 / rows : 1.0;
        for (int c = 0; c < width; c++) result[c] = (float)(total[c] * scale);
    }

    /// <summary>Column maxima or minima (NaN propagates) of rows × width values, rows <paramref name="stride"/> apart.</summary>
    private static void ExtremeOfColumns(ReduceOp op, float* x, int rows, int stride, Span<float> result)
    {
        int width = result.Length;
        new ReadOnlySpan<float>(x, width).CopyTo(result);
        for (int r = 1; r < rows; r++)
        {
            var row = new ReadOnlySpan<float>(x + (long)r * stride, width);
            if (op == ReduceOp.Max) TensorPrimitives.Max(result, row, result);
            else TensorPrimitives.Min(result, row, result);
        }
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
