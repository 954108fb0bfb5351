using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class EmbeddingTests
{
    [Fact]
    public void EmbeddingWithPaddingIndexMatchesPyTorchOutputAndGradient()
    {
        var c = Oracle.Case("embedding");
        Tensor w = c.Tensor("w", true);
        Tensor y = F.Embedding(c.Tensor("indices"), w, (int)c.Number("padding"));
        TensorAssert.Close(c.Tensor("out"), y, 0, 0);
        Oracle.Backward(y, c);
        TensorAssert.Close(c.Tensor("dw"), w.Grad!);
    }

    [Fact]
    public void EmbeddingGradientsMatchFiniteDifferences()
    {
        var w = TensorAssert.RandomLeaf(1, 6, 3);
        Tensor indices = Tensor.FromArray(new long[] { 5, 1, 1, 0, 5, 5 }, 2, 3);
        TensorAssert.GradientsMatch(t => F.Embedding(indices, t[0]).Square(), w);
    }

    [Fact]
    public void TiedEmbeddingGradientsMatchFiniteDifferencesWithTheHeadAndSlicesOfTheSameWeight()
    {
        // The rows' gradients are added into the sum of the weight's other gradients: an output head over the same weight
        // (GPT-2's tied embedding), a slice of it, and a second lookup.
        var w = TensorAssert.RandomLeaf(3, 6, 3);
        Tensor indices = Tensor.FromArray(new long[] { 5, 1, 1, 0, 5, 5 }, 2, 3), more = Tensor.FromArray(new long[] { 2, 5 });
        TensorAssert.GradientsMatch(t => F.Embedding(indices, t[0]).MatMul(t[0].MT).Square(), w);
        TensorAssert.GradientsMatch(t => F.Embedding(indices, t[0]).Sum(1).Add(t[0].Narrow(0, 1, 3).Square().Sum(0)).Mul(F.Embedding(more, t[0])), w);
        // A transpose's gradient is a strided view, so the rows go into zeros that are then added to it.
        TensorAssert.GradientsMatch(t => F.Embedding(indices, t[0]).Square().Sum(0).Add(t[0].MT.Narrow(1, 0, 3)), w);
    }

    [Fact]
    public void EmbeddingGradientAccumulatesIntoAnExistingGradient()
    {
        var w = TensorAssert.RandomLeaf(4, 4, 2);
        Tensor indices = Tensor.FromArray(new long[] { 3, 3, 0 });
        w.Mul(2).Sum().Backward();
        F.Embedding(indices, w).Sum().Backward();
        TensorAssert.Equal(new float[] { 3, 3, 2, 2, 2, 2, 4, 4 }, w.Grad!);
    }

    [Fact]
    public void EmbeddingPaddingRowGetsNoGradientWithNegativePaddingIndex()
    {
        var w = TensorAssert.RandomLeaf(2, 4, 2);
        F.Embedding(Tensor.FromArray(new long[] { 3, 1, 3, 0 }), w, paddingIndex: -1).Sum().Backward();
        TensorAssert.Equal(new float[] { 1, 1, 1, 1, 0, 0, 0, 0 }, w.Grad!);
    }

    [Fact]
    public void EmbeddingRejectsOutOfRangeIndexNamingIndexAndVocabulary()
    {
        Tensor w = Tensor.Zeros(10, 4);
        var error = Assert.Throws<ForgeException>(() => F.Embedding(Tensor.FromArray(new long[] { 3, 12 }), w));
        Assert.Contains("12", error.Message, StringComparison.Ordinal);
        Assert.Contains("vocabulary of 10", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => F.Embedding(Tensor.FromArray(new long[] { -1 }), w));
        Assert.Throws<ForgeException>(() => F.Embedding(Tensor.FromArray(new int[] { 1 }), w));
        Assert.Throws<ForgeException>(() => F.Embedding(Tensor.FromArray(new long[] { 1 }), w, paddingIndex: 10));
    }

    [Fact]
    public void EmbeddingOfScalarIndexIsOneRow()
    {
        Tensor w = Tensor.Arange(0, 6, 1, DType.Float32).Reshape(3, 2);
        Tensor row = F.Embedding(Tensor.Full([], 2, DType.Int64), w);
        Assert.Equal([2], row.Shape);
        TensorAssert.Equal(new float[] { 4, 5 }, row);
    }
}
