using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Autograd;

/// <summary>Finite-difference checks of the reductions over one or several dimensions, with and without keepDim.</summary>
public class ReductionGradientTests
{
    public static TheoryData<int[], bool> DimsAndKeep()
    {
        var data = new TheoryData<int[], bool>();
        foreach (int[] dims in new[] { new[] { 0 }, [1], [-1], [0, 2], [2, 0], [-3, -2], [0, 1, 2] })
        {
            data.Add(dims, false);
            data.Add(dims, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(DimsAndKeep))]
    public void SumAndMeanGradientsMatchFiniteDifferences(int[] dims, bool keepDim)
    {
        var x = TensorAssert.RandomLeaf(1, 2, 3, 4);
        TensorAssert.GradientsMatch(t => t[0].Sum(dims, keepDim).Square(), x);
        TensorAssert.GradientsMatch(t => t[0].Mean(dims, keepDim).Exp(), x);
    }

    [Theory]
    [MemberData(nameof(DimsAndKeep))]
    public void VarAndStdGradientsMatchFiniteDifferences(int[] dims, bool keepDim)
    {
        var x = TensorAssert.RandomLeaf(2, 2, 3, 4);
        foreach (int correction in new[] { 0, 1 })
        {
            TensorAssert.GradientsMatch(t => t[0].Var(dims, correction, keepDim), x);
            TensorAssert.GradientsMatch(t => t[0].Std(dims, correction, keepDim), x);
        }
    }

    [Fact]
    public void ReductionsOfPermutedInputGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(3, 4, 3, 2);
        TensorAssert.GradientsMatch(t => t[0].Permute(2, 0, 1).Sum([1, 2]).Square(), x);
        TensorAssert.GradientsMatch(t => t[0].Transpose(0, 2).Mean(1, keepDim: true).Exp(), x);
        TensorAssert.GradientsMatch(t => t[0].Permute(1, 2, 0).Var([0, 2], 1, keepDim: true), x);
        TensorAssert.GradientsMatch(t => t[0].MT.LogSumExp(0), x);
        TensorAssert.GradientsMatch(t => t[0].Permute(2, 1, 0).Max(1), x);
    }

    [Fact]
    public void SumOfAllElementsAndOfZeroDimensionalTensorGradientsMatch()
    {
        var x = TensorAssert.RandomLeaf(4, 3, 4);
        TensorAssert.GradientsMatch(t => t[0].Sum().Mul(t[0].Mean()), x);
        var s = Tensor.Scalar(0.7f).RequireGrad();
        TensorAssert.GradientsMatch(t => t[0].Sum().Exp().Add(t[0].Mean(0)), s);
    }

    [Fact]
    public void StdWithLargerCorrectionMatchesFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(5, 3, 6);
        TensorAssert.GradientsMatch(t => t[0].Std(1, correction: 2), x);
        TensorAssert.GradientsMatch(t => t[0].Var([0, 1], correction: 3, keepDim: true), x);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    [InlineData(-3, true)]
    public void LogSumExpGradientsMatchFiniteDifferences(int dim, bool keepDim)
    {
        var x = TensorAssert.RandomLeaf(6, 2, 3, 4);
        TensorAssert.GradientsMatch(t => t[0].LogSumExp(dim, keepDim), x);
    }

    [Fact]
    public void LogSumExpGradientIsSoftmaxEvenForHugeInputs()
    {
        var x = Tensor.FromArray(new[] { 1000f, 1000f, 999f, -1000f }, 1, 4).RequireGrad();
        x.LogSumExp(1).Sum().Backward();
        double e = Math.Exp(-1);
        float[] expected = [(float)(1 / (2 + e)), (float)(1 / (2 + e)), (float)(e / (2 + e)), 0f];
        TensorAssert.Close(Tensor.FromArray(expected, 1, 4), x.Grad!, 1e-5, 1e-7);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    [InlineData(2, true)]
    public void MaxAndMinAlongADimensionGradientsMatchFiniteDifferences(int dim, bool keepDim)
    {
        var x = TensorAssert.RandomLeaf(7, 2, 3, 4);
        TensorAssert.GradientsMatch(t => t[0].Max(dim, keepDim).Mul(2f), x);
        TensorAssert.GradientsMatch(t => t[0].Min(dim, keepDim).Exp(), x);
    }

    [Fact]
    public void MaxAndMinOfAllElementsGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(8, 3, 4);
        TensorAssert.GradientsMatch(t => t[0].Max().Mul(t[0].Min()), x);
    }

    [Fact]
    public void MaxOfAllElementsSplitsTheGradientAmongTiesLikePyTorch()
    {
        var x = Tensor.FromArray(new[] { 1f, 3f, 3f }, 1, 3).RequireGrad();
        x.Max().Backward();
        Assert.Equal(new[] { 0f, 0.5f, 0.5f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void MaxAndMinAlongADimensionSplitTheGradientAmongTies()
    {
        var x = Tensor.FromArray(new[] { 1f, 3f, 3f, 2f, 2f, 2f }, 2, 3).RequireGrad();
        x.Max(1).Sum().Backward();
        TensorAssert.Close(Tensor.FromArray(new[] { 0f, 0.5f, 0.5f, 1f / 3, 1f / 3, 1f / 3 }, 2, 3), x.Grad!);
        x.Grad = null;
        x.Min(0).Sum().Backward();
        Assert.Equal(new[] { 1f, 0f, 0f, 0f, 1f, 1f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void ArgMaxAndArgMinPickTheFirstExtremeAndAreNotRecorded()
    {
        var x = Tensor.FromArray(new[] { 1f, 3f, 3f, 2f, 0f, 0f }, 2, 3).RequireGrad();
        TensorAssert.Equal(new long[] { 1, 0 }, x.ArgMax(1));
        TensorAssert.Equal(new long[] { 0, 1 }, x.ArgMin(1));
        TensorAssert.Equal(new long[] { 1, 0, 0 }, x.ArgMax(0));
        Assert.Equal(1, x.ArgMax().Item());
        Assert.False(x.ArgMax(1).RequiresGrad);
        Assert.Equal(new[] { 2, 1 }, x.ArgMin(1, keepDim: true).Shape);
    }
}
