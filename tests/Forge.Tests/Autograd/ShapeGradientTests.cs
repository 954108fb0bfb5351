using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Autograd;

/// <summary>Finite-difference checks of views, joins, splits and index ops, each followed by a nonlinear op so every element matters.</summary>
public class ShapeGradientTests
{
    private static readonly Tensor Weights = Tensor.Randn([24], new Generator(99));

    /// <summary>A nonlinear function of every element, so a wrong gradient route shows.</summary>
    private static Tensor Mix(Tensor t) => t.Reshape(-1).Sin().Mul(Weights.Narrow(0, 0, (int)t.Numel));

    [Fact]
    public void ViewReshapeAndFlattenGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(1, 2, 3, 4);
        TensorAssert.GradientsMatch(t => Mix(t[0].View(6, 4)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Reshape(4, -1)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].MT.Reshape(2, 12)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Flatten(1)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Permute(2, 0, 1).Flatten(0, 1)), x);
    }

    [Fact]
    public void PermuteTransposeAndMTGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(2, 2, 3, 4);
        TensorAssert.GradientsMatch(t => Mix(t[0].Permute(2, 0, 1).Contiguous()), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Transpose(0, 2).Contiguous()), x);
        TensorAssert.GradientsMatch(t => t[0].MT.MatMul(t[0]), x);
        TensorAssert.GradientsMatch(t => t[0].Permute(-1, -3, -2).Exp().Sum(0), x);
    }

    [Fact]
    public void NarrowSliceAndSelectGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(3, 4, 6);
        TensorAssert.GradientsMatch(t => Mix(t[0].Narrow(1, -4, 3)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Narrow(0, 1, 2).Narrow(1, 0, 5)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Slice(1, 1, 6, 2)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Slice(0, -3, -1)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Select(1, -1)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].MT.Select(0, 2)), x);
    }

    [Fact]
    public void SqueezeUnsqueezeGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(4, 3, 1, 4);
        TensorAssert.GradientsMatch(t => Mix(t[0].Squeeze(1)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Squeeze()), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Unsqueeze(0).Unsqueeze(-1)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Squeeze(0)), x);
    }

    [Fact]
    public void ExpandAndBroadcastToSumTheGradientOverRepeats()
    {
        var x = TensorAssert.RandomLeaf(5, 3, 1);
        TensorAssert.GradientsMatch(t => Mix(t[0].Expand(2, 3, 4)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].Expand(-1, 5)), x);
        TensorAssert.GradientsMatch(t => Mix(t[0].BroadcastTo([2, 3, 2]).Permute(2, 1, 0)), x);
        x.Grad = null;
        x.Expand(2, 3, 4).Sum().Backward();
        Assert.Equal(new[] { 8f, 8f, 8f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void SumToShapeReducesBroadcastDimensions()
    {
        var x = TensorAssert.RandomLeaf(6, 2, 3, 4);
        TensorAssert.GradientsMatch(t => t[0].SumToShape([3, 1]).Exp(), x);
        TensorAssert.GradientsMatch(t => t[0].SumToShape([1, 3, 4]).Exp(), x);
        TensorAssert.GradientsMatch(t => t[0].SumToShape([4]).Exp(), x);
    }

    [Fact]
    public void CatGradientsMatchFiniteDifferencesAlongEveryDimension()
    {
        var a = TensorAssert.RandomLeaf(7, 2, 3);
        var b = TensorAssert.RandomLeaf(8, 2, 3);
        var c = TensorAssert.RandomLeaf(9, 3, 2);
        TensorAssert.GradientsMatch(t => Mix(Tensor.Cat([t[0], t[1], t[2].MT], 0)), a, b, c);
        TensorAssert.GradientsMatch(t => Mix(Tensor.Cat([t[0], t[2].MT, t[1]], -1)), a, b, c);
        TensorAssert.GradientsMatch(t => Mix(Tensor.Cat([t[0], t[0]], 1)), a);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void StackGradientsMatchFiniteDifferences(int dim)
    {
        var a = TensorAssert.RandomLeaf(10, 2, 3);
        var b = TensorAssert.RandomLeaf(11, 3, 2);
        TensorAssert.GradientsMatch(t => Mix(Tensor.Stack([t[0], t[1].MT, t[0].Neg()], dim)), a, b);
    }

    [Fact]
    public void SplitAndChunkPiecesGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(12, 5, 4);
        TensorAssert.GradientsMatch(t =>
        {
            Tensor[] pieces = t[0].Split(2);
            return pieces[0].Exp().Sum().Add(pieces[2].Square().Sum()).Add(pieces[1].Sin().Sum());
        }, x);
        TensorAssert.GradientsMatch(t =>
        {
            Tensor[] pieces = t[0].Split([1, 3], 1);
            return pieces[1].Exp().Sum(1).Mul(pieces[0].Squeeze(1));
        }, x);
        TensorAssert.GradientsMatch(t =>
        {
            Tensor[] pieces = t[0].MT.Chunk(3, 1);
            return Tensor.Cat([pieces[2].Exp(), pieces[0]], 1);
        }, x);
    }

    [Fact]
    public void GatherGradientsWithRepeatsAndPermutedInputMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(13, 3, 4);
        Tensor rows = Tensor.FromArray(new long[] { 2, 2, 0, 1, 1, 1 }, 2, 3);
        Tensor columns = Tensor.FromArray(new long[] { 2, 2, 0, 1, 1, 1, 0, 0 }, 4, 2);
        TensorAssert.GradientsMatch(t => t[0].Gather(0, rows).Exp(), x);
        TensorAssert.GradientsMatch(t => t[0].MT.Gather(0, rows).Exp(), x);
        TensorAssert.GradientsMatch(t => t[0].MT.Gather(1, columns).Exp(), x);
    }

    [Fact]
    public void ScatterAddGradientsWithRepeatedIndicesMatchFiniteDifferences()
    {
        var self = TensorAssert.RandomLeaf(14, 3, 4);
        var source = TensorAssert.RandomLeaf(15, 2, 4);
        Tensor index = Tensor.FromArray(new long[] { 0, 0, 2, 1, 0, 2, 2, 1 }, 2, 4);
        TensorAssert.GradientsMatch(t => t[0].ScatterAdd(0, index, t[1]).Square(), self, source);
        TensorAssert.GradientsMatch(t => t[0].ScatterAdd(1, index.Narrow(1, 0, 2), t[1].Narrow(1, 0, 3)).Exp(), self, source);
    }

    [Fact]
    public void IndexSelectGradientsWithRepeatsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(16, 3, 4);
        Tensor index = Tensor.FromArray(new long[] { 2, 0, 2, 2 });
        TensorAssert.GradientsMatch(t => t[0].IndexSelect(0, index).Sin(), x);
        TensorAssert.GradientsMatch(t => t[0].IndexSelect(-1, index).Exp(), x);
        TensorAssert.GradientsMatch(t => t[0].MT.IndexSelect(1, index.Narrow(0, 0, 2)).Exp(), x);
    }

    [Fact]
    public void BmmGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(17, 2, 3, 4);
        var b = TensorAssert.RandomLeaf(18, 2, 5, 4);
        TensorAssert.GradientsMatch(t => t[0].Bmm(t[1].MT), a, b);
        TensorAssert.GradientsMatch(t => t[1].Bmm(t[0].Permute(0, 2, 1)).Exp(), a, b);
    }
}
