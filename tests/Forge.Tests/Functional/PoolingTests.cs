using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class PoolingTests
{
    private const string Fixture = "convolution";

    [Fact]
    public void MaxPool2dWithStrideAndPaddingMatchesTorch()
    {
        var c = new TorchCase(Fixture, "max_pool2d", "input");
        c.Verify(F.MaxPool2d(c["input"], 3, 2, 1));
    }

    [Fact]
    public void MaxPool2dStrideDefaultsToKernelSize()
    {
        var c = new TorchCase(Fixture, "max_pool2d_default_stride", "input");
        c.Verify(F.MaxPool2d(c["input"], 2));
    }

    [Fact]
    public void AvgPool2dCountsPaddingLikeTorch()
    {
        var c = new TorchCase(Fixture, "avg_pool2d", "input");
        c.Verify(F.AvgPool2d(c["input"], 3, 2, 1));
    }

    [Fact]
    public void AvgPool2dStrideDefaultsToKernelSize()
    {
        var c = new TorchCase(Fixture, "avg_pool2d_default_stride", "input");
        c.Verify(F.AvgPool2d(c["input"], 2));
    }

    [Theory]
    [InlineData("adaptive_avg_pool2d", 3, 4)]
    [InlineData("adaptive_avg_pool2d_upsample", 4, 3)]
    public void AdaptiveAvgPool2dWithNonDivisibleSizesMatchesTorch(string name, int height, int width)
    {
        var c = new TorchCase(Fixture, name, "input");
        c.Verify(F.AdaptiveAvgPool2d(c["input"], (height, width)));
    }

    [Fact]
    public void MaxPool2dGradientsMatchFiniteDifferences()
    {
        var input = DistinctLeaf(1, 2, 2, 5, 6);
        TensorAssert.GradientsMatch(x => F.MaxPool2d(x[0], 3, 2, 1), input);
    }

    [Fact]
    public void AvgPool2dGradientsMatchFiniteDifferences()
    {
        var input = TensorAssert.RandomLeaf(2, 2, 2, 5, 6);
        TensorAssert.GradientsMatch(x => F.AvgPool2d(x[0], 3, 2, 1), input);
    }

    [Fact]
    public void AdaptiveAvgPool2dGradientsMatchFiniteDifferences()
    {
        var input = TensorAssert.RandomLeaf(3, 2, 2, 5, 7);
        TensorAssert.GradientsMatch(x => F.AdaptiveAvgPool2d(x[0], (3, 4)), input);
    }

    [Fact]
    public void MaxPool2dRoutesGradientToTheMaximum()
    {
        var input = Tensor.FromArray(new[] { 1f, 5f, 2f, 3f }, 1, 1, 2, 2).RequireGrad();
        Tensor output = F.MaxPool2d(input, 2);
        Assert.Equal(5f, output.Item());
        output.Sum().Backward();
        Assert.Equal(new[] { 0f, 1f, 0f, 0f }, input.Grad!.ToArray<float>());
    }

    [Fact]
    public void MaxPool2dPropagatesNaN()
    {
        var input = Tensor.FromArray(new[] { 1f, float.NaN, 2f, 3f, 4f, 5f, 6f, 7f }, 1, 2, 2, 2);
        float[] output = F.MaxPool2d(input, 2).ToArray<float>();
        Assert.True(float.IsNaN(output[0]));
        Assert.Equal(7f, output[1]);
    }

    [Fact]
    public void AdaptiveAvgPool2dToOneCellIsTheSpatialMean()
    {
        var input = Tensor.Randn([2, 3, 5, 7], new Generator(4));
        TensorAssert.Close(input.Mean([2, 3], keepDim: true), F.AdaptiveAvgPool2d(input, (1, 1)));
    }

    [Fact]
    public void PoolingAcceptsUnbatchedInput()
    {
        var input = Tensor.Randn([3, 6, 6], new Generator(5));
        TensorAssert.Close(F.MaxPool2d(input.Unsqueeze(0), 2).Squeeze(0), F.MaxPool2d(input, 2));
        TensorAssert.Close(F.AvgPool2d(input.Unsqueeze(0), 3, 1, 1).Squeeze(0), F.AvgPool2d(input, 3, 1, 1));
        Assert.Equal([3, 2, 2], F.AdaptiveAvgPool2d(input, (2, 2)).Shape);
    }

    [Fact]
    public void PoolingRejectsBadWindows()
    {
        var input = Tensor.Zeros(1, 1, 4, 4);
        var tooLarge = Assert.Throws<ForgeException>(() => F.MaxPool2d(input, 5));
        Assert.Contains("5x5", tooLarge.Message, StringComparison.Ordinal);
        Assert.Contains("4x4", tooLarge.Message, StringComparison.Ordinal);
        var padding = Assert.Throws<ForgeException>(() => F.AvgPool2d(input, 2, 1, 2));
        Assert.Contains("found 2", padding.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => F.MaxPool2d(Tensor.Zeros(4, 4), 2));
        Assert.Throws<ForgeException>(() => F.AdaptiveAvgPool2d(input, (0, 2)));
    }

    /// <summary>A leaf of shuffled values 0.02 apart around zero, so finite differences never change a window's maximum.</summary>
    private static Tensor DistinctLeaf(int seed, params int[] shape)
    {
        var random = new Random(seed);
        int count = shape.Aggregate(1, (a, b) => a * b);
        float[] values = Enumerable.Range(0, count).Select(i => (i - count / 2) * 0.02f).OrderBy(_ => random.Next()).ToArray();
        return Tensor.FromArray(values, shape).RequireGrad();
    }
}
