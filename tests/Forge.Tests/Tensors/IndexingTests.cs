using Forge.Tensors;
using Forge.Tests.Functional;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

public class IndexingTests
{
    [Fact]
    public void CatMatchesPyTorchOutputAndGradients()
    {
        var c = Oracle.Case("cat");
        Tensor a = c.Tensor("a", true), b = c.Tensor("b", true), d = c.Tensor("c", true);
        Tensor output = Tensor.Cat([a, b, d], 1);
        TensorAssert.Close(c.Tensor("out"), output, 0, 0);
        Oracle.Backward(output, c);
        TensorAssert.Close(c.Tensor("da"), a.Grad!, 0, 0);
        TensorAssert.Close(c.Tensor("db"), b.Grad!, 0, 0);
        TensorAssert.Close(c.Tensor("dc"), d.Grad!, 0, 0);
    }

    [Fact]
    public void CatGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(1, 2, 3, 2);
        var b = TensorAssert.RandomLeaf(2, 2, 4, 3);
        TensorAssert.GradientsMatch(x => Tensor.Cat([x[0], x[1].Transpose(1, 2)], -1).Square(), a, b);
    }

    [Fact]
    public void CatRejectsMismatchedShapes()
    {
        var error = Assert.Throws<ForgeException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)], 1));
        Assert.Contains("[2, 3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 3]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 3, 1)], 0));
    }

    [Fact]
    public void CatRejectsEmptyListAndMixedDTypes()
    {
        Assert.Throws<ForgeException>(() => Tensor.Cat([]));
        Assert.Throws<ForgeException>(() => Tensor.Cat([Tensor.Zeros(2), Tensor.Zeros([2], DType.Int64)]));
    }

    [Fact]
    public void CatJoinsInt64Tensors()
    {
        Tensor joined = Tensor.Cat([Tensor.FromArray(new long[] { 1, 2 }), Tensor.FromArray(new long[] { 3 })]);
        TensorAssert.Equal(new long[] { 1, 2, 3 }, joined);
    }

    [Fact]
    public void StackMatchesPyTorchOutputAndGradients()
    {
        var c = Oracle.Case("stack");
        Tensor a = c.Tensor("a", true), b = c.Tensor("b", true), d = c.Tensor("c", true);
        Tensor output = Tensor.Stack([a, b, d], 1);
        TensorAssert.Close(c.Tensor("out"), output, 0, 0);
        Oracle.Backward(output, c);
        TensorAssert.Close(c.Tensor("da"), a.Grad!, 0, 0);
        TensorAssert.Close(c.Tensor("dc"), d.Grad!, 0, 0);
    }

    [Fact]
    public void StackAlongTheNewLastDimensionAndRejectsDifferentShapes()
    {
        Tensor stacked = Tensor.Stack([Tensor.Zeros(2, 3), Tensor.Ones(2, 3)], -1);
        Assert.Equal([2, 3, 2], stacked.Shape);
        TensorAssert.Equal(new float[] { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }, stacked);
        Assert.Throws<ForgeException>(() => Tensor.Stack([Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)]));
    }

    [Fact]
    public void SplitAndChunkMatchPyTorch()
    {
        var c = Oracle.Case("split");
        Tensor x = c.Tensor("x");
        AssertPieces(c["by_size"], x.Split(3, 0));
        AssertPieces(c["by_sizes"], x.Split([1, 4, 2], 0));
        AssertPieces(c["chunks"], x.Chunk(3, 1));
    }

    [Fact]
    public void SplitPiecesAreViewsOfTheInput()
    {
        Tensor x = Tensor.Zeros(4, 3);
        Tensor[] pieces = x.Split(2, 0);
        pieces[1].Fill(5);
        Assert.Same(x.Storage, pieces[1].Storage);
        Assert.Equal(5, x.Select(0, 3).Sum().Item() / 3);
        Assert.Equal(0, x.Select(0, 1).Sum().Item());
    }

    [Fact]
    public void SplitRejectsSizesThatDoNotAddUp()
    {
        var error = Assert.Throws<ForgeException>(() => Tensor.Zeros(5, 2).Split([2, 2], 0));
        Assert.Contains("5", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => Tensor.Zeros(5, 2).Split(0, 0));
    }

    [Fact]
    public void ChunkReturnsFewerPiecesWhenTheSizeDoesNotNeedThemAll()
    {
        Tensor[] pieces = Tensor.Zeros(6).Chunk(4);
        Assert.Equal([2, 2, 2], pieces.Select(p => p.Size(0)));
        Assert.Equal([2, 2, 1], Tensor.Zeros(5).Chunk(3).Select(p => p.Size(0)));
    }

    [Fact]
    public void SplitGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(3, 5, 4);
        TensorAssert.GradientsMatch(x =>
        {
            Tensor[] parts = x[0].Split([1, 3], 1);
            return parts[0] * parts[1];
        }, a);
    }

    [Theory]
    [InlineData("dim0")]
    [InlineData("dim1")]
    public void GatherMatchesPyTorchOutputAndGradients(string name)
    {
        var c = Oracle.Case("gather", name);
        Tensor x = c.Tensor("x", true);
        Tensor output = x.Gather((int)c.Number("dim"), c.Tensor("index"));
        TensorAssert.Close(c.Tensor("out"), output, 0, 0);
        Oracle.Backward(output, c);
        TensorAssert.Close(c.Tensor("dx"), x.Grad!);
    }

    [Fact]
    public void GatherGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(4, 3, 5);
        Tensor index = Tensor.FromArray(new long[] { 4, 4, 0, 1, 2, 2 }, 3, 2);
        TensorAssert.GradientsMatch(x => x[0].Gather(1, index).Square(), a);
    }

    [Fact]
    public void GatherReadsNonContiguousInput()
    {
        Tensor x = Tensor.Arange(0, 6, 1, DType.Float32).Reshape(2, 3).MT;
        Tensor picked = x.Gather(1, Tensor.FromArray(new long[] { 1, 0, 1 }, 3, 1));
        TensorAssert.Equal(new float[] { 3, 1, 5 }, picked);
    }

    [Fact]
    public void GatherRejectsIndexOutOfRangeAndNonInt64Index()
    {
        Tensor x = Tensor.Zeros(2, 3);
        var error = Assert.Throws<ForgeException>(() => x.Gather(1, Tensor.FromArray(new long[] { 0, 3 }, 2, 1)));
        Assert.Contains("index 3", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => x.Gather(1, Tensor.FromArray(new long[] { -1 }, 1, 1)));
        Assert.Throws<ForgeException>(() => x.Gather(1, Tensor.FromArray(new int[] { 0 }, 1, 1)));
        Assert.Throws<ForgeException>(() => x.Gather(1, Tensor.FromArray(new long[] { 0, 0, 0 }, 3, 1)));
    }

    [Theory]
    [InlineData("same")]
    [InlineData("larger_source")]
    public void ScatterAddMatchesPyTorchOutputAndGradients(string name)
    {
        var c = Oracle.Case("scatter_add", name);
        Tensor self = c.Tensor("self", true), source = c.Tensor("src", true);
        Tensor output = self.ScatterAdd((int)c.Number("dim"), c.Tensor("index"), source);
        TensorAssert.Close(c.Tensor("out"), output);
        Oracle.Backward(output, c);
        TensorAssert.Close(c.Tensor("dself"), self.Grad!, 0, 0);
        TensorAssert.Close(c.Tensor("dsrc"), source.Grad!, 0, 0);
    }

    [Fact]
    public void ScatterAddGradientsMatchFiniteDifferences()
    {
        var self = TensorAssert.RandomLeaf(5, 3, 4);
        var source = TensorAssert.RandomLeaf(6, 2, 4);
        Tensor index = Tensor.FromArray(new long[] { 0, 2, 2, 1, 0, 0, 1, 2 }, 2, 4);
        TensorAssert.GradientsMatch(x => x[0].ScatterAdd(0, index, x[1]).Square(), self, source);
    }

    [Fact]
    public void ScatterAddIsOutOfPlaceAndAddsRepeatedIndices()
    {
        Tensor self = Tensor.Ones(3);
        Tensor result = self.ScatterAdd(0, Tensor.FromArray(new long[] { 2, 2, 0 }), Tensor.FromArray(new float[] { 1, 2, 3 }));
        TensorAssert.Equal(new float[] { 4, 1, 4 }, result);
        TensorAssert.Equal(new float[] { 1, 1, 1 }, self);
    }

    [Fact]
    public void ScatterAddRejectsIndexOutOfRange()
    {
        var error = Assert.Throws<ForgeException>(() => Tensor.Zeros(3).ScatterAdd(0, Tensor.FromArray(new long[] { 3 }), Tensor.Ones(1)));
        Assert.Contains("index 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("size 3", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dim0")]
    [InlineData("dim2")]
    public void IndexSelectMatchesPyTorchOutputAndGradients(string name)
    {
        var c = Oracle.Case("index_select", name);
        Tensor x = c.Tensor("x", true);
        Tensor output = x.IndexSelect((int)c.Number("dim"), c.Tensor("index"));
        TensorAssert.Close(c.Tensor("out"), output, 0, 0);
        Oracle.Backward(output, c);
        TensorAssert.Close(c.Tensor("dx"), x.Grad!);
    }

    [Fact]
    public void IndexSelectGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(7, 3, 4, 2);
        Tensor index = Tensor.FromArray(new long[] { 3, 0, 3, 3 });
        TensorAssert.GradientsMatch(x => x[0].Transpose(0, 2).IndexSelect(1, index).Square(), a);
    }

    [Fact]
    public void IndexSelectRejectsIndexOutOfRange()
    {
        var error = Assert.Throws<ForgeException>(() => Tensor.Zeros(4, 2).IndexSelect(0, Tensor.FromArray(new long[] { 1, 7 })));
        Assert.Contains("index 7", error.Message, StringComparison.Ordinal);
        Assert.Contains("size 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IndexSelectCopiesInt64Rows()
    {
        Tensor table = Tensor.FromArray(new long[] { 10, 11, 20, 21, 30, 31 }, 3, 2);
        TensorAssert.Equal(new long[] { 30, 31, 10, 11 }, table.IndexSelect(0, Tensor.FromArray(new long[] { 2, 0 })));
    }

    [Fact]
    public void IndexCopyOverwritesTheIndexedSlicesAlongAnInnerDimension()
    {
        // [2, 4, 3]: slices 3 and 1 of dimension 1 take the source's slices 0 and 1 (a key-value cache's position write).
        Tensor target = Tensor.Arange(0, 24).To(DType.Float32).Reshape(2, 4, 3);
        Tensor source = Tensor.FromArray(new float[] { -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12 }, 2, 2, 3);
        Assert.Same(target, target.IndexCopyInPlace(1, Tensor.FromArray(new long[] { 3, 1 }), source));
        TensorAssert.Equal(new float[]
        {
            0, 1, 2, -4, -5, -6, 6, 7, 8, -1, -2, -3,
            12, 13, 14, -10, -11, -12, 18, 19, 20, -7, -8, -9,
        }, target);
    }

    [Fact]
    public void IndexCopyReadsAndWritesViewsThatStartInsideTheirStorage()
    {
        // The source is the second third of a row, as a key split from a fused query/key/value projection is.
        Tensor fused = Tensor.Arange(0, 12).To(DType.Float32).Reshape(1, 1, 12);
        Tensor key = fused.Split(4, dim: 2)[1];
        Tensor cache = Tensor.Zeros(2, 3, 4);
        cache.Narrow(0, 1, 1).IndexCopyInPlace(1, Tensor.FromArray(new long[] { 2 }), key);
        TensorAssert.Equal(new float[] { 4, 5, 6, 7 }, cache.Narrow(0, 1, 1).Narrow(1, 2, 1).Contiguous().Reshape(-1));
        Assert.Equal(4, cache.ToArray<float>().Count(v => v != 0));
        Tensor ids = Tensor.Zeros([5], DType.Int64);
        ids.Narrow(0, 1, 4).IndexCopyInPlace(0, Tensor.FromArray(new long[] { 3, 0 }), Tensor.FromArray(new long[] { 10, 20, 30 }).Narrow(0, 1, 2));
        TensorAssert.Equal(new long[] { 0, 30, 0, 0, 20 }, ids);
    }

    [Fact]
    public void IndexCopyRejectsBadIndicesAndSources()
    {
        Tensor target = Tensor.Zeros(2, 4, 3);
        Tensor row = Tensor.Ones(2, 1, 3);
        var outside = Assert.Throws<ForgeException>(() => target.IndexCopyInPlace(1, Tensor.FromArray(new long[] { 4 }), row));
        Assert.Contains("index 4", outside.Message, StringComparison.Ordinal);
        var shape = Assert.Throws<ForgeException>(() => target.IndexCopyInPlace(1, Tensor.FromArray(new long[] { 0, 1 }), row));
        Assert.Contains("[2, 2, 3]", shape.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => target.IndexCopyInPlace(1, Tensor.FromArray(new long[] { 0 }), Tensor.Ones([2, 1, 3], DType.Int64)));
        Assert.Throws<ForgeException>(() => target.Transpose(0, 1).IndexCopyInPlace(0, Tensor.FromArray(new long[] { 0 }), Tensor.Ones(1, 2, 3)));
        Assert.All(target.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    private static void AssertPieces(Fixture expected, Tensor[] actual)
    {
        string[] names = expected.Names.ToArray();
        Assert.Equal(names.Length, actual.Length);
        for (int i = 0; i < names.Length; i++) TensorAssert.Close(expected.Tensor(names[i]), actual[i], 0, 0);
    }
}
