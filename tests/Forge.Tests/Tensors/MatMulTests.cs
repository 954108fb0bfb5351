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
}
