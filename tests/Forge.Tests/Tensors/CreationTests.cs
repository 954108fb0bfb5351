using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

public class CreationTests
{
    [Fact]
    public void ArangeOfWholeNumbersIsInt64()
    {
        Tensor t = Tensor.Arange(2, 7, 2);
        Assert.Equal(DType.Int64, t.DType);
        TensorAssert.Equal(new long[] { 2, 4, 6 }, t);
        Assert.Equal(DType.Int64, Tensor.Arange(4).DType);
    }

    [Fact]
    public void ArangeWithFractionalStepIsFloat32()
    {
        Tensor t = Tensor.Arange(0, 1, 0.25);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(new[] { 0f, 0.25f, 0.5f, 0.75f }, t.ToArray<float>());
    }

    [Fact]
    public void ArangeWithFractionalStartOrEndIsFloat32()
    {
        Tensor fromHalf = Tensor.Arange(0.5, 3);
        Assert.Equal(DType.Float32, fromHalf.DType);
        Assert.Equal(new[] { 0.5f, 1.5f, 2.5f }, fromHalf.ToArray<float>());
        Tensor toFraction = Tensor.Arange(0, 2.5);
        Assert.Equal(DType.Float32, toFraction.DType);
        Assert.Equal(new[] { 0f, 1f, 2f }, toFraction.ToArray<float>());
    }

    [Fact]
    public void ArangeHonoursAnExplicitDType()
    {
        Tensor t = Tensor.Arange(0, 3, 1, DType.Float32);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(new[] { 0f, 1f, 2f }, t.ToArray<float>());
        Assert.Equal(new[] { 1, 3 }, Tensor.Arange(1, 5, 2, DType.Int32).ToArray<int>());
    }

    [Fact]
    public void ArangeCountsDownWithNegativeStep()
    {
        TensorAssert.Equal(new long[] { 5, 3, 1 }, Tensor.Arange(5, 0, -2));
        Assert.Equal(new[] { 1f, 0.5f }, Tensor.Arange(1, 0, -0.5).ToArray<float>());
    }

    [Fact]
    public void ArangeOfEmptyRangeHasNoElements()
    {
        Assert.Equal(new[] { 0 }, Tensor.Arange(3, 3).Shape);
        Assert.Equal(new[] { 0 }, Tensor.Arange(3, 1).Shape);
    }

    [Theory]
    [InlineData(0, 5, 0)]
    [InlineData(double.NaN, 5, 1)]
    [InlineData(0, double.PositiveInfinity, 1)]
    public void ArangeRejectsZeroStepAndNonFiniteArguments(double start, double end, double step)
    {
        Assert.Throws<ForgeException>(() => Tensor.Arange(start, end, step));
    }
}
