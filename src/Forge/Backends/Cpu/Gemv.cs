using System.Numerics.Tensors;

namespace Forge.Backends.Cpu;

/// <summary>
/// Products of one row by a matrix, c = a·B (1×k by k×n), as decoding runs them for every token: each weight is read once,
/// straight from where it lies, instead of being packed first as <see cref="Gemm"/> does for larger products. A row-major B
/// (a Conv1D weight) is swept row by row into a block of c (c[j0..j1] += a[p]·B[p, j0..j1]); a transposed B (a Linear weight, or
/// the tied output head over the embedding) gives each c[j] as the dot product of a with row j of the stored matrix. Threads
/// split the columns; every element is summed in the same order whatever the split.
/// </summary>
internal static unsafe class Gemv
{
    /// <summary>Columns of c per task in the row-major sweep (a multiple of every vector width).</summary>
    private const int ColumnBlock = 64;

    /// <summary>Below this many multiply-adds a product runs on the calling thread.</summary>
    private const long ParallelThreshold = 1L << 16;

    /// <summary>
    /// c[i] = a[i]·B[i] (+ c[i] when <paramref name="accumulate"/>, + <paramref name="bias"/> when given) for every matrix i of the
    /// batch; a[i] is one row of k elements, B[i] is k×n with unit row or column stride, c[i] is n elements.
    /// </summary>
    public static void Multiply(int batch, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long batchStrideC, bool accumulate, float* bias)
    {
        bool rowMajor = b.ColumnStride == 1;
        long blocks = rowMajor ? (n + ColumnBlock - 1) / ColumnBlock : n;
        bool parallel = (long)n * k >= ParallelThreshold && CpuParallel.Threads > 1;
        for (int i = 0; i < batch; i++)
        {
            StridedMatrix ai = a.At(i), bi = b.At(i);
            float* ci = c + i * batchStrideC;
            float[]? packedA = ai.ColumnStride == 1 ? null : Gather(ai, k);
            if (parallel && batch == 1)
            {
                CpuParallel.For(blocks, rowMajor ? 1 : 16, (start, end) => Range(rowMajor, start, end, n, k, ai, packedA, bi, ci, accumulate, bias));
            }
            else
            {
                Range(rowMajor, 0, blocks, n, k, ai, packedA, bi, ci, accumulate, bias);
            }
        }
    }

    private static float[] Gather(StridedMatrix a, int k)
    {
        var row = new float[k];
        for (int p = 0; p < k; p++) row[p] = a.Data[p * a.ColumnStride];
        return row;
    }

    private static void Range(bool rowMajor, long start, long end, int n, int k, StridedMatrix a, float[]? packedA, StridedMatrix b, float* c, bool accumulate, float* bias)
    {
        fixed (float* packed = packedA)
        {
            float* x = packed is null ? a.Data : packed;
            if (rowMajor) Sweep(start, end, n, k, x, b, c, accumulate, bias);
            else Dots(start, end, k, x, b, c, accumulate, bias);
        }
    }

    /// <summary>Columns of blocks [start, end) of a row-major B: c[j0..j1] = Σp a[p]·B[p, j0..j1], the rows of B in order.</summary>
    private static void Sweep(long start, long end, int n, int k, float* a, StridedMatrix b, float* c, bool accumulate, float* bias)
    {
        Span<float> sum = stackalloc float[ColumnBlock];
        for (long block = start; block < end; block++)
        {
            int j0 = (int)(block * ColumnBlock), width = Math.Min(ColumnBlock, n - j0);
            Span<float> s = sum[..width];
            s.Clear();
            for (int p = 0; p < k; p++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b.Data + p * b.RowStride + j0, width), a[p], s, s);
            Store(s, c + j0, accumulate, bias is null ? null : bias + j0);
        }
    }

    /// <summary>c[j] for j in [start, end) of a transposed B: the dot product of a with the stored row j.</summary>
    private static void Dots(long start, long end, int k, float* a, StridedMatrix b, float* c, bool accumulate, float* bias)
    {
        var x = new ReadOnlySpan<float>(a, k);
        for (long j = start; j < end; j++)
        {
            float value = TensorPrimitives.Dot(x, new ReadOnlySpan<float>(b.Data + j * b.ColumnStride, k));
            if (bias is not null) value += bias[j];
            c[j] = accumulate ? c[j] + value : value;
        }
    }

    private static void Store(ReadOnlySpan<float> sum, float* c, bool accumulate, float* bias)
    {
        for (int j = 0; j < sum.Length; j++)
        {
            float value = sum[j];
            if (bias is not null) value += bias[j];
            c[j] = accumulate ? c[j] + value : value;
        }
    }
}
