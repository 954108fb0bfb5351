using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Forge.Backends.Cpu;

/// <summary>
/// A float32 matrix, or a batch of them, in memory: element [r, c] of matrix i is at
/// Data[offset(i) + r·RowStride + c·ColumnStride], with offset(i) = BatchOffsets[i] (i·BatchStride without them).
/// </summary>
internal readonly unsafe struct StridedMatrix
{
    private readonly long[]? batchOffsets;
    private readonly long batchStride;

    /// <summary>A batch whose matrices are <paramref name="batchStride"/> elements apart (one matrix: any stride).</summary>
    public StridedMatrix(float* data, long batchStride, long rowStride, long columnStride)
    {
        Data = data;
        this.batchStride = batchStride;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    /// <summary>A batch whose matrix i starts at element <paramref name="batchOffsets"/>[i].</summary>
    public StridedMatrix(float* data, long[] batchOffsets, long rowStride, long columnStride)
    {
        Data = data;
        this.batchOffsets = batchOffsets;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    public float* Data { get; }

    public long RowStride { get; }

    public long ColumnStride { get; }

    /// <summary>Matrix <paramref name="index"/> of the batch.</summary>
    public StridedMatrix At(long index) =>
        new(Data + (batchOffsets is null ? index * batchStride : batchOffsets[index]), 0, RowStride, ColumnStride);

    /// <summary>The sub-matrix that starts at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public StridedMatrix Offset(long row, long column) => new(Data + row * RowStride + column * ColumnStride, 0, RowStride, ColumnStride);
}

/// <summary>The register-blocked micro-kernels of <see cref="Gemm"/>, one per vector width.</summary>
internal enum GemmKernel
{
    /// <summary>6×8 tiles of Vector128 (SSE, NEON, and the fallback everywhere).</summary>
    Vector128,
    /// <summary>6×16 tiles of Vector256 (AVX2 + FMA).</summary>
    Vector256,
    /// <summary>12×32 tiles of Vector512 (AVX-512).</summary>
    Vector512,
}

/// <summary>
/// Single-precision matrix products C (+)= A·B in the style of GotoBLAS/BLIS: B is packed into panels of NR columns and A into
/// panels of MR rows (zero-padded, so edge tiles run the same micro-kernel), blocked so a KC×NR panel of B stays in L1 and an
/// MC×KC block of A in L2, and an MR×NR tile of C is held in registers. Packing reads any strides, so transposed operands
/// are never copied first. Threads split the batch, or the rows or columns of one product; each element of C is summed in
/// the same order whatever the split, so results do not depend on the thread count.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>Below this many flops a product runs on the calling thread.</summary>
    private const long ParallelThreshold = 1L << 21;

    /// <summary>Tasks per thread a shared product aims for, so threads that come free early take more of them.</summary>
    private const int TasksPerThread = 4;

    /// <summary>The most B panels in one task's slice of a few-row product (<see cref="Slices"/>): kc×128 floats stay in L2.</summary>
    private const int MaxSlicePanels = 8;

    /// <summary>The most floats of A that <see cref="Slices"/> packs at once (16 MiB); a deeper few-row product goes block by block.</summary>
    private const long MaxPackedA = 1L << 22;

    /// <summary>The micro-kernel in use: the widest the hardware accelerates.</summary>
    public static GemmKernel Kernel { get; } = Vector512.IsHardwareAccelerated ? GemmKernel.Vector512
        : Vector256.IsHardwareAccelerated ? GemmKernel.Vector256 : GemmKernel.Vector128;

    /// <summary>
    /// C[i] = A[i]·B[i] (+ C[i] when <paramref name="accumulate"/>, + the n-vector <paramref name="bias"/> on every row when given) for
    /// i &lt; <paramref name="batch"/>, with A[i] m×k, B[i] k×n
    /// (any strides) and C[i] m×n row-major with leading dimension <paramref name="ldc"/> and batch stride <paramref name="batchStrideC"/>.
    /// With FORGE_BLAS=openblas the system library computes the products it can express (<see cref="SystemBlas"/>).
    /// </summary>
    public static void Multiply(int batch, int m, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long ldc, long batchStrideC, bool accumulate,
        float* bias = null, CausalProduct? causal = null)
    {
        if (causal is null && SystemBlas.Current is { } blas && blas.TryMultiply(batch, m, n, k, a, b, c, ldc, batchStrideC, accumulate, bias)) return;
        Multiply(Kernel, batch, m, n, k, a, b, c, ldc, batchStrideC, accumulate, bias, causal);
    }

    /// <summary>
    /// <see cref="Multiply(int, int, int, int, StridedMatrix, StridedMatrix, float*, long, long, bool, float*, CausalProduct?)"/> with the given micro-kernel
    /// (one the hardware does not accelerate still computes correctly, slowly).
    /// </summary>
    public static void Multiply(GemmKernel kernel, int batch, int m, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long ldc, long batchStrideC,
        bool accumulate, float* bias = null, CausalProduct? causal = null)
    {
        if (m == 1 && causal is null && k > 0 && (b.ColumnStride == 1 || b.RowStride == 1))
        {
            Gemv.Multiply(batch, n, k, a, b, c, batchStrideC, accumulate, bias);
            return;
        }
        var shape = new Structure(causal);
        switch (kernel)
        {
            case GemmKernel.Vector512: Multiply<Kernel12x32>(batch, m, n, k, a, b, c, ldc, batchStrideC, accumulate, bias, shape); break;
            case GemmKernel.Vector256: Multiply<Kernel6x16>(batch, m, n, k, a, b, c, ldc, batchStrideC, accumulate, bias, shape); break;
            default: Multiply<Kernel6x8>(batch, m, n, k, a, b, c, ldc, batchStrideC, accumulate, bias, shape); break;
        }
    }

    private static void Multiply<TKernel>(int batch, int m, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long ldc, long batchStrideC, bool accumulate,
        float* bias, Structure shape)
        where TKernel : struct, IMicroKernel
    {
        if (batch == 0 || m == 0 || n == 0) return;
        long flops = 2L * batch * m * n * Math.Max(k, 1);
        int threads = (int)Math.Min(CpuParallel.Threads, Math.Max(1, flops / ParallelThreshold));
        if (threads == 1)
        {
            for (int i = 0; i < batch; i++) Serial<TKernel>(m, n, k, a.At(i), b.At(i), c + i * batchStrideC, ldc, accumulate, bias, shape);
            return;
        }
        if (batch >= 2 * threads || (batch >= threads && batch % threads == 0))
        {
            SerialPerThread<TKernel>(batch, m, n, k, a, b, c, ldc, batchStrideC, accumulate, bias, shape);
            return;
        }
        for (int i = 0; i < batch; i++) Shared<TKernel>(m, n, k, a.At(i), b.At(i), c + i * batchStrideC, ldc, accumulate, bias, shape, threads);
    }

    /// <summary>The products of a batch shared out among the threads, each computed whole by one (its own method: only this path builds a closure).</summary>
    private static void SerialPerThread<TKernel>(int batch, int m, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long ldc, long batchStrideC,
        bool accumulate, float* bias, Structure shape)
        where TKernel : struct, IMicroKernel =>
        CpuParallel.For(batch, 1, new PerThread<TKernel>
        {
            M = m, N = n, K = k, A = a, B = b, C = c, Ldc = ldc, BatchStrideC = batchStrideC, Accumulate = accumulate, Bias = bias, Shape = shape,
        });

    private struct PerThread<TKernel> : IRangeBody where TKernel : struct, IMicroKernel
    {
        public int M, N, K;
        public StridedMatrix A, B;
        public float* C, Bias;
        public long Ldc, BatchStrideC;
        public bool Accumulate;
        public Structure Shape;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long start, long end)
        {
            for (long i = start; i < end; i++) Serial<TKernel>(M, N, K, A.At(i), B.At(i), C + i * BatchStrideC, Ldc, Accumulate, Bias, Shape);
        }
    }

    /// <summary>
    /// One product on several threads that share its packed B, one depth and column block at a time: tasks (a block of rows,
    /// and a group of B panels when there are too few row blocks) each pack their rows of A and run the micro-kernel over the
    /// block's panels, and the same parallel pass packs the next block's panels into a second buffer once its tasks are all
    /// claimed, so a thread that finishes early packs instead of waiting. With panel groups, the few rows of A are packed
    /// once, alongside B, instead of once per group. Tasks are cut at tile boundaries into near-equal shares, their count a
    /// multiple of the thread count, several per thread: claimed as threads come free, a thread slowed by other work on its
    /// core takes fewer, and no thread is left with one block more than the others. Every element of C is summed in the same
    /// order as in <see cref="Serial"/>, whatever the split. A product with too few row blocks but columns enough for a slice
    /// per task, and a packed A of at most <see cref="MaxPackedA"/> floats, goes to <see cref="Slices"/> instead.
    /// </summary>
    private static void Shared<TKernel>(int m, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long ldc, bool accumulate, float* bias, Structure shape,
        int threads)
        where TKernel : struct, IMicroKernel
    {
        if (k == 0)
        {
            Serial<TKernel>(m, n, k, a, b, c, ldc, accumulate, bias, shape);
            return;
        }
        int mr = TKernel.Rows, nr = TKernel.Columns, wanted = TasksPerThread * threads;
        int kcMax = Math.Min(TKernel.DepthBlock, k), ncMax = Math.Min(TKernel.ColumnBlock, RoundUp(n, nr));
        int tiles = (m + mr - 1) / mr, tilesPerBlock = TKernel.RowBlock / mr;
        int rowBlocks = Math.Min(tiles, (tiles + tilesPerBlock - 1) / tilesPerBlock);
        bool fewRows = rowBlocks < wanted / 2;
        int panelsTotal = (n + nr - 1) / nr, slicePanels = Math.Clamp(panelsTotal / wanted, 1, MaxSlicePanels);
        if (fewRows && (panelsTotal + slicePanels - 1) / slicePanels >= wanted && (long)tiles * mr * k <= MaxPackedA)
        {
            Slices<TKernel>(m, n, k, a, b, c, ldc, accumulate, bias, shape, slicePanels);
            return;
        }
        if (!fewRows) rowBlocks = Math.Min(tiles, RoundUp(Math.Max(rowBlocks, wanted), threads));
        int blockRows = (tiles + rowBlocks - 1) / rowBlocks * mr;
        int depthBlocks = (k + kcMax - 1) / kcMax, blocks = (n + ncMax - 1) / ncMax * depthBlocks;
        // Two buffers: while the tasks of one block run on the panels in one, the next block's are packed into the other.
        long bufferFloats = (long)ncMax * kcMax + (fewRows ? (long)tiles * mr * kcMax : 0);
        float* buffers = Workspace.ForCurrentThread(0, 2 * bufferFloats, 0).B;
        Block Describe(int index)
        {
            int jc = index / depthBlocks * ncMax, pc = index % depthBlocks * kcMax, nc = Math.Min(ncMax, n - jc), panels = (nc + nr - 1) / nr;
            int groups = fewRows ? Math.Clamp(wanted / rowBlocks, 1, panels) : 1;
            float* packedB = buffers + index % 2 * bufferFloats;
            // With several panel groups per row block, A is packed once with B rather than by each of its block's tasks.
            return new Block(jc, nc, panels, groups, groups > 1 ? tiles : 0, pc, Math.Min(kcMax, k - pc), packedB, packedB + (long)ncMax * kcMax);
        }
        // Each pass runs the tasks of block Current, then packs block Next in PackTasks near-equal shares of its panels and
        // shared A tiles (threads that finish their last task early take these instead of waiting).
        var pass = new SharedPass<TKernel>
        {
            M = m, K = k, A = a, B = b, C = c, Ldc = ldc, Accumulate = accumulate, Bias = bias, Shape = shape,
            Tiles = tiles, RowBlocks = rowBlocks, BlockRows = blockRows, KcMax = kcMax, Next = Describe(0),
        };
        for (int index = 0; index <= blocks; index++)
        {
            pass.PackTasks = index < blocks ? Math.Min(wanted, pass.Next.Panels + pass.Next.SharedTiles) : 0;
            CpuParallel.ForEach(pass.RunTasks + pass.PackTasks, pass);
            pass.Current = pass.Next;
            pass.RunTasks = rowBlocks * pass.Current.Groups;
            if (index + 1 < blocks) pass.Next = Describe(index + 1);
        }
    }

    /// <summary>One parallel pass of <see cref="Shared"/>: tasks [0, RunTasks) of block Current, then the packing of block Next.</summary>
    private struct SharedPass<TKernel> : IRangeBody where TKernel : struct, IMicroKernel
    {
        public int M, K, Tiles, RowBlocks, BlockRows, KcMax, RunTasks, PackTasks;
        public StridedMatrix A, B;
        public float* C, Bias;
        public long Ldc;
        public bool Accumulate;
        public Structure Shape;
        public Block Current, Next;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long first, long last)
        {
            int mr = TKernel.Rows, nr = TKernel.Columns;
            for (long task = first; task < last; task++)
            {
                if (task >= RunTasks)
                {
                    int share = (int)task - RunTasks, units = Next.Panels + Next.SharedTiles;
                    Pack(Next, Share(units, PackTasks, share), Share(units, PackTasks, share + 1));
                    continue;
                }
                int block = (int)(task / Current.Groups), group = (int)(task % Current.Groups);
                int ic = Share(Tiles, RowBlocks, block) * mr, mc = Math.Min(M, Share(Tiles, RowBlocks, block + 1) * mr) - ic;
                int jr0 = Share(Current.Panels, Current.Groups, group) * nr, jr1 = Math.Min(Current.Nc, Share(Current.Panels, Current.Groups, group + 1) * nr);
                if (mc <= 0 || jr0 >= jr1) continue;
                Workspace workspace = Workspace.ForCurrentThread(Current.SharedTiles > 0 ? 0 : (long)BlockRows * KcMax, 0, mr * nr);
                float* packedA = Current.PackedA + (long)ic * Current.Kc;
                if (Current.SharedTiles == 0)
                {
                    packedA = workspace.A;
                    PackA(A.Offset(ic, Current.Pc), mc, Current.Kc, mr, packedA);
                }
                bool add = Accumulate || Current.Pc > 0;
                float* blockBias = Bias != null && Current.Pc == 0 ? Bias + Current.Jc : null;
                Macro<TKernel>(mc, jr0, jr1, Current.Kc, packedA, Current.PackedB, C + ic * Ldc + Current.Jc, Ldc, add, blockBias, workspace.Tile,
                    Shape.At(ic, Current.Jc, Current.Pc));
            }
        }

        /// <summary>Packs units [from, to) of a block: its B panels, then (when its row blocks share them) the tiles of A.</summary>
        private readonly void Pack(Block block, int from, int to)
        {
            int mr = TKernel.Rows, nr = TKernel.Columns;
            int first = Math.Min(from, block.Panels), last = Math.Min(to, block.Panels);
            int column = first * nr, end = Math.Min(block.Nc, last * nr);
            if (column < end) PackB(B.Offset(block.Pc, block.Jc + column), block.Kc, end - column, nr, block.PackedB + (long)column * block.Kc);
            int row = Math.Max(from - block.Panels, 0) * mr, rowEnd = Math.Min(M, (to - block.Panels) * mr);
            if (row < rowEnd) PackA(A.Offset(row, block.Pc), rowEnd - row, block.Kc, mr, block.PackedA + (long)row * block.Kc);
        }
    }

    /// <summary>A column and depth block of a shared product, and where its panels are packed.</summary>
    private readonly struct Block(int jc, int nc, int panels, int groups, int sharedTiles, int pc, int kc, float* packedB, float* packedA)
    {
        public readonly int Jc = jc, Nc = nc, Panels = panels, Groups = groups, SharedTiles = sharedTiles, Pc = pc, Kc = kc;
        public readonly float* PackedB = packedB, PackedA = packedA;
    }

    /// <summary>
    /// A product with few rows and many columns (a training step's activations against a weight): all of A is packed in one
    /// parallel pass, then each task takes a slice of B's columns, packs it one depth block at a time into its own thread's
    /// workspace and runs it against every row. Two passes per product instead of two per depth and column block, and each
    /// slice of B is packed by the thread that uses it. Every element of C is summed in the same order as in <see cref="Serial"/>.
    /// </summary>
    private static void Slices<TKernel>(int m, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long ldc, bool accumulate, float* bias,
        Structure shape, int slicePanels)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Rows, nr = TKernel.Columns, kcMax = Math.Min(TKernel.DepthBlock, k);
        int tiles = (m + mr - 1) / mr, rows = tiles * mr, depthBlocks = (k + kcMax - 1) / kcMax;
        // Depth block d of A starts at d·kcMax·rows: its tiles' panels, each mr×kc.
        float* packedA = Workspace.ForCurrentThread(0, (long)rows * k, 0).B;
        CpuParallel.For((long)depthBlocks * tiles, 1, new PackRows<TKernel> { M = m, K = k, Tiles = tiles, Rows = rows, KcMax = kcMax, A = a, PackedA = packedA });
        int sliceColumns = slicePanels * nr, slices = (n + sliceColumns - 1) / sliceColumns;
        CpuParallel.ForEach(slices, new SliceTasks<TKernel>
        {
            M = m, N = n, K = k, Rows = rows, KcMax = kcMax, SliceColumns = sliceColumns, B = b, PackedA = packedA, C = c, Ldc = ldc,
            Accumulate = accumulate, Bias = bias, Shape = shape,
        });
    }

    /// <summary>The first pass of <see cref="Slices"/>: packs A's tiles, depth block by depth block.</summary>
    private struct PackRows<TKernel> : IRangeBody where TKernel : struct, IMicroKernel
    {
        public int M, K, Tiles, Rows, KcMax;
        public StridedMatrix A;
        public float* PackedA;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long first, long last)
        {
            int mr = TKernel.Rows;
            for (long task = first; task < last; task++)
            {
                int pc = (int)(task / Tiles) * KcMax, row = (int)(task % Tiles) * mr, kc = Math.Min(KcMax, K - pc);
                PackA(A.Offset(row, pc), Math.Min(mr, M - row), kc, mr, PackedA + (long)pc * Rows + (long)row * kc);
            }
        }
    }

    /// <summary>The second pass of <see cref="Slices"/>: each task packs a slice of B's columns and runs it against every row.</summary>
    private struct SliceTasks<TKernel> : IRangeBody where TKernel : struct, IMicroKernel
    {
        public int M, N, K, Rows, KcMax, SliceColumns;
        public StridedMatrix B;
        public float* PackedA, C, Bias;
        public long Ldc;
        public bool Accumulate;
        public Structure Shape;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long first, long last)
        {
            int mr = TKernel.Rows, nr = TKernel.Columns;
            Workspace workspace = Workspace.ForCurrentThread((long)SliceColumns * KcMax, 0, mr * nr);
            for (long slice = first; slice < last; slice++)
            {
                int j0 = (int)slice * SliceColumns, width = Math.Min(SliceColumns, N - j0);
                for (int pc = 0; pc < K; pc += KcMax)
                {
                    int kc = Math.Min(KcMax, K - pc);
                    PackB(B.Offset(pc, j0), kc, width, nr, workspace.A);
                    Macro<TKernel>(M, 0, width, kc, PackedA + (long)pc * Rows, workspace.A, C + j0, Ldc, Accumulate || pc > 0,
                        Bias != null && pc == 0 ? Bias + j0 : null, workspace.Tile, Shape.At(0, j0, pc));
                }
            }
        }
    }

    /// <summary>Where share <paramref name="index"/> of <paramref name="count"/> near-equal shares of <paramref name="total"/> units begins.</summary>
    private static int Share(int total, int count, int index) => (int)((long)total * index / count);

    /// <summary>One product on the calling thread: the five loops around the micro-kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Serial<TKernel>(int m, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long ldc, bool accumulate, float* bias, Structure shape)
        where TKernel : struct, IMicroKernel
    {
        if (k == 0)
        {
            for (int i = 0; i < m; i++)
            {
                var row = new Span<float>(c + i * ldc, n);
                if (!accumulate) row.Clear();
                if (bias != null) TensorPrimitives.Add(row, new ReadOnlySpan<float>(bias, n), row);
            }
            return;
        }
        int mr = TKernel.Rows, nr = TKernel.Columns;
        int kcMax = Math.Min(TKernel.DepthBlock, k), mcMax = Math.Min(TKernel.RowBlock, RoundUp(m, mr)), ncMax = Math.Min(TKernel.ColumnBlock, RoundUp(n, nr));
        Workspace workspace = Workspace.ForCurrentThread((long)mcMax * kcMax, (long)ncMax * kcMax, mr * nr);
        float* packedA = workspace.A, packedB = workspace.B, tile = workspace.Tile;
        for (int jc = 0; jc < n; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                PackB(b.Offset(pc, jc), kc, nc, nr, packedB);
                bool add = accumulate || pc > 0;
                for (int ic = 0; ic < m; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m - ic);
                    PackA(a.Offset(ic, pc), mc, kc, mr, packedA);
                    Macro<TKernel>(mc, 0, nc, kc, packedA, packedB, c + ic * ldc + jc, ldc, add, bias != null && pc == 0 ? bias + jc : null, tile,
                        shape.At(ic, jc, pc));
                }
            }
        }
    }

    /// <summary>
    /// The two loops around the micro-kernel: an mc×kc block of packed A against the packed B panels of columns
    /// [<paramref name="jr0"/>, <paramref name="jr1"/>) of the block, into C (whose column 0 is the block's first column). A causal
    /// <paramref name="shape"/> skips the depth steps where A is zero and the tiles above C's diagonal.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Macro<TKernel>(int mc, int jr0, int jr1, int kc, float* packedA, float* packedB, float* c, long ldc, bool add, float* bias, float* tile,
        Structure shape)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        for (int jr = jr0; jr < jr1; jr += nr)
        {
            int columns = Math.Min(nr, jr1 - jr);
            float* panelB = packedB + (long)jr * kc;
            float* tileBias = bias == null ? null : bias + jr;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                float* target = c + ir * ldc + jr;
                var (skip, first, depth) = shape.Tile(ir, rows, jr, kc);
                if (skip)
                {
                    if (!add) StoreEdge(null, 0, target, ldc, rows, columns, false, tileBias);
                    continue;
                }
                float* panelA = packedA + (long)ir * kc + (long)first * mr;
                if (rows == mr && columns == nr)
                {
                    TKernel.Run(depth, panelA, panelB + (long)first * nr, target, ldc, add, tileBias);
                }
                else
                {
                    TKernel.Run(depth, panelA, panelB + (long)first * nr, tile, nr, false, null);
                    StoreEdge(tile, nr, target, ldc, rows, columns, add, tileBias);
                }
            }
        }
    }

    /// <summary>
    /// Which parts of a causal product (top-left aligned, row i ↔ column i) may be skipped, seen from one block of C: its first
    /// row, first column and first depth step within the whole product.
    /// </summary>
    private readonly struct Structure(CausalProduct? causal, int row = 0, int column = 0, int step = 0)
    {
        /// <summary>The structure seen from the block that starts at (<paramref name="blockRow"/>, <paramref name="blockColumn"/>), depth step <paramref name="blockStep"/>.</summary>
        public Structure At(int blockRow, int blockColumn, int blockStep) => new(causal, blockRow, blockColumn, blockStep);

        /// <summary>
        /// For the tile at block row <paramref name="tileRow"/> (<paramref name="rows"/> rows) and block column <paramref name="tileColumn"/>:
        /// whether it lies wholly above the diagonal of a lower-triangular result, and the range of the block's kc depth steps where
        /// A is not zero for any of its rows.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (bool Skip, int First, int Depth) Tile(int tileRow, int rows, int tileColumn, int kc)
        {
            int firstRow = row + tileRow, lastRow = firstRow + rows - 1;
            switch (causal)
            {
                case CausalProduct.LowerResult:
                    return (column + tileColumn > lastRow, 0, kc);
                case CausalProduct.LowerLeft:
                    return (false, 0, Math.Clamp(lastRow + 1 - step, 0, kc));
                case CausalProduct.UpperLeft:
                    int first = Math.Clamp(firstRow - step, 0, kc);
                    return (false, first, kc - first);
                default:
                    return (false, 0, kc);
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>
    /// Writes (or adds) the top-left rows×columns of an edge tile computed into <paramref name="tile"/> (zeros when it is null), plus
    /// the bias when given.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreEdge(float* tile, int tileStride, float* c, long ldc, int rows, int columns, bool add, float* bias)
    {
        for (int r = 0; r < rows; r++)
        {
            float* source = tile + r * tileStride, target = c + r * ldc;
            for (int j = 0; j < columns; j++)
            {
                float value = tile == null ? 0 : source[j];
                if (add) value += target[j];
                if (bias != null) value += bias[j];
                target[j] = value;
            }
        }
    }

    /// <summary>
    /// Packs a rows×depth block of A into panels of <paramref name="mr"/> rows: panel q holds, for each p, the mr values
    /// A[q·mr + r, p] one after another (zero past the last row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(StridedMatrix a, int rows, int depth, int mr, float* packed)
    {
        long rs = a.RowStride, cs = a.ColumnStride;
        for (int i0 = 0; i0 < rows; i0 += mr)
        {
            int height = Math.Min(mr, rows - i0);
            float* panel = packed + (long)i0 * depth;
            float* source = a.Data + i0 * rs;
            if (cs == 1 && height == mr && mr % 6 == 0)
            {
                PackRowMajorPanel(source, rs, depth, mr, panel);
                continue;
            }
            if (rs == 1 && height == mr)
            {
                // A transposed row-major A: each step's mr values are one contiguous run.
                for (int p = 0; p < depth; p++) CopyRun(source + p * cs, panel + p * mr, mr);
                continue;
            }
            for (int p = 0; p < depth; p++)
            {
                float* column = source + p * cs;
                for (int r = 0; r < height; r++) panel[p * mr + r] = column[r * rs];
            }
            if (height < mr)
            {
                for (int p = 0; p < depth; p++) new Span<float>(panel + p * mr + height, mr - height).Clear();
            }
        }
    }

    /// <summary>
    /// Packs mr (a multiple of 6) full rows of a row-major A, six rows at a time. With AVX and mr = 6 the panel is written by
    /// 8×8 transposes whose 8-float stores at stride 6 each write one step's six values and two of the next step, which a
    /// later store overwrites; the last steps are left to the scalar loop, so nothing is written past the panel (another
    /// thread may be packing the next one). With AVX and mr = 12, an 8×8 and a 4×8 transpose write each step's twelve values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRowMajorPanel(float* source, long rs, int depth, int mr, float* panel)
    {
        int p = 0;
        if (mr == 6 && Avx.IsSupported)
        {
            for (; p + 8 < depth; p += 8) TransposeSixRows(source + p, rs, panel + p * 6);
        }
        else if (mr == 12 && Avx.IsSupported)
        {
            for (; p + 8 <= depth; p += 8)
            {
                Transpose8x8(source + p, rs, panel + p * 12, 12);
                TransposeFourRows(source + 8 * rs + p, rs, panel + p * 12 + 8, 12);
            }
        }
        for (int r0 = 0; r0 < mr; r0 += 6)
        {
            float* a0 = source + r0 * rs, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs, a4 = a3 + rs, a5 = a4 + rs;
            for (int q = p; q < depth; q++)
            {
                float* o = panel + q * mr + r0;
                o[0] = a0[q];
                o[1] = a1[q];
                o[2] = a2[q];
                o[3] = a3[q];
                o[4] = a4[q];
                o[5] = a5[q];
            }
        }
    }

    /// <summary>Copies a short run of <paramref name="count"/> floats (a panel's row or step) with the widest vectors that fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun(float* source, float* destination, int count)
    {
        int i = 0;
        for (; Vector256.IsHardwareAccelerated && i + 8 <= count; i += 8) Vector256.Store(Vector256.Load(source + i), destination + i);
        for (; i + 4 <= count; i += 4) Vector128.Store(Vector128.Load(source + i), destination + i);
        for (; i < count; i++) destination[i] = source[i];
    }

    /// <summary>
    /// Packs a depth×columns block of B into panels of <paramref name="nr"/> columns: panel q holds, for each p, the nr values
    /// B[p, q·nr + j] one after another (zero past the last column).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(StridedMatrix b, int depth, int columns, int nr, float* packed)
    {
        long rs = b.RowStride, cs = b.ColumnStride;
        int full = columns / nr * nr;
        if (cs == 1)
        {
            // Row-major B: bands of 16 rows, so rows are read in order while each panel receives whole cache lines.
            for (int p0 = 0; p0 < depth; p0 += 16)
            {
                int p1 = Math.Min(depth, p0 + 16);
                for (int j0 = 0; j0 < full; j0 += nr)
                {
                    float* panel = packed + (long)j0 * depth;
                    for (int p = p0; p < p1; p++) CopyRun(b.Data + p * rs + j0, panel + p * nr, nr);
                }
            }
        }
        else if (rs == 1 && Avx.IsSupported)
        {
            // A transposed B (a linear layer's weight): 8×8 transposes of its contiguous columns.
            for (int j0 = 0; j0 < full; j0 += nr)
            {
                float* panel = packed + (long)j0 * depth, source = b.Data + j0 * cs;
                int p = 0;
                for (; p + 8 <= depth; p += 8)
                {
                    for (int j = 0; j < nr; j += 8) Transpose8x8(source + j * cs + p, cs, panel + p * nr + j, nr);
                }
                for (int j = 0; j < nr; j++)
                {
                    for (int q = p; q < depth; q++) panel[q * nr + j] = source[j * cs + q];
                }
            }
        }
        else
        {
            full = 0;
        }
        for (int j0 = full; j0 < columns; j0 += nr)
        {
            int width = Math.Min(nr, columns - j0);
            float* panel = packed + (long)j0 * depth, source = b.Data + j0 * cs;
            for (int p = 0; p < depth; p++)
            {
                for (int j = 0; j < width; j++) panel[p * nr + j] = source[p * rs + j * cs];
                for (int j = width; j < nr; j++) panel[p * nr + j] = 0;
            }
        }
    }

    /// <summary>Writes the transpose of the 8×8 block at <paramref name="source"/> (rows <paramref name="sourceStride"/> apart) to <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, long sourceStride, float* destination, long destinationStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * sourceStride), r3 = Avx.LoadVector256(source + 3 * sourceStride);
        Vector256<float> r4 = Avx.LoadVector256(source + 4 * sourceStride), r5 = Avx.LoadVector256(source + 5 * sourceStride);
        Vector256<float> r6 = Avx.LoadVector256(source + 6 * sourceStride), r7 = Avx.LoadVector256(source + 7 * sourceStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        StoreTransposed(t0, t1, t2, t3, t4, t5, t6, t7, destination, destinationStride);
    }

    /// <summary>Writes the transpose of the 4×8 block at <paramref name="source"/> (rows <paramref name="sourceStride"/> apart): 8 runs of 4 floats, <paramref name="destinationStride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeFourRows(float* source, long sourceStride, float* destination, long destinationStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * sourceStride), r3 = Avx.LoadVector256(source + 3 * sourceStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        // u0 holds steps 0 and 4, u1 steps 1 and 5, u2 steps 2 and 6, u3 steps 3 and 7 (one 128-bit half each).
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Sse.Store(destination, u0.GetLower());
        Sse.Store(destination + destinationStride, u1.GetLower());
        Sse.Store(destination + 2 * destinationStride, u2.GetLower());
        Sse.Store(destination + 3 * destinationStride, u3.GetLower());
        Sse.Store(destination + 4 * destinationStride, u0.GetUpper());
        Sse.Store(destination + 5 * destinationStride, u1.GetUpper());
        Sse.Store(destination + 6 * destinationStride, u2.GetUpper());
        Sse.Store(destination + 7 * destinationStride, u3.GetUpper());
    }

    /// <summary>The transpose of 8 steps of six rows (rows 4 and 5 stand in for the missing 6 and 7), as 8-float stores at stride 6.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeSixRows(float* source, long sourceStride, float* destination)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * sourceStride), r3 = Avx.LoadVector256(source + 3 * sourceStride);
        Vector256<float> r4 = Avx.LoadVector256(source + 4 * sourceStride), r5 = Avx.LoadVector256(source + 5 * sourceStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        StoreTransposed(t0, t1, t2, t3, t4, t5, t4, t5, destination, 6);
    }

    /// <summary>The second and third stages of an 8×8 transpose from the row pairs' unpacked halves; stores row i at i·stride, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTransposed(Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> t3,
        Vector256<float> t4, Vector256<float> t5, Vector256<float> t6, Vector256<float> t7, float* destination, long stride)
    {
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(destination, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(destination + stride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(destination + 2 * stride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(destination + 3 * stride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(destination + 4 * stride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(destination + 5 * stride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(destination + 6 * stride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(destination + 7 * stride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// Asks for the cache lines of a C tile to be brought into L1 before the micro-kernel's depth loop, so the misses on C
    /// (which no longer fits in L2 for large products) overlap the arithmetic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, long ldc, int rows, int columns)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++)
        {
            float* row = c + r * ldc;
            for (int j = 0; j < columns; j += 16) Sse.Prefetch0(row + j);
            Sse.Prefetch0(row + columns - 1);
        }
    }

    /// <summary>
    /// A register-blocked kernel: C[Rows×Columns] (+)= Apanel·Bpanel over <c>depth</c> packed steps, and its blocking. The
    /// kernels below take two depth steps per loop iteration, which keeps the loop's own instructions out of the way of the FMAs.
    /// </summary>
    private interface IMicroKernel
    {
        /// <summary>MR: rows of a tile.</summary>
        static abstract int Rows { get; }

        /// <summary>NR: columns of a tile.</summary>
        static abstract int Columns { get; }

        /// <summary>KC: the depth of one packed block (a KC×NR panel of B should fit in L1).</summary>
        static abstract int DepthBlock { get; }

        /// <summary>MC: rows of one packed block of A (an MC×KC block should fit in L2).</summary>
        static abstract int RowBlock { get; }

        /// <summary>NC: columns of one packed block of B.</summary>
        static abstract int ColumnBlock { get; }

        /// <summary>
        /// C (+)= A·B for one tile (+ the Columns-vector bias on every row when not null): a holds depth×Rows values, b
        /// depth×Columns, c is row-major with stride ldc.
        /// </summary>
        static abstract void Run(int depth, float* a, float* b, float* c, long ldc, bool accumulate, float* bias);
    }

    private struct Kernel6x8 : IMicroKernel
    {
        public static int Rows => 6;

        public static int Columns => 8;

        public static int DepthBlock => 256;

        public static int RowBlock => 120;

        public static int ColumnBlock => 2048;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(int depth, float* a, float* b, float* c, long ldc, bool accumulate, float* bias)
        {
            Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            PrefetchTile(c, ldc, 6, 8);
            int p = 0;
            for (; p + 2 <= depth; p += 2)
            {
                Vector128<float> b0 = Vector128.Load(b), b1 = Vector128.Load(b + 4);
                Vector128<float> x = Vector128.Create(a[0]);
                c00 = Vector128.MultiplyAddEstimate(x, b0, c00);
                c01 = Vector128.MultiplyAddEstimate(x, b1, c01);
                x = Vector128.Create(a[1]);
                c10 = Vector128.MultiplyAddEstimate(x, b0, c10);
                c11 = Vector128.MultiplyAddEstimate(x, b1, c11);
                x = Vector128.Create(a[2]);
                c20 = Vector128.MultiplyAddEstimate(x, b0, c20);
                c21 = Vector128.MultiplyAddEstimate(x, b1, c21);
                x = Vector128.Create(a[3]);
                c30 = Vector128.MultiplyAddEstimate(x, b0, c30);
                c31 = Vector128.MultiplyAddEstimate(x, b1, c31);
                x = Vector128.Create(a[4]);
                c40 = Vector128.MultiplyAddEstimate(x, b0, c40);
                c41 = Vector128.MultiplyAddEstimate(x, b1, c41);
                x = Vector128.Create(a[5]);
                c50 = Vector128.MultiplyAddEstimate(x, b0, c50);
                c51 = Vector128.MultiplyAddEstimate(x, b1, c51);
                b0 = Vector128.Load(b + 8);
                b1 = Vector128.Load(b + 12);
                x = Vector128.Create(a[6]);
                c00 = Vector128.MultiplyAddEstimate(x, b0, c00);
                c01 = Vector128.MultiplyAddEstimate(x, b1, c01);
                x = Vector128.Create(a[7]);
                c10 = Vector128.MultiplyAddEstimate(x, b0, c10);
                c11 = Vector128.MultiplyAddEstimate(x, b1, c11);
                x = Vector128.Create(a[8]);
                c20 = Vector128.MultiplyAddEstimate(x, b0, c20);
                c21 = Vector128.MultiplyAddEstimate(x, b1, c21);
                x = Vector128.Create(a[9]);
                c30 = Vector128.MultiplyAddEstimate(x, b0, c30);
                c31 = Vector128.MultiplyAddEstimate(x, b1, c31);
                x = Vector128.Create(a[10]);
                c40 = Vector128.MultiplyAddEstimate(x, b0, c40);
                c41 = Vector128.MultiplyAddEstimate(x, b1, c41);
                x = Vector128.Create(a[11]);
                c50 = Vector128.MultiplyAddEstimate(x, b0, c50);
                c51 = Vector128.MultiplyAddEstimate(x, b1, c51);
                a += 12;
                b += 16;
            }
            if (p < depth)
            {
                Vector128<float> b0 = Vector128.Load(b), b1 = Vector128.Load(b + 4);
                Vector128<float> x = Vector128.Create(a[0]);
                c00 = Vector128.MultiplyAddEstimate(x, b0, c00);
                c01 = Vector128.MultiplyAddEstimate(x, b1, c01);
                x = Vector128.Create(a[1]);
                c10 = Vector128.MultiplyAddEstimate(x, b0, c10);
                c11 = Vector128.MultiplyAddEstimate(x, b1, c11);
                x = Vector128.Create(a[2]);
                c20 = Vector128.MultiplyAddEstimate(x, b0, c20);
                c21 = Vector128.MultiplyAddEstimate(x, b1, c21);
                x = Vector128.Create(a[3]);
                c30 = Vector128.MultiplyAddEstimate(x, b0, c30);
                c31 = Vector128.MultiplyAddEstimate(x, b1, c31);
                x = Vector128.Create(a[4]);
                c40 = Vector128.MultiplyAddEstimate(x, b0, c40);
                c41 = Vector128.MultiplyAddEstimate(x, b1, c41);
                x = Vector128.Create(a[5]);
                c50 = Vector128.MultiplyAddEstimate(x, b0, c50);
                c51 = Vector128.MultiplyAddEstimate(x, b1, c51);
            }
            Store(c, c00, c01, accumulate, bias);
            Store(c + ldc, c10, c11, accumulate, bias);
            Store(c + 2 * ldc, c20, c21, accumulate, bias);
            Store(c + 3 * ldc, c30, c31, accumulate, bias);
            Store(c + 4 * ldc, c40, c41, accumulate, bias);
            Store(c + 5 * ldc, c50, c51, accumulate, bias);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(float* c, Vector128<float> v0, Vector128<float> v1, bool accumulate, float* bias)
        {
            if (accumulate)
            {
                v0 += Vector128.Load(c);
                v1 += Vector128.Load(c + 4);
            }
            if (bias != null)
            {
                v0 += Vector128.Load(bias);
                v1 += Vector128.Load(bias + 4);
            }
            v0.Store(c);
            v1.Store(c + 4);
        }
    }

    private struct Kernel6x16 : IMicroKernel
    {
        public static int Rows => 6;

        public static int Columns => 16;

        public static int DepthBlock => 384;

        public static int RowBlock => 144;

        public static int ColumnBlock => 2048;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(int depth, float* a, float* b, float* c, long ldc, bool accumulate, float* bias)
        {
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            PrefetchTile(c, ldc, 6, 16);
            int p = 0;
            for (; p + 2 <= depth; p += 2)
            {
                Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
                Vector256<float> x = Vector256.Create(a[0]);
                c00 = Vector256.MultiplyAddEstimate(x, b0, c00);
                c01 = Vector256.MultiplyAddEstimate(x, b1, c01);
                x = Vector256.Create(a[1]);
                c10 = Vector256.MultiplyAddEstimate(x, b0, c10);
                c11 = Vector256.MultiplyAddEstimate(x, b1, c11);
                x = Vector256.Create(a[2]);
                c20 = Vector256.MultiplyAddEstimate(x, b0, c20);
                c21 = Vector256.MultiplyAddEstimate(x, b1, c21);
                x = Vector256.Create(a[3]);
                c30 = Vector256.MultiplyAddEstimate(x, b0, c30);
                c31 = Vector256.MultiplyAddEstimate(x, b1, c31);
                x = Vector256.Create(a[4]);
                c40 = Vector256.MultiplyAddEstimate(x, b0, c40);
                c41 = Vector256.MultiplyAddEstimate(x, b1, c41);
                x = Vector256.Create(a[5]);
                c50 = Vector256.MultiplyAddEstimate(x, b0, c50);
                c51 = Vector256.MultiplyAddEstimate(x, b1, c51);
                b0 = Vector256.Load(b + 16);
                b1 = Vector256.Load(b + 24);
                x = Vector256.Create(a[6]);
                c00 = Vector256.MultiplyAddEstimate(x, b0, c00);
                c01 = Vector256.MultiplyAddEstimate(x, b1, c01);
                x = Vector256.Create(a[7]);
                c10 = Vector256.MultiplyAddEstimate(x, b0, c10);
                c11 = Vector256.MultiplyAddEstimate(x, b1, c11);
                x = Vector256.Create(a[8]);
                c20 = Vector256.MultiplyAddEstimate(x, b0, c20);
                c21 = Vector256.MultiplyAddEstimate(x, b1, c21);
                x = Vector256.Create(a[9]);
                c30 = Vector256.MultiplyAddEstimate(x, b0, c30);
                c31 = Vector256.MultiplyAddEstimate(x, b1, c31);
                x = Vector256.Create(a[10]);
                c40 = Vector256.MultiplyAddEstimate(x, b0, c40);
                c41 = Vector256.MultiplyAddEstimate(x, b1, c41);
                x = Vector256.Create(a[11]);
                c50 = Vector256.MultiplyAddEstimate(x, b0, c50);
                c51 = Vector256.MultiplyAddEstimate(x, b1, c51);
                a += 12;
                b += 32;
            }
            if (p < depth)
            {
                Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
                Vector256<float> x = Vector256.Create(a[0]);
                c00 = Vector256.MultiplyAddEstimate(x, b0, c00);
                c01 = Vector256.MultiplyAddEstimate(x, b1, c01);
                x = Vector256.Create(a[1]);
                c10 = Vector256.MultiplyAddEstimate(x, b0, c10);
                c11 = Vector256.MultiplyAddEstimate(x, b1, c11);
                x = Vector256.Create(a[2]);
                c20 = Vector256.MultiplyAddEstimate(x, b0, c20);
                c21 = Vector256.MultiplyAddEstimate(x, b1, c21);
                x = Vector256.Create(a[3]);
                c30 = Vector256.MultiplyAddEstimate(x, b0, c30);
                c31 = Vector256.MultiplyAddEstimate(x, b1, c31);
                x = Vector256.Create(a[4]);
                c40 = Vector256.MultiplyAddEstimate(x, b0, c40);
                c41 = Vector256.MultiplyAddEstimate(x, b1, c41);
                x = Vector256.Create(a[5]);
                c50 = Vector256.MultiplyAddEstimate(x, b0, c50);
                c51 = Vector256.MultiplyAddEstimate(x, b1, c51);
            }
            Store(c, c00, c01, accumulate, bias);
            Store(c + ldc, c10, c11, accumulate, bias);
            Store(c + 2 * ldc, c20, c21, accumulate, bias);
            Store(c + 3 * ldc, c30, c31, accumulate, bias);
            Store(c + 4 * ldc, c40, c41, accumulate, bias);
            Store(c + 5 * ldc, c50, c51, accumulate, bias);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, bool accumulate, float* bias)
        {
            if (accumulate)
            {
                v0 += Vector256.Load(c);
                v1 += Vector256.Load(c + 8);
            }
            if (bias != null)
            {
                v0 += Vector256.Load(bias);
                v1 += Vector256.Load(bias + 8);
            }
            v0.Store(c);
            v1.Store(c + 8);
        }
    }

    private struct Kernel12x32 : IMicroKernel
    {
        public static int Rows => 12;

        public static int Columns => 32;

        public static int DepthBlock => 192;

        public static int RowBlock => 144;

        public static int ColumnBlock => 2048;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(int depth, float* a, float* b, float* c, long ldc, bool accumulate, float* bias)
        {
            Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
            Vector512<float> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
            PrefetchTile(c, ldc, 12, 32);
            int p = 0;
            for (; p + 2 <= depth; p += 2)
            {
                Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
                Vector512<float> x = Vector512.Create(a[0]);
                c00 = Vector512.MultiplyAddEstimate(x, b0, c00);
                c01 = Vector512.MultiplyAddEstimate(x, b1, c01);
                x = Vector512.Create(a[1]);
                c10 = Vector512.MultiplyAddEstimate(x, b0, c10);
                c11 = Vector512.MultiplyAddEstimate(x, b1, c11);
                x = Vector512.Create(a[2]);
                c20 = Vector512.MultiplyAddEstimate(x, b0, c20);
                c21 = Vector512.MultiplyAddEstimate(x, b1, c21);
                x = Vector512.Create(a[3]);
                c30 = Vector512.MultiplyAddEstimate(x, b0, c30);
                c31 = Vector512.MultiplyAddEstimate(x, b1, c31);
                x = Vector512.Create(a[4]);
                c40 = Vector512.MultiplyAddEstimate(x, b0, c40);
                c41 = Vector512.MultiplyAddEstimate(x, b1, c41);
                x = Vector512.Create(a[5]);
                c50 = Vector512.MultiplyAddEstimate(x, b0, c50);
                c51 = Vector512.MultiplyAddEstimate(x, b1, c51);
                x = Vector512.Create(a[6]);
                c60 = Vector512.MultiplyAddEstimate(x, b0, c60);
                c61 = Vector512.MultiplyAddEstimate(x, b1, c61);
                x = Vector512.Create(a[7]);
                c70 = Vector512.MultiplyAddEstimate(x, b0, c70);
                c71 = Vector512.MultiplyAddEstimate(x, b1, c71);
                x = Vector512.Create(a[8]);
                c80 = Vector512.MultiplyAddEstimate(x, b0, c80);
                c81 = Vector512.MultiplyAddEstimate(x, b1, c81);
                x = Vector512.Create(a[9]);
                c90 = Vector512.MultiplyAddEstimate(x, b0, c90);
                c91 = Vector512.MultiplyAddEstimate(x, b1, c91);
                x = Vector512.Create(a[10]);
                ca0 = Vector512.MultiplyAddEstimate(x, b0, ca0);
                ca1 = Vector512.MultiplyAddEstimate(x, b1, ca1);
                x = Vector512.Create(a[11]);
                cb0 = Vector512.MultiplyAddEstimate(x, b0, cb0);
                cb1 = Vector512.MultiplyAddEstimate(x, b1, cb1);
                b0 = Vector512.Load(b + 32);
                b1 = Vector512.Load(b + 48);
                x = Vector512.Create(a[12]);
                c00 = Vector512.MultiplyAddEstimate(x, b0, c00);
                c01 = Vector512.MultiplyAddEstimate(x, b1, c01);
                x = Vector512.Create(a[13]);
                c10 = Vector512.MultiplyAddEstimate(x, b0, c10);
                c11 = Vector512.MultiplyAddEstimate(x, b1, c11);
                x = Vector512.Create(a[14]);
                c20 = Vector512.MultiplyAddEstimate(x, b0, c20);
                c21 = Vector512.MultiplyAddEstimate(x, b1, c21);
                x = Vector512.Create(a[15]);
                c30 = Vector512.MultiplyAddEstimate(x, b0, c30);
                c31 = Vector512.MultiplyAddEstimate(x, b1, c31);
                x = Vector512.Create(a[16]);
                c40 = Vector512.MultiplyAddEstimate(x, b0, c40);
                c41 = Vector512.MultiplyAddEstimate(x, b1, c41);
                x = Vector512.Create(a[17]);
                c50 = Vector512.MultiplyAddEstimate(x, b0, c50);
                c51 = Vector512.MultiplyAddEstimate(x, b1, c51);
                x = Vector512.Create(a[18]);
                c60 = Vector512.MultiplyAddEstimate(x, b0, c60);
                c61 = Vector512.MultiplyAddEstimate(x, b1, c61);
                x = Vector512.Create(a[19]);
                c70 = Vector512.MultiplyAddEstimate(x, b0, c70);
                c71 = Vector512.MultiplyAddEstimate(x, b1, c71);
                x = Vector512.Create(a[20]);
                c80 = Vector512.MultiplyAddEstimate(x, b0, c80);
                c81 = Vector512.MultiplyAddEstimate(x, b1, c81);
                x = Vector512.Create(a[21]);
                c90 = Vector512.MultiplyAddEstimate(x, b0, c90);
                c91 = Vector512.MultiplyAddEstimate(x, b1, c91);
                x = Vector512.Create(a[22]);
                ca0 = Vector512.MultiplyAddEstimate(x, b0, ca0);
                ca1 = Vector512.MultiplyAddEstimate(x, b1, ca1);
                x = Vector512.Create(a[23]);
                cb0 = Vector512.MultiplyAddEstimate(x, b0, cb0);
                cb1 = Vector512.MultiplyAddEstimate(x, b1, cb1);
                a += 24;
                b += 64;
            }
            if (p < depth)
            {
                Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
                Vector512<float> x = Vector512.Create(a[0]);
                c00 = Vector512.MultiplyAddEstimate(x, b0, c00);
                c01 = Vector512.MultiplyAddEstimate(x, b1, c01);
                x = Vector512.Create(a[1]);
                c10 = Vector512.MultiplyAddEstimate(x, b0, c10);
                c11 = Vector512.MultiplyAddEstimate(x, b1, c11);
                x = Vector512.Create(a[2]);
                c20 = Vector512.MultiplyAddEstimate(x, b0, c20);
                c21 = Vector512.MultiplyAddEstimate(x, b1, c21);
                x = Vector512.Create(a[3]);
                c30 = Vector512.MultiplyAddEstimate(x, b0, c30);
                c31 = Vector512.MultiplyAddEstimate(x, b1, c31);
                x = Vector512.Create(a[4]);
                c40 = Vector512.MultiplyAddEstimate(x, b0, c40);
                c41 = Vector512.MultiplyAddEstimate(x, b1, c41);
                x = Vector512.Create(a[5]);
                c50 = Vector512.MultiplyAddEstimate(x, b0, c50);
                c51 = Vector512.MultiplyAddEstimate(x, b1, c51);
                x = Vector512.Create(a[6]);
                c60 = Vector512.MultiplyAddEstimate(x, b0, c60);
                c61 = Vector512.MultiplyAddEstimate(x, b1, c61);
                x = Vector512.Create(a[7]);
                c70 = Vector512.MultiplyAddEstimate(x, b0, c70);
                c71 = Vector512.MultiplyAddEstimate(x, b1, c71);
                x = Vector512.Create(a[8]);
                c80 = Vector512.MultiplyAddEstimate(x, b0, c80);
                c81 = Vector512.MultiplyAddEstimate(x, b1, c81);
                x = Vector512.Create(a[9]);
                c90 = Vector512.MultiplyAddEstimate(x, b0, c90);
                c91 = Vector512.MultiplyAddEstimate(x, b1, c91);
                x = Vector512.Create(a[10]);
                ca0 = Vector512.MultiplyAddEstimate(x, b0, ca0);
                ca1 = Vector512.MultiplyAddEstimate(x, b1, ca1);
                x = Vector512.Create(a[11]);
                cb0 = Vector512.MultiplyAddEstimate(x, b0, cb0);
                cb1 = Vector512.MultiplyAddEstimate(x, b1, cb1);
            }
            Store(c, c00, c01, accumulate, bias);
            Store(c + ldc, c10, c11, accumulate, bias);
            Store(c + 2 * ldc, c20, c21, accumulate, bias);
            Store(c + 3 * ldc, c30, c31, accumulate, bias);
            Store(c + 4 * ldc, c40, c41, accumulate, bias);
            Store(c + 5 * ldc, c50, c51, accumulate, bias);
            Store(c + 6 * ldc, c60, c61, accumulate, bias);
            Store(c + 7 * ldc, c70, c71, accumulate, bias);
            Store(c + 8 * ldc, c80, c81, accumulate, bias);
            Store(c + 9 * ldc, c90, c91, accumulate, bias);
            Store(c + 10 * ldc, ca0, ca1, accumulate, bias);
            Store(c + 11 * ldc, cb0, cb1, accumulate, bias);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate, float* bias)
        {
            if (accumulate)
            {
                v0 += Vector512.Load(c);
                v1 += Vector512.Load(c + 16);
            }
            if (bias != null)
            {
                v0 += Vector512.Load(bias);
                v1 += Vector512.Load(bias + 16);
            }
            v0.Store(c);
            v1.Store(c + 16);
        }
    }

    /// <summary>
    /// One thread's packing buffers (64-byte aligned native memory), kept for the thread's lifetime and grown on demand, so
    /// products do not allocate in the steady state. The finalizer frees them when the thread ends.
    /// </summary>
    private sealed class Workspace
    {
        [ThreadStatic]
        private static Workspace? current;

        private long capacityA, capacityB, capacityTile;

        public float* A { get; private set; }

        public float* B { get; private set; }

        public float* Tile { get; private set; }

        public static Workspace ForCurrentThread(long floatsA, long floatsB, long floatsTile)
        {
            Workspace workspace = current ??= new Workspace();
            if (floatsA > workspace.capacityA) workspace.A = Grow(workspace.A, floatsA, ref workspace.capacityA);
            if (floatsB > workspace.capacityB) workspace.B = Grow(workspace.B, floatsB, ref workspace.capacityB);
            if (floatsTile > workspace.capacityTile) workspace.Tile = Grow(workspace.Tile, floatsTile, ref workspace.capacityTile);
            return workspace;
        }

        /// <summary>A 64-byte aligned buffer of <paramref name="floats"/> floats.</summary>
        private static float* Grow(float* buffer, long floats, ref long capacity)
        {
            NativeMemory.AlignedFree(buffer);
            capacity = floats;
            return (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        }

        ~Workspace()
        {
            NativeMemory.AlignedFree(A);
            NativeMemory.AlignedFree(B);
            NativeMemory.AlignedFree(Tile);
        }
    }
}
