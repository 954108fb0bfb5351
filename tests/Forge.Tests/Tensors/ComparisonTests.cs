using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Tensors;

public class ComparisonTests
{
    private static readonly Tensor Integers = Tensor.FromArray(new long[] { -3, -2, 1, 2, 3 });

    private static bool[] Bools(Tensor t) => t.To(DType.Int64).ToArray<long>().Select(v => v != 0).ToArray();

    [Fact]
    public void IntegerTensorLessThanFractionalConstantComparesAsRealNumbers()
    {
        Tensor result = Integers.Lt(2.5);
        Assert.Equal(DType.Bool, result.DType);
        Assert.Equal(new[] { true, true, true, true, false }, Bools(result));
    }

    [Fact]
    public void IntegerTensorAgainstFractionalConstantMatchesRealComparisonForEveryOperator()
    {
        long[] values = [-3, -2, 1, 2, 3];
        foreach (double constant in new[] { 2.5, -2.5, 0.1, -0.1, 1.999 })
        {
            Assert.Equal(values.Select(v => v < constant), Bools(Integers.Lt(constant)));
            Assert.Equal(values.Select(v => v <= constant), Bools(Integers.Le(constant)));
            Assert.Equal(values.Select(v => v > constant), Bools(Integers.Gt(constant)));
            Assert.Equal(values.Select(v => v >= constant), Bools(Integers.Ge(constant)));
            Assert.Equal(values.Select(v => v == constant), Bools(Integers.Eq(constant)));
            Assert.Equal(values.Select(v => v != constant), Bools(Integers.Ne(constant)));
        }
    }

    [Fact]
    public void IntegerTensorAgainstWholeConstantComparesExactly()
    {
        Assert.Equal(new[] { false, false, false, true, false }, Bools(Integers.Eq(2)));
        Assert.Equal(new[] { false, false, false, true, true }, Bools(Integers.Ge(2)));
        Assert.Equal(new[] { true, true, false, false, false }, Bools(Integers.Lt(1)));
    }

    [Fact]
    public void Int64ComparisonIsExactBeyondFloat32Precision()
    {
        var big = Tensor.FromArray(new long[] { 16777217, 16777216, long.MaxValue });
        Assert.Equal(new[] { true, false, false }, Bools(big.Eq(Tensor.FromArray(new long[] { 16777217 }))));
        Assert.Equal(new[] { false, true, false }, Bools(big.Le(16777216)));
        Assert.Equal(new[] { false, false, true }, Bools(big.Gt(Tensor.FromArray(new long[] { long.MaxValue - 1 }))));
    }

    [Fact]
    public void LargeInt64AgainstFractionalConstantIsNotRounded()
    {
        var big = Tensor.FromArray(new long[] { 16777217, 16777216 });
        Assert.Equal(new[] { false, true }, Bools(big.Lt(16777216.5)));
        Assert.Equal(new[] { true, false }, Bools(big.Gt(16777216.5)));
    }

    [Fact]
    public void ConstantsBeyondInt64RangeOrInfiniteGiveConstantAnswers()
    {
        Assert.All(Bools(Integers.Lt(double.PositiveInfinity)), Assert.True);
        Assert.All(Bools(Integers.Ge(1e30)), Assert.False);
        Assert.All(Bools(Integers.Gt(double.NegativeInfinity)), Assert.True);
        Assert.All(Bools(Integers.Le(-1e30)), Assert.False);
        Assert.All(Bools(Integers.Ne(1e30)), Assert.True);
        Assert.All(Bools(Integers.Eq(double.NaN)), Assert.False);
        Assert.All(Bools(Integers.Ne(double.NaN)), Assert.True);
    }

    [Fact]
    public void SmallIntegerDTypesCompareWithConstantsOutsideTheirRange()
    {
        var bytes = Tensor.FromArray(new sbyte[] { -100, 0, 100 });
        Assert.Equal(new[] { true, true, true }, Bools(bytes.Lt(300)));
        var ints = Tensor.FromArray(new[] { 1, 2, 3 });
        Assert.Equal(new[] { false, true, true }, Bools(ints.Gt(1.5)));
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
