using System.Numerics.Tensors;

namespace Forge.Backends.Cpu;

/// <summary>
/// Products of one row by a matrix, c = a·B (1×k by k×n), as decoding runs them for every token: each weight is read once,
/// straight from where it lies and in the order it lies, instead of being packed first as <see cref="Gemm"/> does for larger
/// products. A row-major B (a Conv1D weight) is cut into fixed chunks of <see cref="RowChunk"/> rows (and blocks of
/// <see cref="ColumnBlock"/> columns when it is wide); each task streams its rows, adding a[p]·B[p, j0..j1] into a partial sum
/// eight rows at a time, and the partial sums of the chunks are added in chunk order. A transposed B (a Linear weight, or the
/// tied output head over the embedding) gives each c[j] as the dot product of a with row j of the stored matrix. The chunks
/// do not depend on the thread count, so every element is summed in the same order however the work is split.
/// </summary>
internal static unsafe class Gemv
{
    /// <summary>Rows of a row-major B per task: a task streams this many whole rows (of up to <see cref="ColumnBlock"/> columns).</summary>
    private const int RowChunk = 128;

    /// <summary>Columns per task of a row-major B, so a task's partial sum stays in the first-level cache.</summary>
    private const int ColumnBlock = 4096;

    /// <summary>Below this many multiply-adds a product runs on the calling thread.</summary>
    private const long ParallelThreshold = 1L << 16;

    /// <summary>The partial sums of a row-major product's row chunks (kept per calling thread, grown as needed).</summary>
    [ThreadStatic]
    private static float[]? partials;

    /// <summary>
    /// c[i] = a[i]·B[i] (+ c[i] when <paramref name="accumulate"/>, + <paramref name="bias"/> when given) for every matrix i of the
    /// batch; a[i] is one row of k elements, B[i] is k×n with unit row or column stride, c[i] is n elements.
    /// </summary>
    public static void Multiply(int batch, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long batchStrideC, bool accumulate, float* bias)
    {
        bool rowMajor = b.ColumnStride == 1;
        bool parallel = batch == 1 && (long)n * k >= ParallelThreshold && CpuParallel.Threads > 1;
        for (int i = 0; i < batch; i++)
        {
            StridedMatrix ai = a.At(i), bi = b.At(i);
            float* ci = c + i * batchStrideC;
            float[]? packedA = ai.ColumnStride == 1 ? null : Gather(ai, k);
            fixed (float* packed = packedA)
            {
                float* x = packed is null ? ai.Data : packed;
                if (rowMajor) Sweep(n, k, x, bi, ci, accumulate, bias, parallel);
                else if (parallel) ParallelDots(n, k, x, bi, ci, accumulate, bias);
                else Dots(0, n, k, x, bi, ci, accumulate, bias);
            }
        }
    }

    /// <summary><see cref="Dots"/> over all n columns on every thread.</summary>
    private static void ParallelDots(int n, int k, float* a, StridedMatrix b, float* c, bool accumulate, float* bias) =>
        CpuParallel.For(n, 16, new DotsBody { K = k, A = a, B = b, C = c, Accumulate = accumulate, Bias = bias });

    private struct DotsBody : IRangeBody
    {
        public int K;
        public float* A, C, Bias;
        public StridedMatrix B;
        public bool Accumulate;

        public readonly void Run(long start, long end) => Dots(start, end, K, A, B, C, Accumulate, Bias);
    }

    private static float[] Gather(StridedMatrix a, int k)
    {
        var row = new float[k];
        for (int p = 0; p < k; p++) row[p] = a.Data[p * a.ColumnStride];
        return row;
    }

    /// <summary>c = a·B for a row-major B: partial sums of row chunks by column blocks, then their sum in chunk order.</summary>
    private static void Sweep(int n, int k, float* a, StridedMatrix b, float* c, bool accumulate, float* bias, bool parallel)
    {
        int chunks = (k + RowChunk - 1) / RowChunk;
        long size = (long)chunks * n;
        float[] sums = partials is { } existing && existing.Length >= size ? existing : partials = new float[size];
        fixed (float* s = sums)
        {
            SweepPlan plan = SweepPlan.ForCurrentThread(n, k, a, b, c, accumulate, bias, s, chunks);
            if (parallel) plan.RunInParallel();
            else
            {
                plan.Sweep(0, plan.Tasks);
                plan.Reduce(0, n);
            }
        }
    }

    /// <summary>
    /// One row-major product's tasks (a row chunk by a column block each) and the final sum of the chunks' partial sums. Each
    /// thread keeps one plan, and the delegates of its two passes, for all its products: decoding runs four per layer per token.
    /// </summary>
    private sealed class SweepPlan
    {
        [ThreadStatic]
        private static SweepPlan? current;

        private readonly Action<long, long> sweep, reduce;
        private int n, k, chunks, blocks;
        private float* a, c, bias, partial;
        private StridedMatrix b;
        private bool accumulate;

        private SweepPlan()
        {
            sweep = Sweep;
            reduce = Reduce;
        }

        /// <summary>This thread's plan, set to the given product.</summary>
        public static SweepPlan ForCurrentThread(int n, int k, float* a, StridedMatrix b, float* c, bool accumulate, float* bias, float* partial, int chunks)
        {
            SweepPlan plan = current ??= new SweepPlan();
            plan.n = n;
            plan.k = k;
            plan.a = a;
            plan.b = b;
            plan.c = c;
            plan.accumulate = accumulate;
            plan.bias = bias;
            plan.partial = partial;
            plan.chunks = chunks;
            plan.blocks = (n + ColumnBlock - 1) / ColumnBlock;
            return plan;
        }

        /// <summary>Number of tasks.</summary>
        public long Tasks => (long)chunks * blocks;

        /// <summary>Runs both passes on every thread.</summary>
        public void RunInParallel()
        {
            CpuParallel.For(Tasks, 1, sweep);
            CpuParallel.For(n, ColumnBlock, reduce);
        }

        /// <summary>Tasks [start, end): each streams its rows of B into its chunk's partial sum.</summary>
        public void Sweep(long start, long end)
        {
            for (long task = start; task < end; task++)
            {
                int chunk = (int)(task / blocks), j0 = (int)(task % blocks) * ColumnBlock;
                int p0 = chunk * RowChunk;
                SweepRows(a + p0, b.Data + p0 * b.RowStride + j0, b.RowStride, Math.Min(RowChunk, k - p0), Math.Min(ColumnBlock, n - j0),
                    partial + (long)chunk * n + j0);
            }
        }

        /// <summary>Columns [start, end) of c: the chunks' partial sums in chunk order, plus the bias (and c when accumulating).</summary>
        public void Reduce(long start, long end)
        {
            for (long j = start; j < end; j++)
            {
                float value = partial[j];
                for (int chunk = 1; chunk < chunks; chunk++) value += partial[(long)chunk * n + j];
                if (bias is not null) value += bias[j];
                c[j] = accumulate ? c[j] + value : value;
            }
        }
    }

    /// <summary>s[0..width) = Σp a[p]·B[p, 0..width) over <paramref name="rows"/> rows of B (row stride ldb), eight rows at a time.</summary>
    private static void SweepRows(float* a, float* b, long ldb, int rows, int width, float* s)
    {
        switch (Simd.Width)
        {
            case 512: SweepRows<V512>(a, b, ldb, rows, width, s); break;
            case 256: SweepRows<V256>(a, b, ldb, rows, width, s); break;
            case 128: SweepRows<V128>(a, b, ldb, rows, width, s); break;
            default: SweepRows<V1>(a, b, ldb, rows, width, s); break;
        }
    }

    private static void SweepRows<TV>(float* a, float* b, long ldb, int rows, int width, float* s) where TV : unmanaged, IFloatVector<TV>
    {
        int vectorEnd = width - width % TV.Count;
        new Span<float>(s, width).Clear();
        int p = 0;
        for (; p + 8 <= rows; p += 8)
        {
            float* row = b + p * ldb;
            TV a0 = TV.Create(a[p]), a1 = TV.Create(a[p + 1]), a2 = TV.Create(a[p + 2]), a3 = TV.Create(a[p + 3]);
            TV a4 = TV.Create(a[p + 4]), a5 = TV.Create(a[p + 5]), a6 = TV.Create(a[p + 6]), a7 = TV.Create(a[p + 7]);
            int j = 0;
            for (; j < vectorEnd; j += TV.Count)
            {
                float* q = row + j;
                TV sum = TV.MultiplyAdd(TV.Load(q), a0, TV.Load(s + j));
                sum = TV.MultiplyAdd(TV.Load(q + ldb), a1, sum);
                sum = TV.MultiplyAdd(TV.Load(q + 2 * ldb), a2, sum);
                sum = TV.MultiplyAdd(TV.Load(q + 3 * ldb), a3, sum);
                sum = TV.MultiplyAdd(TV.Load(q + 4 * ldb), a4, sum);
                sum = TV.MultiplyAdd(TV.Load(q + 5 * ldb), a5, sum);
                sum = TV.MultiplyAdd(TV.Load(q + 6 * ldb), a6, sum);
                TV.Store(TV.MultiplyAdd(TV.Load(q + 7 * ldb), a7, sum), s + j);
            }
            for (; j < width; j++)
            {
                float* q = row + j;
                float sum = s[j];
                for (int r = 0; r < 8; r++) sum = MathF.FusedMultiplyAdd(q[r * ldb], a[p + r], sum);
                s[j] = sum;
            }
        }
        for (; p < rows; p++)
        {
            float* row = b + p * ldb;
            TV ap = TV.Create(a[p]);
            int j = 0;
            for (; j < vectorEnd; j += TV.Count) TV.Store(TV.MultiplyAdd(TV.Load(row + j), ap, TV.Load(s + j)), s + j);
            for (; j < width; j++) s[j] = MathF.FusedMultiplyAdd(row[j], a[p], s[j]);
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
}
