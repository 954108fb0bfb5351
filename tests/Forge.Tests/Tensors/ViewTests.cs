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

    [Fact]
    public void ViewSharesStorageAndWritesShowThroughTheBase()
    {
        Tensor x = Range(2, 6);
        Tensor v = x.View(3, 4);
        Assert.Same(x.Storage, v.Storage);
        Assert.Equal(new long[] { 4, 1 }, v.Strides);
        v.Narrow(0, 1, 1).Fill(-1);
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, -1f, -1f, -1f, -1f, 8f, 9f, 10f, 11f }, x.ToArray<float>());
    }

    [Fact]
    public void ViewOfNonContiguousTensorIsRejectedButReshapeCopies()
    {
        Tensor t = Range(2, 3).MT;
        Assert.False(t.IsContiguous);
        Assert.Throws<ForgeException>(() => t.View(6));
        Tensor flat = t.Reshape(6);
        Assert.NotSame(t.Storage, flat.Storage);
        Assert.Equal(new[] { 0f, 3f, 1f, 4f, 2f, 5f }, flat.ToArray<float>());
    }

    [Fact]
    public void ReshapeOfContiguousTensorIsAViewAndInfersOneSize()
    {
        Tensor x = Range(2, 3, 4);
        Tensor r = x.Reshape(-1, 4);
        Assert.Same(x.Storage, r.Storage);
        Assert.Equal(new[] { 6, 4 }, r.Shape);
        Assert.Throws<ForgeException>(() => x.Reshape(-1, -1));
        Assert.Throws<ForgeException>(() => x.Reshape(5, -1));
        Assert.Throws<ForgeException>(() => x.Reshape(2, 3));
    }

    [Fact]
    public void PermuteAndTransposeSwapStridesOverTheSameStorage()
    {
        Tensor x = Range(2, 3, 4);
        Tensor p = x.Permute(2, 0, 1);
        Assert.Same(x.Storage, p.Storage);
        Assert.Equal(new[] { 4, 2, 3 }, p.Shape);
        Assert.Equal(new long[] { 1, 12, 4 }, p.Strides);
        Assert.False(p.IsContiguous);
        Tensor t = x.Transpose(0, -1);
        Assert.Equal(new[] { 4, 3, 2 }, t.Shape);
        Assert.Equal(new long[] { 1, 4, 12 }, t.Strides);
        Assert.Equal(new[] { 0f, 12f, 4f, 16f, 8f, 20f }, t.Select(0, 0).ToArray<float>());
        Assert.Throws<ForgeException>(() => x.Permute(0, 0, 1));
        Assert.Throws<ForgeException>(() => x.Permute(0, 1));
    }

    [Fact]
    public void ContiguousCopiesOnlyWhenNeeded()
    {
        Tensor x = Range(3, 4);
        Assert.Same(x, x.Contiguous());
        Tensor t = x.MT;
        Tensor dense = t.Contiguous();
        Assert.NotSame(t.Storage, dense.Storage);
        Assert.True(dense.IsContiguous);
        Assert.Equal(new long[] { 3, 1 }, dense.Strides);
        Assert.Equal(t.ToArray<float>(), dense.ToArray<float>());
    }

    [Fact]
    public void NarrowAndSliceOffsetIntoTheSameStorage()
    {
        Tensor x = Range(4, 5);
        Tensor n = x.Narrow(1, 1, 3);
        Assert.Same(x.Storage, n.Storage);
        Assert.Equal(1, n.StorageOffset);
        Assert.Equal(new long[] { 5, 1 }, n.Strides);
        Tensor s = x.Slice(0, 1, 4, 2);
        Assert.Equal(5, s.StorageOffset);
        Assert.Equal(new long[] { 10, 1 }, s.Strides);
        Assert.Equal(new[] { 5f, 6f, 7f, 8f, 9f, 15f, 16f, 17f, 18f, 19f }, s.ToArray<float>());
        n.Fill(0);
        Assert.Equal(new[] { 0f, 0f, 0f, 0f, 4f }, x.Select(0, 0).ToArray<float>());
    }

    [Fact]
    public void ExpandRepeatsWithZeroStrideAndRejectsNonSingletonChanges()
    {
        Tensor x = Range(3, 1);
        Tensor e = x.Expand(2, 3, 4);
        Assert.Same(x.Storage, e.Storage);
        Assert.Equal(new long[] { 0, 1, 0 }, e.Strides);
        Assert.Equal(new[] { 0f, 0f, 0f, 0f, 1f, 1f, 1f, 1f, 2f, 2f, 2f, 2f }, e.Select(0, 1).ToArray<float>());
        Assert.Same(x, x.Expand(3, 1));
        Assert.Equal(new[] { 3, 5 }, x.Expand(-1, 5).Shape);
        Assert.Throws<ForgeException>(() => x.Expand(4, 1));
        Assert.Throws<ForgeException>(() => x.Expand(1));
        Assert.Throws<ForgeException>(() => x.Expand(-1, 3, 1));
    }

    [Fact]
    public void SqueezeAndUnsqueezeShareStorage()
    {
        Tensor x = Range(3, 1, 4);
        Tensor s = x.Squeeze(1);
        Assert.Same(x.Storage, s.Storage);
        Assert.Equal(new[] { 3, 4 }, s.Shape);
        Assert.Same(x, x.Squeeze(0));
        Assert.Equal(new[] { 3, 4 }, x.Squeeze().Shape);
        Tensor u = s.Unsqueeze(-1);
        Assert.Same(x.Storage, u.Storage);
        Assert.Equal(new[] { 3, 4, 1 }, u.Shape);
        Assert.Equal(new[] { 1, 3, 4 }, s.Unsqueeze(0).Shape);
        Assert.Equal(new[] { 3, 1, 4 }, s.Unsqueeze(-2).Shape);
        Assert.Throws<ForgeException>(() => s.Unsqueeze(3));
        Assert.Throws<ForgeException>(() => s.Unsqueeze(-4));
    }

    [Fact]
    public void SelectWithNegativeIndexCountsFromTheEnd()
    {
        Tensor x = Range(3, 2);
        Assert.Equal(new[] { 4f, 5f }, x.Select(0, -1).ToArray<float>());
        Assert.Equal(new[] { 1f, 3f, 5f }, x.Select(1, -1).ToArray<float>());
        Assert.Throws<ForgeException>(() => x.Select(0, 3));
        Assert.Throws<ForgeException>(() => x.Select(0, -4));
    }

    [Fact]
    public void DetachSharesStorageWithoutTheGraph()
    {
        Tensor x = Range(2, 2).RequireGrad();
        Tensor y = x.Mul(2f);
        Tensor d = y.Detach();
        Assert.Same(y.Storage, d.Storage);
        Assert.Null(d.GradFn);
        Assert.False(d.RequiresGrad);
    }

    [Fact]
    public void FlattenMergesARangeOfDimensions()
    {
        Tensor x = Range(2, 3, 4);
        Assert.Equal(new[] { 24 }, x.Flatten().Shape);
        Assert.Equal(new[] { 2, 12 }, x.Flatten(1).Shape);
        Assert.Equal(new[] { 6, 4 }, x.Flatten(0, 1).Shape);
        Assert.Equal(new[] { 1 }, Tensor.Scalar(3).Flatten().Shape);
        Assert.Throws<ForgeException>(() => x.Flatten(2, 1));
    }

    [Fact]
    public void OutOfRangeDimensionsAreRejected()
    {
        Tensor x = Range(2, 3);
        Assert.Throws<ForgeException>(() => x.Size(2));
        Assert.Throws<ForgeException>(() => x.Transpose(0, 2));
        Assert.Throws<ForgeException>(() => x.Narrow(-3, 0, 1));
        Assert.Equal(3, x.Size(-1));
    }
}
