using Forge.Autograd;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Autograd;

/// <summary>The backward engine: accumulation, graph lifetime, hooks, grad mode and error reporting.</summary>
public class EngineTests
{
    [Fact]
    public void GradientsOfAReusedInputAddUp()
    {
        var x = Tensor.FromArray(new[] { 2f, -1f }).RequireGrad();
        Tensor y = x.Mul(x).Add(x).Add(x.Exp().Mul(x));
        y.Sum().Backward();
        float[] expected = [2 * 2 + 1 + MathF.Exp(2) * 3, 2 * -1 + 1 + MathF.Exp(-1) * 0];
        TensorAssert.Close(Tensor.FromArray(expected), x.Grad!);
    }

    [Fact]
    public void SecondBackwardAccumulatesIntoLeafGradientsWhenTheGraphIsRetained()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }).RequireGrad();
        Tensor y = x.Square().Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(new[] { 4f, 8f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void SecondBackwardThroughAFreedGraphNamesTheNodeAndTheFix()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }).RequireGrad();
        Tensor y = x.Exp().Sum();
        y.Backward();
        Assert.True(y.GradFn!.IsReleased);
        var error = Assert.Throws<ForgeException>(() => y.Backward());
        Assert.Contains("retainGraph", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BackwardRejectsNonScalarWithoutGradientAndMismatchedGradient()
    {
        var x = Tensor.Ones(2, 3).RequireGrad();
        Tensor y = x.Mul(2f);
        Assert.Throws<ForgeException>(() => y.Backward());
        var error = Assert.Throws<ForgeException>(() => y.Backward(Tensor.Ones(3, 2)));
        Assert.Contains("[3, 2]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => Tensor.Ones(2).Sum().Backward());
    }

    [Fact]
    public void RetainGradKeepsTheGradientOfAnIntermediateTensor()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }).RequireGrad();
        Tensor hidden = x.Mul(3f);
        Tensor other = x.Mul(4f);
        hidden.RetainGrad();
        hidden.Square().Add(other).Sum().Backward();
        Assert.Equal(new[] { 6f, 12f }, hidden.Grad!.ToArray<float>());
        Assert.Null(other.Grad);
        Assert.Equal(new[] { 22f, 40f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void HookCanReplaceTheGradientAndBeRemoved()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }).RequireGrad();
        Action remove = x.RegisterHook(g => g.Mul(10f));
        x.Square().Sum().Backward();
        Assert.Equal(new[] { 20f, 40f }, x.Grad!.ToArray<float>());
        remove();
        x.Grad = null;
        x.Square().Sum().Backward();
        Assert.Equal(new[] { 2f, 4f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void HookOnAnIntermediateTensorChangesWhatFlowsUpstream()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }).RequireGrad();
        Tensor hidden = x.Mul(2f);
        var seen = new List<float[]>();
        hidden.RegisterHook(g =>
        {
            seen.Add(g.ToArray<float>());
            return null;
        });
        hidden.Sum().Backward();
        Assert.Equal(new[] { 1f, 1f }, Assert.Single(seen));
        Assert.Throws<ForgeException>(() => Tensor.Ones(2).RegisterHook(g => g));
    }

    [Fact]
    public void LongChainsBackpropagateWithoutRecursion()
    {
        var x = Tensor.FromArray(new[] { 1f }).RequireGrad();
        Tensor y = x;
        for (int i = 0; i < 20000; i++) y = y.Add(1f);
        y.Sum().Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void NoGradStopsRecordingAndEnableGradResumesItInside()
    {
        var x = Tensor.Ones(2).RequireGrad();
        using (GradMode.NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            Assert.False(x.Mul(2f).RequiresGrad);
            using (GradMode.EnableGrad())
            {
                Assert.True(x.Mul(2f).RequiresGrad);
            }
            Assert.False(GradMode.IsEnabled);
        }
        Assert.True(GradMode.IsEnabled);
        Assert.Equal("MulBackward", x.Mul(2f).GradFn!.Name);
    }

    [Fact]
    public void DetachAndNonLeafRulesAreEnforced()
    {
        var x = Tensor.Ones(2).RequireGrad();
        Tensor y = x.Mul(2f);
        Assert.False(y.IsLeaf);
        Assert.Throws<ForgeException>(() => y.RequiresGrad = false);
        y.Detach().Mul(x).Sum().Backward();
        Assert.Equal(new[] { 2f, 2f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void GradCheckReportsAWrongGradient()
    {
        var x = TensorAssert.RandomLeaf(1, 3);
        static Tensor WrongSquare(Tensor t)
        {
            Tensor result = t.Detach().Square();
            return Tensor.Record(result, "WrongSquareBackward", g => [g.Mul(t.Detach()).Mul(3f)], t);
        }
        IReadOnlyList<string> failures = GradCheck.Check(t => WrongSquare(t[0]), [x]);
        Assert.Equal(3, failures.Count);
        Assert.Contains("input 0 element 0", failures[0], StringComparison.Ordinal);
        Assert.Empty(GradCheck.Check(t => t[0].Square(), [x]));
    }

    [Fact]
    public void GradCheckRejectsNonContiguousInputs()
    {
        Tensor transposedLeaf = Tensor.Randn([3, 2], new Generator(3)).MT.RequireGrad();
        Assert.Throws<ForgeException>(() => GradCheck.Check(t => t[0].Square(), [transposedLeaf]));
    }

    [Fact]
    public void AFinishedBackwardKeepsNoTensorOfItsGraphReachable()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }).RequireGrad();
        WeakReference intermediate = BackwardThroughAnIntermediate(x);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(intermediate.IsAlive, "the engine's reused collections still hold a tensor of the finished pass");
        Assert.Equal(new[] { 2f, 4f }, x.Grad!.ToArray<float>());
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference BackwardThroughAnIntermediate(Tensor x)
    {
        Tensor squared = x.Mul(x);
        squared.Sum().Backward();
        return new WeakReference(squared);
    }

    [Fact]
    public void BackwardRunFromAHookGetsItsOwnPass()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f }).RequireGrad();
        var b = Tensor.FromArray(new[] { 3f }).RequireGrad();
        Tensor y = a.Mul(a);
        y.RegisterHook(g =>
        {
            using (GradMode.EnableGrad()) b.Square().Sum().Backward();
            return null;
        });
        y.Sum().Backward();
        Assert.Equal(new[] { 2f, 4f }, a.Grad!.ToArray<float>());
        Assert.Equal(new[] { 6f }, b.Grad!.ToArray<float>());
    }
}
