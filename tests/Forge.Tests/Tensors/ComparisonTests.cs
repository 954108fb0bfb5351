using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Tensors;

public class ComparisonTests
{
    private static readonly Tensor Integers = Tensor.FromArray(new long[] { -3, -2, 1, 2, 3 });

    private static bool[] Bools(Tensor t) => t.To(DType.Int64).ToArray<long>().Select(v => v != 0).ToArray();

    [Fact]
    public void Int64ComparisonIsExactBeyondFloat32Precision()
    {
        var big = Tensor.FromArray(new long[] { 16777217, 16777216, long.MaxValue });
        Assert.Equal(new[] { true, false, false }, Bools(big.Eq(Tensor.FromArray(new long[] { 16777217 }))));
        Assert.Equal(new[] { false, true, false }, Bools(big.Le(16777216)));
        Assert.Equal(new[] { false, false, true }, Bools(big.Gt(Tensor.FromArray(new long[] { long.MaxValue - 1 }))));
    }

    [Fact]
    public void FloatTensorAgainstConstantAndTensorComparesElementwiseWithBroadcasting()
    {
        var x = Tensor.FromArray(new[] { 1f, 2.5f, float.NaN });
        Assert.Equal(new[] { false, true, false }, Bools(x.Eq(2.5)));
        Assert.Equal(new[] { true, true, true }, Bools(x.Ne(3)));
        Assert.Equal(new[] { false, false, false }, Bools(x.Gt(float.NaN)));
        var rows = Tensor.FromArray(new[] { 1f, 2f }, 2, 1);
        Tensor grid = rows.Lt(Tensor.FromArray(new[] { 0f, 1.5f, 3f }));
        Assert.Equal(new[] { 2, 3 }, grid.Shape);
        Assert.Equal(new[] { false, true, true, false, false, true }, Bools(grid));
    }

    [Fact]
    public void IntegerTensorAgainstFloatTensorComparesAsReals()
    {
        Tensor result = Integers.Le(Tensor.FromArray(new[] { -2.5f }));
        Assert.Equal(new[] { true, false, false, false, false }, Bools(result));
    }
}
