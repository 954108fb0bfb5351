using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

public sealed class ReshapeTests
{
    [Fact]
    public void ReshapeSplitsADimensionOfASlicedViewWithoutCopying()
    {
        // One of q, k, v split from a fused projection [2, 3, 12]: rows 12 apart, 4 values each; splitting 4 into 2 x 2 is a view.
        Tensor fused = Tensor.Arange(0, 72, dtype: DType.Float32).Reshape(2, 3, 12);
        Tensor query = fused.Split(4, dim: 2)[1];
        Tensor heads = query.Reshape(2, 3, 2, 2);
        Assert.Same(fused.Storage, heads.Storage);
        Assert.Equal(query.Contiguous().ToArray<float>(), heads.Contiguous().ToArray<float>());
        Assert.Equal(new long[] { 36, 12, 2, 1 }, heads.Strides);
    }

    [Fact]
    public void ReshapeMergesCompatibleDimensionsAndCopiesIncompatibleOnes()
    {
        Tensor x = Tensor.Randn([4, 6, 5], new Generator(2));
        Tensor sliced = x.Narrow(2, 1, 3);
        Tensor merged = sliced.Reshape(24, 3);
        Assert.Same(x.Storage, merged.Storage);
        Assert.Equal(sliced.Contiguous().ToArray<float>(), merged.Contiguous().ToArray<float>());

        Tensor transposed = x.Transpose(0, 1);
        Tensor flat = transposed.Reshape(-1);
        Assert.NotSame(x.Storage, flat.Storage);
        Assert.Equal(transposed.Contiguous().ToArray<float>(), flat.ToArray<float>());
    }

    [Fact]
    public void GradientsFlowThroughAReshapedView()
    {
        Tensor x = TensorAssert.RandomLeaf(3, 2, 3, 8);
        TensorAssert.GradientsMatch(t => t[0].Narrow(2, 2, 4).Reshape(2, 3, 2, 2).Transpose(1, 2).Mul(t[0].Narrow(2, 0, 4).Reshape(2, 3, 2, 2).Transpose(1, 2)), x);
    }

    [Fact]
    public void GradientOfATransposedWeightIsContiguousAndCorrect()
    {
        // A tied output head uses the embedding matrix transposed: its gradient is computed in the embedding's own layout.
        Tensor embedding = TensorAssert.RandomLeaf(4, 7, 5);
        Tensor hidden = TensorAssert.RandomLeaf(5, 2, 3, 5);
        hidden.MatMul(embedding.MT).Square().Sum().Backward();
        Assert.True(embedding.Grad!.IsContiguous);
        TensorAssert.GradientsMatch(t => t[1].MatMul(t[0].MT), TensorAssert.RandomLeaf(6, 7, 5), TensorAssert.RandomLeaf(7, 2, 3, 5));
    }
}
