using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Forge.Tensors;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    private const int TileRows = 32;
    private const int TileCols = 128;
    private const int DepthBlock = 256;
    private const int MicroRows = 4;
    private const int MicroCols = 16;

    /// <inheritdoc />
    public void MatMul(Tensor a, Tensor b, Tensor c, float beta)
    {
        int batch = c.Size(0), m = c.Size(1), n = c.Size(2), k = a.Size(2);
        if (k == 0)
        {
            if (beta == 0) Fill(c, 0);
            return;
        }
        for (int i = 0; i < batch; i++)
        {
            float* pa = a.Ptr<float>() + i * a.strides[0];
            float* pb = b.Ptr<float>() + i * b.strides[0];
            float* pc = c.Ptr<float>() + (long)i * m * n;
            long ldb = b.strides[1];
            float[]? packed = null;
            if (b.strides[2] != 1)
            {
                packed = GC.AllocateUninitializedArray<float>(k * n, pinned: true);
                fixed (float* dst = packed) PackRowMajor(pb, b.strides[1], b.strides[2], k, n, dst);
                ldb = n;
            }
            fixed (float* pbRow = packed)
            {
                float* bRowMajor = packed is null ? pb : pbRow;
                Gemm(pa, a.strides[1], a.strides[2], bRowMajor, ldb, pc, m, n, k, beta != 0);
            }
        }
    }

    private static void PackRowMajor(float* src, long rowStride, long colStride, int rows, int cols, float* dst)
    {
        CpuParallel.For(rows, 64, (start, end) =>
        {
            for (long r = start; r < end; r++)
                for (int col = 0; col < cols; col++) dst[r * cols + col] = src[r * rowStride + col * colStride];
        });
    }

    /// <summary>C[m,n] (+)= A[m,k]·B[k,n] with A strided (rs, cs), B row-major with leading dimension ldb, C contiguous.</summary>
    private static void Gemm(float* a, long ars, long acs, float* b, long ldb, float* c, int m, int n, int k, bool accumulate)
    {
        int tileRows = (m + TileRows - 1) / TileRows, tileCols = (n + TileCols - 1) / TileCols;
        CpuParallel.For((long)tileRows * tileCols, 1, (start, end) =>
        {
            for (long t = start; t < end; t++)
            {
                int i0 = (int)(t / tileCols) * TileRows, j0 = (int)(t % tileCols) * TileCols;
                int i1 = Math.Min(m, i0 + TileRows), j1 = Math.Min(n, j0 + TileCols);
                for (int p0 = 0; p0 < k; p0 += DepthBlock)
                {
                    int p1 = Math.Min(k, p0 + DepthBlock);
                    bool add = accumulate || p0 > 0;
                    for (int i = i0; i < i1; i += MicroRows)
                    {
                        int rows = Math.Min(MicroRows, i1 - i);
                        int j = j0;
                        if (rows == MicroRows && Vector256.IsHardwareAccelerated)
                        {
                            for (; j + MicroCols <= j1; j += MicroCols)
                                Micro4x16(a + i * ars + p0 * acs, ars, acs, b + p0 * ldb + j, ldb, c + (long)i * n + j, n, p1 - p0, add);
                        }
                        for (int r = i; r < i + rows; r++)
                            RowTail(a + r * ars + p0 * acs, acs, b + p0 * ldb, ldb, c + (long)r * n, j, j1, p1 - p0, add);
                    }
                }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Micro4x16(float* a, long ars, long acs, float* b, long ldb, float* c, int ldc, int depth, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < depth; p++)
        {
            float* bp = b + p * ldb;
            Vector256<float> b0 = Vector256.Load(bp), b1 = Vector256.Load(bp + 8);
            float* ap = a + p * acs;
            Vector256<float> a0 = Vector256.Create(ap[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            Vector256<float> a1 = Vector256.Create(ap[ars]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            Vector256<float> a2 = Vector256.Create(ap[2 * ars]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            Vector256<float> a3 = Vector256.Create(ap[3 * ars]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
        }
        Store(c, c00, c01, add);
        Store(c + ldc, c10, c11, add);
        Store(c + 2 * ldc, c20, c21, add);
        Store(c + 3 * ldc, c30, c31, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }
        v0.Store(c);
        v1.Store(c + 8);
    }

    /// <summary>One row of C from column <paramref name="j0"/> to <paramref name="j1"/> (the part the micro-kernel did not cover).</summary>
    private static void RowTail(float* a, long acs, float* b, long ldb, float* c, int j0, int j1, int depth, bool add)
    {
        if (j0 >= j1) return;
        int width = j1 - j0;
        Span<float> acc = width <= 256 ? stackalloc float[width] : new float[width];
        acc.Clear();
        for (int p = 0; p < depth; p++)
        {
            float ap = a[p * acs];
            float* bp = b + p * ldb + j0;
            for (int j = 0; j < width; j++) acc[j] += ap * bp[j];
        }
        for (int j = 0; j < width; j++) c[j0 + j] = add ? c[j0 + j] + acc[j] : acc[j];
    }
}
