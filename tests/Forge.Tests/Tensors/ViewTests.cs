using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

public class ViewTests
{
    private static Tensor Range(params int[] shape) => Tensor.Arange(0, shape.Aggregate(1, (p, s) => p * s), 1, DType.Float32).Reshape(shape);

    [Theory]
    [InlineData(-1, 1, new[] { 4f })]
    [InlineData(-2, 2, new[] { 3f, 4f })]
    [InlineData(-5, 5, new[] { 0f, 1f, 2f, 3f, 4f })]
    [InlineData(-3, 0, new float[0])]
    [InlineData(1, 3, new[] { 1f, 2f, 3f })]
    [InlineData(5, 0, new float[0])]
    public void NarrowWithNegativeStartCountsFromTheEnd(int start, int length, float[] expected)
    {
        Tensor narrowed = Range(5).Narrow(0, start, length);
        Assert.Equal(expected, narrowed.ToArray<float>());
    }

    [Theory]
    [InlineData(-6, 1)]
    [InlineData(-1, 2)]
    [InlineData(2, 5)]
    [InlineData(6, 0)]
    [InlineData(0, -1)]
    public void NarrowOutsideTheDimensionIsRejected(int start, int length)
    {
        var error = Assert.Throws<ForgeException>(() => Range(5).Narrow(0, start, length));
        Assert.Contains("size 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NarrowWithNegativeStartAlongInnerDimensionIsAView()
    {
        Tensor x = Range(2, 4);
        Tensor narrowed = x.Narrow(-1, -3, 2);
        Assert.Same(x.Storage, narrowed.Storage);
        Assert.Equal(new[] { 1f, 2f, 5f, 6f }, narrowed.ToArray<float>());
    }

    [Fact]
    public void NarrowWithNegativeStartGradientLandsOnTheNarrowedElements()
    {
        var x = Tensor.Zeros(4).RequireGrad();
        x.Narrow(0, -2, 1).Sum().Backward();
        Assert.Equal(new[] { 0f, 0f, 1f, 0f }, x.Grad!.ToArray<float>());
    }
}
