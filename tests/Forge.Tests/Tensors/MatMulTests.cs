using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

public class MatMulTests
{
    [Fact]
    public void VectorTimesVectorIsZeroDimensionalDotProduct()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f }).RequireGrad();
        var b = Tensor.FromArray(new[] { 4f, 5f, 6f }).RequireGrad();
        Tensor dot = a.MatMul(b);
        Assert.Empty(dot.Shape);
        Assert.Equal(32f, dot.Item());
        dot.Backward();
        Assert.Equal(new[] { 4f, 5f, 6f }, a.Grad!.ToArray<float>());
        Assert.Equal(new[] { 1f, 2f, 3f }, b.Grad!.ToArray<float>());
    }

    [Fact]
    public void VectorTimesVectorGradientsMatchFiniteDifferences()
    {
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1]), TensorAssert.RandomLeaf(1, 5), TensorAssert.RandomLeaf(2, 5));
    }

    [Fact]
    public void VectorTimesVectorOfDifferentLengthsIsRejected()
    {
        Assert.Throws<ForgeException>(() => Tensor.Ones(3).MatMul(Tensor.Ones(4)));
    }

    [Fact]
    public void VectorTimesMatrixTreatsVectorAsRow()
    {
        var v = Tensor.FromArray(new[] { 1f, 2f, 3f });
        var m = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 3, 2);
        Tensor result = v.MatMul(m);
        Assert.Equal(new[] { 2 }, result.Shape);
        Assert.Equal(new[] { 22f, 28f }, result.ToArray<float>());
    }

    [Fact]
    public void MatrixTimesVectorTreatsVectorAsColumn()
    {
        var m = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3);
        var v = Tensor.FromArray(new[] { 1f, 0f, -1f });
        Tensor result = m.MatMul(v);
        Assert.Equal(new[] { 2 }, result.Shape);
        Assert.Equal(new[] { -2f, -2f }, result.ToArray<float>());
    }

    [Fact]
    public void VectorTimesBatchedMatrixRemovesThePrependedDimension()
    {
        var v = Tensor.Randn([4], new Generator(1));
        var m = Tensor.Randn([2, 4, 3], new Generator(2));
        Tensor result = v.MatMul(m);
        Assert.Equal(new[] { 2, 3 }, result.Shape);
        TensorAssert.Close(v.Unsqueeze(0).Unsqueeze(0).Expand(2, 1, 4).MatMul(m).Squeeze(1), result, 1e-6, 1e-6);
    }

    [Fact]
    public void BatchedMatrixTimesVectorRemovesTheAppendedDimension()
    {
        var m = Tensor.Randn([2, 3, 4], new Generator(3));
        var v = Tensor.Randn([4], new Generator(4));
        Tensor result = m.MatMul(v);
        Assert.Equal(new[] { 2, 3 }, result.Shape);
        TensorAssert.Close(m.MatMul(v.Unsqueeze(-1)).Squeeze(-1), result, 1e-6, 1e-6);
    }

    [Fact]
    public void VectorMatrixGradientsMatchFiniteDifferences()
    {
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1]), TensorAssert.RandomLeaf(5, 4), TensorAssert.RandomLeaf(6, 4, 3));
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1]), TensorAssert.RandomLeaf(7, 3, 4), TensorAssert.RandomLeaf(8, 4));
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1]), TensorAssert.RandomLeaf(9, 4), TensorAssert.RandomLeaf(10, 2, 4, 3));
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1]), TensorAssert.RandomLeaf(11, 2, 3, 4), TensorAssert.RandomLeaf(12, 4));
    }

    [Fact]
    public void ZeroDimensionalOperandIsRejected()
    {
        Assert.Throws<ForgeException>(() => Tensor.Scalar(2).MatMul(Tensor.Ones(2)));
        Assert.Throws<ForgeException>(() => Tensor.Ones(2).MatMul(Tensor.Scalar(2)));
    }

    public static TheoryData<int[], int[]> BroadcastBatches()
    {
        int[][] batches = [[], [1], [2], [3], [1, 1], [1, 3], [2, 1], [2, 3], [1, 1, 3], [2, 1, 3], [2, 1, 1], [1, 2, 1]];
        var data = new TheoryData<int[], int[]>();
        foreach (int[] a in batches)
        {
            foreach (int[] b in batches)
            {
                if (a.Length + b.Length > 0 && Broadcastable(a, b)) data.Add(a, b);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BroadcastBatches))]
    public void BroadcastBatchedProductMatchesNaiveLoop(int[] batchA, int[] batchB)
    {
        ulong seed = (ulong)(batchA.Sum() * 31 + batchB.Sum() * 7 + batchA.Length * 3 + batchB.Length);
        var a = Tensor.Randn([.. batchA, 4, 5], new Generator(seed));
        var b = Tensor.Randn([.. batchB, 5, 6], new Generator(seed + 1));
        var aT = Tensor.Randn([.. batchA, 5, 4], new Generator(seed + 2)).MT;
        var bT = Tensor.Randn([.. batchB, 6, 5], new Generator(seed + 3)).MT;
        TensorAssert.Close(NaiveMatMul(a, b), a.MatMul(b), 1e-5, 1e-5);
        TensorAssert.Close(NaiveMatMul(aT, b), aT.MatMul(b), 1e-5, 1e-5);
        TensorAssert.Close(NaiveMatMul(a, bT), a.MatMul(bT), 1e-5, 1e-5);
        TensorAssert.Close(NaiveMatMul(aT, bT), aT.MatMul(bT), 1e-5, 1e-5);
    }

    [Fact]
    public void LeadingSingletonBatchBroadcastsAgainstFullBatch()
    {
        var a = Tensor.Randn([1, 3, 4, 5], new Generator(20));
        var b = Tensor.Randn([2, 3, 5, 6], new Generator(21));
        Tensor result = a.MatMul(b);
        Assert.Equal(new[] { 2, 3, 4, 6 }, result.Shape);
        TensorAssert.Close(NaiveMatMul(a, b), result, 1e-5, 1e-5);
    }

    [Fact]
    public void SingletonBatchesOnBothSidesBroadcastToOuterProductOfBatches()
    {
        var a = Tensor.Randn([2, 1, 4, 5], new Generator(22));
        var b = Tensor.Randn([1, 3, 5, 6], new Generator(23));
        Tensor result = a.MatMul(b);
        Assert.Equal(new[] { 2, 3, 4, 6 }, result.Shape);
        TensorAssert.Close(NaiveMatMul(a, b), result, 1e-5, 1e-5);
    }

    [Fact]
    public void SingletonBetweenBatchDimensionsDoesNotMergeUnrelatedStrides()
    {
        var a = Tensor.Randn([2, 1, 1, 4, 5], new Generator(24));
        var b = Tensor.Randn([2, 1, 3, 5, 6], new Generator(25));
        TensorAssert.Close(NaiveMatMul(a, b), a.MatMul(b), 1e-5, 1e-5);
        TensorAssert.Close(NaiveMatMul(b.MT, a.MT), b.MT.MatMul(a.MT), 1e-5, 1e-5);
    }

    [Fact]
    public void BroadcastBatchedGradientsMatchFiniteDifferences()
    {
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1]), TensorAssert.RandomLeaf(30, 1, 3, 2, 4), TensorAssert.RandomLeaf(31, 2, 3, 4, 2));
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1]), TensorAssert.RandomLeaf(32, 2, 1, 2, 4), TensorAssert.RandomLeaf(33, 1, 3, 4, 2));
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1]), TensorAssert.RandomLeaf(34, 2, 1, 1, 2, 3), TensorAssert.RandomLeaf(35, 2, 1, 3, 3, 2));
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1].Transpose(0, 1)), TensorAssert.RandomLeaf(36, 3, 2, 4), TensorAssert.RandomLeaf(37, 4, 3, 2));
    }

    private static bool Broadcastable(int[] a, int[] b)
    {
        for (int i = 1; i <= Math.Min(a.Length, b.Length); i++)
        {
            if (a[^i] != b[^i] && a[^i] != 1 && b[^i] != 1) return false;
        }
        return true;
    }

    /// <summary>The product computed element by element in double precision from broadcast copies of the operands.</summary>
    private static Tensor NaiveMatMul(Tensor a, Tensor b)
    {
        int[] batch = Tensor.BroadcastShapes(a.Shape.Take(a.Dim - 2).ToArray(), b.Shape.Take(b.Dim - 2).ToArray());
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        float[] x = a.Expand([.. batch, m, k]).Contiguous().ToArray<float>();
        float[] y = b.Expand([.. batch, k, n]).Contiguous().ToArray<float>();
        int count = batch.Aggregate(1, (p, s) => p * s);
        var result = new float[count * m * n];
        for (int q = 0; q < count; q++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++) sum += (double)x[(q * m + i) * k + p] * y[(q * k + p) * n + j];
                    result[(q * m + i) * n + j] = (float)sum;
                }
            }
        }
        return Tensor.FromArray(result, [.. batch, m, n]);
    }
}
