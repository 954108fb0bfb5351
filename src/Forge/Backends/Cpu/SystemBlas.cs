using System.Runtime.InteropServices;

namespace Forge.Backends.Cpu;

/// <summary>
/// An optional matrix-product provider: a system CBLAS library's <c>cblas_sgemm</c>, called through a function pointer. Chosen
/// with <c>FORGE_BLAS=openblas</c> (which loads OpenBLAS, <c>libopenblas.so.0</c> on Debian's <c>libopenblas0</c>); unset or
/// <c>managed</c>, Forge's own GEMM runs and no native library is needed. Products it cannot express (causal products,
/// operands without a unit stride) still run managed.
/// </summary>
internal sealed unsafe class SystemBlas
{
    private const int RowMajor = 101, NoTranspose = 111, Transpose = 112;

    private static readonly string[] OpenBlasNames = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.dll", "openblas"];
    private static readonly Lazy<SystemBlas?> Configured = new(() => FromSetting(Environment.GetEnvironmentVariable("FORGE_BLAS")));

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;
    private readonly delegate* unmanaged<int, void> setThreads;
    private int threads;

    private SystemBlas(string library, nint sgemm, nint setThreads)
    {
        Library = library;
        this.sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
        this.setThreads = (delegate* unmanaged<int, void>)setThreads;
    }

    /// <summary>The library's name as loaded.</summary>
    public string Library { get; }

    /// <summary>The provider FORGE_BLAS names, loaded on first use (null: the managed GEMM); a bad setting throws at every product.</summary>
    public static SystemBlas? Current => Configured.Value;

    /// <summary>The provider a FORGE_BLAS value names: null for unset or "managed"; an error for anything else it cannot load.</summary>
    public static SystemBlas? FromSetting(string? setting) => setting?.Trim().ToUpperInvariant() switch
    {
        null or "" or "MANAGED" => null,
        "OPENBLAS" => OpenBlasNames.Select(Load).FirstOrDefault(blas => blas is not null)
            ?? throw new ForgeException("FORGE_BLAS=openblas, but no OpenBLAS library (libopenblas.so.0) could be loaded: install libopenblas0 (Debian) or unset FORGE_BLAS."),
        _ => throw new ForgeException($"FORGE_BLAS={setting} is not a matrix-product provider: use managed (the default) or openblas."),
    };

    /// <summary>Loads <paramref name="library"/> (a name or a path) if it exports cblas_sgemm; null otherwise.</summary>
    public static SystemBlas? Load(string library)
    {
        if (!NativeLibrary.TryLoad(library, out nint handle)) return null;
        if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm))
        {
            NativeLibrary.Free(handle);
            return null;
        }
        NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads);
        return new SystemBlas(library, sgemm, setThreads);
    }

    /// <summary>
    /// The product of <see cref="Gemm.Multiply(int, int, int, int, StridedMatrix, StridedMatrix, float*, long, long, bool, float*, CausalProduct?)"/>
    /// through sgemm when every operand has a unit stride in one dimension; false, touching nothing, otherwise.
    /// </summary>
    public bool TryMultiply(int batch, int m, int n, int k, StridedMatrix a, StridedMatrix b, float* c, long ldc, long batchStrideC, bool accumulate, float* bias)
    {
        if (k == 0 || m == 0 || n == 0 || (m > 1 && ldc < n) || ldc > int.MaxValue
            || !Layout(a, m, k, out int transA, out int lda) || !Layout(b, k, n, out int transB, out int ldb)) return false;
        if (setThreads != null && threads != CpuParallel.Threads)
        {
            threads = CpuParallel.Threads;
            setThreads(threads);
        }
        int ldcInt = m == 1 ? n : (int)ldc;
        for (int i = 0; i < batch; i++)
        {
            float* ci = c + i * batchStrideC;
            if (bias != null)
            {
                var row = new ReadOnlySpan<float>(bias, n);
                for (int r = 0; r < m; r++)
                {
                    var target = new Span<float>(ci + r * ldc, n);
                    if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(target, row, target);
                    else row.CopyTo(target);
                }
            }
            float beta = accumulate || bias != null ? 1 : 0;
            sgemm(RowMajor, transA, transB, m, n, k, 1, a.At(i).Data, lda, b.At(i).Data, ldb, beta, ci, ldcInt);
        }
        return true;
    }

    /// <summary>How sgemm reads a rows × cols operand: as stored (unit column stride) or transposed (unit row stride).</summary>
    private static bool Layout(StridedMatrix x, int rows, int cols, out int transpose, out int leading)
    {
        if (x.ColumnStride == 1 && (rows == 1 || (x.RowStride >= cols && x.RowStride <= int.MaxValue)))
        {
            (transpose, leading) = (NoTranspose, rows == 1 ? cols : (int)x.RowStride);
            return true;
        }
        if (x.RowStride == 1 && (cols == 1 || (x.ColumnStride >= rows && x.ColumnStride <= int.MaxValue)))
        {
            (transpose, leading) = (Transpose, cols == 1 ? rows : (int)x.ColumnStride);
            return true;
        }
        (transpose, leading) = (0, 0);
        return false;
    }
}
