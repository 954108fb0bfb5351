using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Autograd;

/// <summary>
/// How backward gathers several gradients of one tensor: sums it adds in place once it owns them, and slices (Split, Narrow,
/// Select) written into one full gradient.
/// </summary>
public sealed class GradientAccumulationTests
{
    [Fact]
    public void SplitPiecesThatAllFlowBackTileTheGradient()
    {
        var x = TensorAssert.RandomLeaf(1, 2, 3, 12);
        TensorAssert.GradientsMatch(t =>
        {
            Tensor[] pieces = t[0].Split(4, dim: 2);
            return pieces[0].Mul(pieces[1]).Add(pieces[2].Square());
        }, x);
    }

    [Fact]
    public void UnusedOverlappingAndSteppedSlicesAddUpWithDenseUses()
    {
        var x = TensorAssert.RandomLeaf(2, 4, 10);
        TensorAssert.GradientsMatch(t =>
        {
            Tensor a = t[0].Narrow(1, 0, 6), b = t[0].Narrow(1, 3, 6), c = t[0].Slice(1, 1, 10, step: 3);
            Tensor unusedTail = t[0].Split(5, dim: 1)[1];
            return a.Mul(b).Sum(1).Add(c.Sum(1)).Add(t[0].Square().Sum(1)).Add(t[0].Select(1, 2)).Add(unusedTail.Sum(1).Mul(0f));
        }, x);
    }

    [Fact]
    public void ATensorUsedManyTimesGetsTheSumWithoutCorruptingSharedGradients()
    {
        // x + x hands the same gradient tensor to both uses; later contributions are added in place only into a sum backward owns.
        var x = TensorAssert.RandomLeaf(3, 5);
        var y = TensorAssert.RandomLeaf(4, 5);
        TensorAssert.GradientsMatch(t => t[0].Add(t[0]).Mul(t[1]).Add(t[0]).Add(t[1].Mul(t[0])).Add(t[0].Narrow(0, 1, 3).Sum()), x, y);

        Tensor leaf = Tensor.Ones([3]).RequireGrad();
        Tensor shared = leaf.Mul(2f);
        shared.Add(shared).Add(shared).Sum().Backward();
        Assert.Equal(new float[] { 6, 6, 6 }, leaf.Grad!.ToArray<float>());
    }

    [Fact]
    public void HooksSeeTheFullGradientOfASplitTensorAndGradientsAccumulateAcrossBackwardCalls()
    {
        Tensor x = Tensor.Arange(0, 6, dtype: DType.Float32).RequireGrad();
        Tensor doubled = x.Mul(2f);
        float[]? seen = null;
        doubled.RegisterHook(g =>
        {
            seen = g.ToArray<float>();
            return null;
        });
        Tensor[] halves = doubled.Split(3);
        halves[0].Sum().Add(halves[1].Mul(3f).Sum()).Backward();
        Assert.Equal(new float[] { 1, 1, 1, 3, 3, 3 }, seen);
        Assert.Equal(new float[] { 2, 2, 2, 6, 6, 6 }, x.Grad!.ToArray<float>());

        x.Narrow(0, 4, 2).Sum().Backward();
        Assert.Equal(new float[] { 2, 2, 2, 6, 7, 7 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void AKeptGradientBufferTakesTheNewGradientsMemoryAndKeepsItsIdentityAndValues()
    {
        // Large enough for pooled memory, which backward trades instead of copying into a lazily zeroed buffer.
        int size = (int)(CpuMemoryPool.MinimumBytes / sizeof(float)) * 2;
        Tensor w = Tensor.Ones([size]).RequireGrad();
        Tensor x = Tensor.Arange(0, size, dtype: DType.Float32);
        w.Mul(x).Sum().Backward();
        Tensor buffer = w.Grad!;
        float[] first = buffer.ToArray<float>();

        w.ZeroGradKeepingBuffer();
        w.Mul(x.Mul(3f)).Sum().Backward();
        Assert.Same(buffer, w.Grad);
        Assert.Equal(first.Select(v => 3 * v), buffer.ToArray<float>());

        w.Mul(x).Sum().Backward();
        Assert.Equal(first.Select(v => 4 * v), w.Grad!.ToArray<float>());
    }
}
