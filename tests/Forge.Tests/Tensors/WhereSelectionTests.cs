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
}
