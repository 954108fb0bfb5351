using Forge.Tensors;

namespace Forge.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc />
    public void MatMul(Tensor a, Tensor b, Tensor c, float beta) => Multiply(a, b, null, c, beta != 0);

    /// <inheritdoc />
    public void MatMulBias(Tensor a, Tensor b, Tensor bias, Tensor c) => Multiply(a, b, bias.Ptr<float>(), c, false);

    /// <inheritdoc />
    public void CausalMatMul(Tensor a, Tensor b, Tensor c, CausalProduct product) => Multiply(a, b, null, c, false, product);

    private static void Multiply(Tensor a, Tensor b, float* bias, Tensor c, bool accumulate, CausalProduct? causal = null)
    {
        int m = c.Shape[^2], n = c.Shape[^1], k = a.Shape[^1];
        var (batch, offsetsA, offsetsB) = BatchOffsets(c.Shape, a.strides, b.strides);
        var left = new StridedMatrix(a.Ptr<float>(), offsetsA, a.strides[^2], a.strides[^1]);
        var right = new StridedMatrix(b.Ptr<float>(), offsetsB, b.strides[^2], b.strides[^1]);
        Gemm.Multiply(batch, m, n, k, left, right, c.Ptr<float>(), n, (long)m * n, accumulate, bias, causal);
    }

    /// <summary>This thread's arrays of batch offsets, reused by its next product (which starts after this one returns).</summary>
    [ThreadStatic]
    private static long[]? batchOffsetsA, batchOffsetsB;

    /// <summary>
    /// The number of matrices in the batch dimensions (all but the last two) of <paramref name="shape"/>, and each operand's element
    /// offset of every matrix in row-major batch order (in arrays of this thread, valid until its next product).
    /// </summary>
    private static (int Count, long[] OffsetsA, long[] OffsetsB) BatchOffsets(IReadOnlyList<int> shape, long[] stridesA, long[] stridesB)
    {
        int rank = shape.Count - 2, count = 1;
        for (int d = 0; d < rank; d++) count *= shape[d];
        if (batchOffsetsA is null || batchOffsetsA.Length < count)
        {
            batchOffsetsA = new long[count];
            batchOffsetsB = new long[count];
        }
        long[] offsetsA = batchOffsetsA, offsetsB = batchOffsetsB!;
        for (int i = 0; i < count; i++)
        {
            long rest = i;
            offsetsA[i] = offsetsB[i] = 0;
            for (int d = rank - 1; d >= 0; d--)
            {
                long index = rest % shape[d];
                rest /= shape[d];
                offsetsA[i] += index * stridesA[d];
                offsetsB[i] += index * stridesB[d];
            }
        }
        return (count, offsetsA, offsetsB);
    }
}
