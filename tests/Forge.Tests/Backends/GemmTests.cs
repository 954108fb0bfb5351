using Forge.Backends;
using Forge.Backends.Cpu;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Backends;

/// <summary>
/// The blocked matrix product against a double-precision triple loop, for every micro-kernel (those the hardware does not
/// accelerate run in software), every transposition, odd and block-crossing sizes, accumulation and batches.
/// </summary>
public sealed unsafe class GemmTests
{
    private static readonly int[] OddSizes = [1, 7, 17, 33, 65, 127];

    public static TheoryData<string, bool, bool> KernelsAndLayouts()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (string kernel in Enum.GetNames<GemmKernel>())
        {
            foreach (bool transposeA in new[] { false, true })
                foreach (bool transposeB in new[] { false, true }) data.Add(kernel, transposeA, transposeB);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsAndLayouts))]
    public void MatchesNaiveProductOnOddSizes(string kernel, bool transposeA, bool transposeB)
    {
        var random = new Random(17);
        foreach (int m in OddSizes)
            foreach (int n in OddSizes)
                foreach (int k in OddSizes)
                {
                    if (m * n * k > 65 * 65 * 127) continue;
                    var a = Operand.Random(random, m, k, transposeA);
                    var b = Operand.Random(random, k, n, transposeB);
                    CheckProduct(kernel, a, b, accumulate: false, $"{m}x{k}x{n}");
                }
    }

    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (string kernel in Enum.GetNames<GemmKernel>()) data.Add(kernel);
        return data;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesNaiveProductAcrossCacheBlocksAndThreadSplits(string kernel)
    {
        var random = new Random(5);
        // Deeper than one depth block, taller than one row block, wider than one column block, and products large enough to be
        // shared by threads in blocks of rows and in groups of columns; the last shared over two column and two depth blocks,
        // each packed while the previous one runs.
        (int M, int K, int N)[] shapes = [(150, 300, 70), (3, 5, 2100), (289, 257, 33), (13, 170, 500), (500, 170, 13), (127, 129, 131),
            (40, 30, 2100), (64, 800, 100), (600, 390, 2100)];
        foreach (var (m, k, n) in shapes)
        {
            foreach (bool transposeA in new[] { false, true })
            {
                CheckProduct(kernel, Operand.Random(random, m, k, transposeA), Operand.Random(random, k, n, !transposeA), accumulate: false, $"{m}x{k}x{n}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SingleRowProductsMatchNaiveForBothWeightLayoutsWithBiasAndAccumulation(string kernel)
    {
        var random = new Random(21);
        // Decoding's products: one row times a Conv1D weight (row-major) or a Linear weight / tied head (transposed), large
        // enough to be split over threads (and into row chunks and column blocks), and a transposed (strided) left row.
        foreach (var (k, n) in new[] { (768, 2304), (300, 1300), (130, 4200), (65, 17) })
        {
            float[] bias = [.. Enumerable.Range(0, n).Select(i => (float)Math.Sin(i))];
            foreach (bool transposeB in new[] { false, true })
            {
                CheckProduct(kernel, Operand.Random(random, 1, k, false), Operand.Random(random, k, n, transposeB), accumulate: false, $"1x{k}x{n}");
                CheckProduct(kernel, Operand.Random(random, 1, k, true), Operand.Random(random, k, n, transposeB), accumulate: true, $"1x{k}x{n}", bias);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void FewRowProductsSplitIntoColumnSlicesMatchNaiveWithBiasAndAccumulation(string kernel)
    {
        var random = new Random(33);
        // A training step's activations against a weight: few row blocks, many column panels (threads take slices of B).
        const int m = 20, k = 300, n = 1500;
        float[] bias = [.. Enumerable.Range(0, n).Select(i => (float)Math.Cos(i))];
        foreach (bool transposeB in new[] { false, true })
        {
            CheckProduct(kernel, Operand.Random(random, m, k, false), Operand.Random(random, k, n, transposeB), accumulate: false, $"{m}x{k}x{n}");
            CheckProduct(kernel, Operand.Random(random, m, k, true), Operand.Random(random, k, n, transposeB), accumulate: true, $"{m}x{k}x{n}", bias);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void AccumulatesIntoTheResultWhenAsked(string kernel)
    {
        var random = new Random(9);
        foreach (var (m, k, n) in new[] { (7, 3, 5), (33, 300, 17), (65, 17, 127) })
        {
            CheckProduct(kernel, Operand.Random(random, m, k, false), Operand.Random(random, k, n, true), accumulate: true, $"{m}x{k}x{n}");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void AddsABiasToEveryRowAsTheProductIsStored(string kernel)
    {
        var random = new Random(13);
        // Full and edge tiles, several depth blocks, splits over threads, and an empty depth (the result is the bias alone).
        foreach (var (m, k, n) in new[] { (7, 3, 5), (33, 400, 17), (13, 170, 500), (500, 170, 13), (4, 0, 9) })
        {
            var bias = new float[n];
            for (int j = 0; j < n; j++) bias[j] = (float)(random.NextDouble() * 2 - 1);
            CheckProduct(kernel, Operand.Random(random, m, k, false), Operand.Random(random, k, n, true), accumulate: false, $"{m}x{k}x{n} with bias", bias);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void CausalProductsSkipOnlyZerosAndUnneededEntries(string kernel)
    {
        var random = new Random(21);
        // Square and rectangular, deeper than one depth block (400), and large enough to be shared by threads (130 x 400 x 130).
        foreach (var (m, k, n) in new[] { (37, 37, 37), (50, 37, 37), (37, 50, 50), (13, 400, 400), (400, 400, 13), (130, 400, 130) })
        {
            foreach (CausalProduct product in Enum.GetValues<CausalProduct>())
            {
                var a = Operand.Random(random, m, k, transposed: product == CausalProduct.UpperLeft);
                for (int i = 0; i < m; i++)
                    for (int p = 0; p < k; p++)
                    {
                        bool zero = product == CausalProduct.LowerLeft ? p > i : product == CausalProduct.UpperLeft && p < i;
                        if (zero) a.Data[a.Offset + i * a.RowStride + p * a.ColumnStride] = 0;
                    }
                var b = Operand.Random(random, k, n, transposed: product == CausalProduct.LowerResult);
                var c = new float[m * n];
                Array.Fill(c, float.NaN);
                fixed (float* pa = a.Data, pb = b.Data, pc = c)
                {
                    var left = new StridedMatrix(pa + a.Offset, 0, a.RowStride, a.ColumnStride);
                    var right = new StridedMatrix(pb + b.Offset, 0, b.RowStride, b.ColumnStride);
                    Gemm.Multiply(Enum.Parse<GemmKernel>(kernel), 1, m, n, k, left, right, pc, n, m * n, accumulate: false, causal: product);
                }
                // Above the diagonal of a lower result, entries are 0 where a whole tile was skipped and exact where it was not.
                AssertCausalMatches(a, b, c, product == CausalProduct.LowerResult, $"{kernel} {product} {m}x{k}x{n}");
            }
        }

        static void AssertCausalMatches(Operand a, Operand b, float[] c, bool lowerResult, string what)
        {
            int m = a.Rows, n = b.Columns, k = a.Columns;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double product = (double)a[i, p] * b[p, j];
                        sum += product;
                        magnitude += Math.Abs(product);
                    }
                    float value = c[i * n + j];
                    bool exact = Math.Abs(value - sum) <= 2 * (k + 1) * 6e-8 * magnitude + 1e-30;
                    Assert.True(exact || (lowerResult && j > i && value == 0), $"{what}: C[{i}, {j}] = {value}, expected {sum}");
                }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ReadsRowsWithPaddingAndAnEmptyDepthClearsTheResult(string kernel)
    {
        var random = new Random(11);
        // Rows of a wider matrix (like one of q, k, v split from a fused projection): row stride larger than the row.
        var a = Operand.Random(random, 20, 9, transposed: false, padding: 5);
        var b = Operand.Random(random, 9, 40, transposed: false, padding: 3);
        CheckProduct(kernel, a, b, accumulate: false, "padded");

        var c = new float[] { 1, 2, 3, 4, 5, 6 };
        fixed (float* pc = c)
        {
            Gemm.Multiply(Enum.Parse<GemmKernel>(kernel), 1, 2, 3, 0, default, default, pc, 3, 6, accumulate: false);
        }
        Assert.All(c, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void BatchedBroadcastAndTransposedTensorProductsMatchNaive()
    {
        var generator = new Generator(3);
        // A 2-D right operand folds the batch into one product; batch dimensions broadcast; transposed views are read in place.
        Check(Tensor.Randn([3, 33, 17], generator), Tensor.Randn([17, 65], generator));
        Check(Tensor.Randn([2, 3, 7, 17], generator), Tensor.Randn([3, 17, 9], generator));
        Check(Tensor.Randn([4, 17, 33], generator).MT, Tensor.Randn([4, 65, 17], generator).MT);
        Check(Tensor.Randn([1, 127, 7], generator), Tensor.Randn([5, 7, 65], generator));
        Check(Tensor.Randn([2, 16, 6, 8], generator).Transpose(1, 2), Tensor.Randn([2, 8, 6, 16], generator).Transpose(1, 2));

        static void Check(Tensor a, Tensor b)
        {
            Tensor actual = a.MatMul(b);
            int[] batch = Tensor.BroadcastShapes(a.Shape.ToArray().AsSpan(0, a.Dim - 2), b.Shape.ToArray().AsSpan(0, b.Dim - 2));
            int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
            float[] x = a.Expand([.. batch, m, k]).Contiguous().ToArray<float>();
            float[] y = b.Expand([.. batch, k, n]).Contiguous().ToArray<float>();
            float[] z = actual.ToArray<float>();
            int count = batch.Aggregate(1, (p, d) => p * d);
            Assert.Equal([.. batch, m, n], actual.Shape);
            for (int i = 0; i < count; i++)
            {
                var left = new Operand(x, m, k, i * m * k, k, 1);
                var right = new Operand(y, k, n, i * k * n, n, 1);
                AssertMatches(left, right, null, z.AsSpan(i * m * n, m * n), $"batch {i}");
            }
        }
    }

    /// <summary>Runs one product with <paramref name="kernel"/> and compares it with the double-precision loop.</summary>
    [CblasFact]
    public void SystemBlasMatchesTheExactProductForEveryLayoutWithBiasAndAccumulation()
    {
        SystemBlas blas = CblasFactAttribute.Library!;
        var random = new Random(23);
        foreach (var (m, k, n) in new[] { (1, 7, 5), (17, 33, 9), (65, 3, 127) })
            foreach (bool transposeA in new[] { false, true })
                foreach (bool transposeB in new[] { false, true })
                    foreach (bool accumulate in new[] { false, true })
                    {
                        var a = Operand.Random(random, m, k, transposeA, padding: 2);
                        var b = Operand.Random(random, k, n, transposeB, padding: 1);
                        float[]? bias = accumulate ? null : [.. Enumerable.Range(0, n).Select(j => j * 0.25f)];
                        CheckProduct((left, right, c, pbias) => Assert.True(blas.TryMultiply(1, m, n, k, left, right, c, n, m * n, accumulate, pbias)),
                            a, b, accumulate, $"{blas.Library} {m}x{k}x{n}", bias);
                    }
    }

    [CblasFact]
    public void SystemBlasRunsEveryMatrixOfABatchAndLeavesOperandsWithoutAUnitStrideToTheManagedGemm()
    {
        SystemBlas blas = CblasFactAttribute.Library!;
        float[] a = [1, 2, 3, 4, 5, 6, 7, 8], b = [1, 0, 0, 1, 2, 0, 0, 2], c = new float[8];
        fixed (float* pa = a, pb = b, pc = c)
        {
            // Two 2 × 2 products: [[1, 2], [3, 4]]·I and [[5, 6], [7, 8]]·2I.
            Assert.True(blas.TryMultiply(2, 2, 2, 2, new StridedMatrix(pa, 4, 2, 1), new StridedMatrix(pb, 4, 2, 1), pc, 2, 4, false, null));
            Assert.Equal([1f, 2f, 3f, 4f, 10f, 12f, 14f, 16f], c);
            Assert.False(blas.TryMultiply(1, 2, 2, 2, new StridedMatrix(pa, 0, 4, 2), new StridedMatrix(pb, 0, 2, 1), pc, 2, 4, false, null));
        }
        Assert.Equal([1f, 2f, 3f, 4f, 10f, 12f, 14f, 16f], c);
    }

    [Fact]
    public void ForgeBlasAcceptsManagedAndNamesWhatItCannotLoad()
    {
        Assert.Null(SystemBlas.FromSetting(null));
        Assert.Null(SystemBlas.FromSetting(" Managed "));
        var error = Assert.Throws<ForgeException>(() => SystemBlas.FromSetting("mkl"));
        Assert.Contains("FORGE_BLAS=mkl", error.Message, StringComparison.Ordinal);
        try
        {
            Assert.EndsWith("openblas.so.0", SystemBlas.FromSetting("openblas")!.Library, StringComparison.Ordinal);
        }
        catch (ForgeException missing)
        {
            Assert.Contains("install libopenblas0", missing.Message, StringComparison.Ordinal);
        }
        Assert.Equal("managed", CpuBackend.MatrixProductProvider);
    }

    private static void CheckProduct(string kernelName, Operand a, Operand b, bool accumulate, string what, float[]? bias = null)
    {
        GemmKernel kernel = Enum.Parse<GemmKernel>(kernelName);
        CheckProduct((left, right, c, pbias) => Gemm.Multiply(kernel, 1, a.Rows, b.Columns, a.Columns, left, right, c, b.Columns, a.Rows * b.Columns, accumulate, pbias),
            a, b, accumulate, $"{kernel} {what}", bias);
    }

    private delegate void Product(StridedMatrix left, StridedMatrix right, float* c, float* bias);

    /// <summary>Runs <paramref name="product"/> into a C of m × n (random first when <paramref name="accumulate"/>) and checks it.</summary>
    private static void CheckProduct(Product product, Operand a, Operand b, bool accumulate, string what, float[]? bias)
    {
        int m = a.Rows, n = b.Columns;
        var initial = new float[m * n];
        if (accumulate)
        {
            var random = new Random(m * 31 + n);
            for (int i = 0; i < initial.Length; i++) initial[i] = (float)(random.NextDouble() * 2 - 1);
        }
        var c = (float[])initial.Clone();
        fixed (float* pa = a.Data, pb = b.Data, pc = c, pbias = bias)
        {
            var left = new StridedMatrix(pa + a.Offset, 0, a.RowStride, a.ColumnStride);
            var right = new StridedMatrix(pb + b.Offset, 0, b.RowStride, b.ColumnStride);
            product(left, right, pc, pbias);
        }
        float[]? expectedStart = accumulate ? initial : null;
        if (bias is not null)
        {
            expectedStart = new float[m * n];
            for (int i = 0; i < m * n; i++) expectedStart[i] = (accumulate ? initial[i] : 0) + bias[i % n];
        }
        AssertMatches(a, b, expectedStart, c, $"{what}{(a.ColumnStride != 1 ? " Aᵀ" : "")}{(b.ColumnStride != 1 ? " Bᵀ" : "")}");
    }

    /// <summary>Each element within the float32 summation bound 2·k·ε·Σ|a·b| of the exact product.</summary>
    private static void AssertMatches(Operand a, Operand b, float[]? initial, ReadOnlySpan<float> actual, string what)
    {
        int m = a.Rows, n = b.Columns, k = a.Columns;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = initial?[i * n + j] ?? 0, magnitude = Math.Abs(sum);
                for (int p = 0; p < k; p++)
                {
                    double product = (double)a[i, p] * b[p, j];
                    sum += product;
                    magnitude += Math.Abs(product);
                }
                double tolerance = 2 * (k + 1) * 6e-8 * magnitude + 1e-30;
                float value = actual[i * n + j];
                Assert.True(Math.Abs(value - sum) <= tolerance, $"{what}: C[{i}, {j}] = {value:G9}, expected {sum:G9}");
            }
    }

    /// <summary>A rows×columns matrix stored row-major, or transposed (column-major), with optional padding after each stored row.</summary>
    private sealed record Operand(float[] Data, int Rows, int Columns, int Offset, long RowStride, long ColumnStride)
    {
        public float this[int r, int c] => Data[Offset + r * RowStride + c * ColumnStride];

        public static Operand Random(Random random, int rows, int columns, bool transposed, int padding = 0)
        {
            int storedRows = transposed ? columns : rows, storedColumns = Math.Max(1, (transposed ? rows : columns) + padding);
            var data = new float[storedRows * storedColumns + 1];
            for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
            return transposed
                ? new Operand(data, rows, columns, 1, 1, storedColumns)
                : new Operand(data, rows, columns, 1, storedColumns, 1);
        }
    }
}

/// <summary>Runs only where a CBLAS library (Debian's libblas3 or OpenBLAS) can be loaded.</summary>
public sealed class CblasFactAttribute : FactAttribute
{
    /// <summary>The first of libblas.so.3 and libopenblas.so.0 that loads, or null.</summary>
    internal static SystemBlas? Library { get; } = SystemBlas.Load("libblas.so.3") ?? SystemBlas.Load("libopenblas.so.0");

    public CblasFactAttribute()
    {
        if (Library is null) Skip = "Needs a CBLAS library (libblas.so.3 or libopenblas.so.0).";
    }
}

/// <summary>Runs alone, since it changes the kernel thread count.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountGroup
{
    public const string Name = "Thread count";
}

[Collection(ThreadCountGroup.Name)]
public sealed class GemmThreadingTests
{
    [Fact]
    public void ProductsAreBitwiseIdenticalForAnyThreadCount()
    {
        var generator = new Generator(8);
        Tensor[] lefts = [Tensor.Randn([200, 300], generator), Tensor.Randn([3, 40, 300], generator), Tensor.Randn([300, 13], generator).MT,
            Tensor.Randn([50, 900], generator), Tensor.Randn([1, 900], generator), Tensor.Randn([1, 700], generator), Tensor.Randn([50, 20000], generator)];
        Tensor[] rights = [Tensor.Randn([300, 190], generator), Tensor.Randn([3, 300, 90], generator), Tensor.Randn([300, 500], generator),
            Tensor.Randn([900, 2100], generator), Tensor.Randn([900, 2100], generator), Tensor.Randn([3000, 700], generator).MT,
            Tensor.Randn([20000, 300], generator)];
        int saved = CpuParallel.Threads;
        try
        {
            for (int i = 0; i < lefts.Length; i++)
            {
                CpuParallel.Threads = 1;
                float[] reference = lefts[i].MatMul(rights[i]).ToArray<float>();
                foreach (int threads in new[] { 2, 3, 4 })
                {
                    CpuParallel.Threads = threads;
                    Assert.Equal(reference, lefts[i].MatMul(rights[i]).ToArray<float>());
                }
            }
        }
        finally
        {
            CpuParallel.Threads = saved;
        }
    }
}
