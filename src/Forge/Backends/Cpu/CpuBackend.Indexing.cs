using System.Numerics.Tensors;
using Forge.Tensors;
using Tensor = Forge.Tensors.Tensor;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void Gather(Tensor x, int dimension, Tensor index, Tensor result)
    {
        switch (x.DType.SizeOf())
        {
            case 1: GatherTyped<byte>(x, dimension, index, result); break;
            case 2: GatherTyped<ushort>(x, dimension, index, result); break;
            case 4: GatherTyped<uint>(x, dimension, index, result); break;
            default: GatherTyped<ulong>(x, dimension, index, result); break;
        }
    }

    /// <summary>Gather for one element size: every index element copies one element of x.</summary>
    private static void GatherTyped<T>(Tensor x, int dimension, Tensor index, Tensor result) where T : unmanaged
    {
        var (outer, n, inner) = SplitAt(index.Shape, dimension);
        long[] xOuter = Offsets(index.Shape, x.Strides, 0, dimension), xInner = Offsets(index.Shape, x.Strides, dimension + 1, index.Dim);
        long xs = x.Strides[dimension];
        T* px = x.Ptr<T>(), pr = result.Ptr<T>();
        long* pi = index.Ptr<long>();
        CpuParallel.For(outer * n * inner, ElementGrain, (start, end) =>
        {
            for (long pos = start; pos < end; pos++)
            {
                long o = pos / (n * inner), i = pos % inner;
                pr[pos] = px[xOuter[o] + pi[pos] * xs + xInner[i]];
            }
        });
    }

    /// <inheritdoc />
    public void ScatterAdd(Tensor result, int dimension, Tensor index, Tensor source)
    {
        var (outer, n, inner) = SplitAt(index.Shape, dimension);
        long[] rOuter = Offsets(index.Shape, result.Strides, 0, dimension), rInner = Offsets(index.Shape, result.Strides, dimension + 1, index.Dim);
        long[] sOuter = Offsets(index.Shape, source.Strides, 0, dimension), sInner = Offsets(index.Shape, source.Strides, dimension + 1, index.Dim);
        long rs = result.Strides[dimension], ss = source.Strides[dimension];
        float* pr = result.Ptr<float>(), ps = source.Ptr<float>();
        long* pi = index.Ptr<long>();
        // Positions that differ outside the indexed dimension write to different result elements, so each (outer, inner) pair is
        // one task that adds its n values in order: no races, and the sum order is fixed.
        CpuParallel.For(outer * inner, Math.Max(1, ElementGrain / Math.Max(n, 1)), (start, end) =>
        {
            for (long q = start; q < end; q++)
            {
                long o = q / inner, i = q % inner;
                for (long j = 0; j < n; j++)
                {
                    long pos = (o * n + j) * inner + i;
                    pr[rOuter[o] + pi[pos] * rs + rInner[i]] += ps[sOuter[o] + j * ss + sInner[i]];
                }
            }
        });
    }

    /// <inheritdoc />
    public void IndexSelect(Tensor x, int dimension, Tensor index, Tensor result) => CopyIndexedRows(x, dimension, index, result, intoIndexed: false);

    /// <inheritdoc />
    public void IndexAdd(Tensor result, int dimension, Tensor index, Tensor source)
    {
        var (outer, size, inner) = SplitAt(result.Shape, dimension);
        long n = index.Numel;
        float* pr = result.Ptr<float>(), ps = source.Ptr<float>();
        long* pi = index.Ptr<long>();
        // Parallel over the (outer, inner) columns; each column adds its n source slices in order.
        CpuParallel.For(outer * inner, Math.Max(1, ElementGrain / Math.Max(n, 1)), new AddRows { N = n, Size = size, Inner = inner, Result = pr, Source = ps, Index = pi });
    }

    private struct AddRows : IRangeBody
    {
        public long N, Size, Inner;
        public float* Result, Source;
        public long* Index;

        public readonly void Run(long start, long end)
        {
            for (long first = start; first < end;)
            {
                long o = first / Inner, i0 = first % Inner;
                int width = (int)Math.Min(Inner - i0, end - first);
                for (long j = 0; j < N; j++)
                {
                    var target = new Span<float>(Result + (o * Size + Index[j]) * Inner + i0, width);
                    TensorPrimitives.Add(target, new ReadOnlySpan<float>(Source + (o * N + j) * Inner + i0, width), target);
                }
                first += width;
            }
        }
    }

    /// <inheritdoc />
    public void IndexCopy(Tensor result, int dimension, Tensor index, Tensor source) => CopyIndexedRows(result, dimension, index, source, intoIndexed: true);

    /// <summary>
    /// Copies the rows (o, index[j]) of <paramref name="indexed"/> along <paramref name="dimension"/> to the rows (o, j) of the contiguous
    /// <paramref name="dense"/> (index select), or back when <paramref name="intoIndexed"/> (index copy), in parallel over the rows.
    /// </summary>
    private static void CopyIndexedRows(Tensor indexed, int dimension, Tensor index, Tensor dense, bool intoIndexed)
    {
        var (outer, size, inner) = SplitAt(indexed.Shape, dimension);
        long n = index.Numel;
        CpuParallel.For(outer * n, Math.Max(1, ElementGrain / Math.Max(inner, 1)), new IndexedRows
        {
            N = n, Size = size, RowBytes = inner * indexed.DType.SizeOf(), Indexed = FirstByte(indexed), Dense = FirstByte(dense),
            Index = index.Ptr<long>(), IntoIndexed = intoIndexed,
        });
    }

    /// <summary>The address of a tensor's first element, whatever its dtype (its offset counts elements, not bytes).</summary>
    private static byte* FirstByte(Tensor t) => (byte*)t.Storage.Pointer + t.StorageOffset * t.DType.SizeOf();

    /// <summary>Rows [start, end) of the dense tensor, row q = (o, j) matching the indexed tensor's row (o, index[j]).</summary>
    private struct IndexedRows : IRangeBody
    {
        public long N, Size, RowBytes;
        public byte* Indexed, Dense;
        public long* Index;
        public bool IntoIndexed;

        public readonly void Run(long start, long end)
        {
            for (long q = start; q < end; q++)
            {
                byte* indexed = Indexed + (q / N * Size + Index[q % N]) * RowBytes, dense = Dense + q * RowBytes;
                if (IntoIndexed) Buffer.MemoryCopy(dense, indexed, RowBytes, RowBytes);
                else Buffer.MemoryCopy(indexed, dense, RowBytes, RowBytes);
            }
        }
    }

    /// <summary>Splits a shape at <paramref name="dimension"/> into (product before, its size, product after).</summary>
    private static (long Outer, long Size, long Inner) SplitAt(IReadOnlyList<int> shape, int dimension)
    {
        long outer = 1, inner = 1;
        for (int d = 0; d < dimension; d++) outer *= shape[d];
        for (int d = dimension + 1; d < shape.Count; d++) inner *= shape[d];
        return (outer, shape[dimension], inner);
    }

    /// <summary>Element offsets, under <paramref name="strides"/>, of every row-major position over dimensions [from, to) of <paramref name="shape"/>.</summary>
    private static long[] Offsets(IReadOnlyList<int> shape, IReadOnlyList<long> strides, int from, int to)
    {
        long count = 1;
        for (int d = from; d < to; d++) count *= shape[d];
        var offsets = new long[count];
        for (long p = 0; p < count; p++)
        {
            long rest = p, offset = 0;
            for (int d = to - 1; d >= from; d--)
            {
                offset += rest % shape[d] * strides[d];
                rest /= shape[d];
            }
            offsets[p] = offset;
        }
        return offsets;
    }
}
