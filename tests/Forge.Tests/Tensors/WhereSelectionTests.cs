using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

public class WhereSelectionTests
{
    [Fact]
    public void WherePicksFirstOperandWhereConditionHolds()
    {
        var condition = Tensor.FromArray(new[] { true, false, true }, 3);
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3).RequireGrad();
        var b = Tensor.FromArray(new[] { 10f }, 1).RequireGrad();
        Tensor result = Tensor.Where(condition, a, b);
        Assert.Equal(new[] { 1f, 10f, 3f }, result.ToArray<float>());
        result.Sum().Backward();
        Assert.Equal(new[] { 1f, 0f, 1f }, a.Grad!.ToArray<float>());
        Assert.Equal(new[] { 1f }, b.Grad!.ToArray<float>());
        TensorAssert.GradientsMatch(x => Tensor.Where(condition, x[0], x[1]), a, b);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Int64)]
    [InlineData(DType.UInt8)]
    public void WhereRejectsNonBoolCondition(DType dtype)
    {
        var error = Assert.Throws<ForgeException>(() => Tensor.Where(Tensor.Ones([3], dtype), Tensor.Ones(3), Tensor.Zeros(3)));
        Assert.Contains("Bool", error.Message, StringComparison.Ordinal);
        Assert.Contains(dtype.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhereBroadcastsConditionAgainstBothOperands()
    {
        var condition = Tensor.FromArray(new[] { true, false }, 2, 1);
        Tensor result = Tensor.Where(condition, Tensor.FromArray(new[] { 1f, 2f, 3f }), Tensor.Scalar(-1));
        Assert.Equal(new[] { 2, 3 }, result.Shape);
        Assert.Equal(new[] { 1f, 2f, 3f, -1f, -1f, -1f }, result.ToArray<float>());
    }
}
