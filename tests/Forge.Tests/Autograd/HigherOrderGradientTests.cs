using Forge.Autograd;
using Forge.Backends;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Autograd;

/// <summary>Backward with createGraph records the gradients, so they can be differentiated again.</summary>
public class HigherOrderGradientTests
{
    /// <summary>
    /// ∂loss/∂x as a recorded tensor, leaving the gradients of x and of <paramref name="others"/> (tensors the loss also
    /// reads) as they were. Works inside a no-grad region too, so GradCheck can take finite differences of it: that checks
    /// the second derivatives.
    /// </summary>
    private static Tensor Gradient(Func<Tensor, Tensor> loss, Tensor x, params Tensor[] others)
    {
        using var scope = GradMode.EnableGrad();
        Tensor?[] saved = [x.Grad, .. others.Select(o => o.Grad)];
        Tensor copy = x.Clone();
        copy.RetainGrad();
        loss(copy).Backward(createGraph: true);
        Tensor gradient = copy.Grad!;
        x.Grad = saved[0];
        for (int i = 0; i < others.Length; i++) others[i].Grad = saved[i + 1];
        return gradient;
    }

    [Fact]
    public void CreateGraphKeepsTheGraphForASecondBackward()
    {
        var x = Tensor.FromArray(new[] { 0.5f, 1.5f }).RequireGrad();
        x.Mul(x).Mul(x).Sum().Backward(createGraph: true);
        Tensor first = x.Grad!;
        TensorAssert.Close(Tensor.FromArray(new[] { 0.75f, 6.75f }), first);
        Assert.NotNull(first.GradFn);
        x.Grad = null;
        first.Sum().Backward();
        TensorAssert.Close(Tensor.FromArray(new[] { 3f, 9f }), x.Grad!);
    }

    [Fact]
    public void BackwardWithoutCreateGraphStillFreesTheGraph()
    {
        var x = Tensor.FromArray(new[] { 0.5f, 1.5f }).RequireGrad();
        Tensor y = x.Mul(x).Sum();
        y.Backward();
        Assert.Null(x.Grad!.GradFn);
        Assert.Throws<ForgeException>(() => y.Backward());
    }

    [Fact]
    public void ThirdDerivativeOfCubeIsSix()
    {
        var x = Tensor.FromArray(new[] { 2f }).RequireGrad();
        x.Pow(3f).Sum().Backward(createGraph: true);
        Tensor first = x.Grad!;
        x.Grad = null;
        first.Sum().Backward(createGraph: true);
        Tensor second = x.Grad!;
        Assert.Equal(12f, second.Item());
        x.Grad = null;
        second.Sum().Backward();
        Assert.Equal(6f, x.Grad!.Item());
    }

    public static TheoryData<UnaryOp> UnaryOps() => [.. Enum.GetValues<UnaryOp>()];

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryOpSecondDerivativesMatchFiniteDifferences(UnaryOp op)
    {
        Tensor x = Tensor.Rand([2, 3], new Generator((ulong)op + 1)).Mul(1.6f).Add(0.2f);
        if (op is not (UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.PowScalar or UnaryOp.Reciprocal)) x = x.Sub(1f);
        x.RequireGrad();
        TensorAssert.GradientsMatch(t => Gradient(u => Apply(op, u).Mul(u).Sum(), t[0]), [x], 1e-3f, 2e-3f, 1e-2f);
    }

    [Fact]
    public void UnaryGradientWithCreateGraphEqualsTheKernelGradient()
    {
        foreach (UnaryOp op in Enum.GetValues<UnaryOp>())
        {
            var x = Tensor.Randn([3, 4], new Generator(9)).Abs().Add(0.1f).RequireGrad();
            Tensor g = Tensor.Randn([3, 4], new Generator(10));
            Apply(op, x).Backward(g);
            Tensor plain = x.Grad!;
            x.Grad = null;
            Apply(op, x).Backward(g, createGraph: true);
            TensorAssert.Close(plain, x.Grad!, 1e-5, 1e-6, op.ToString());
        }
    }

    [Fact]
    public void MatMulGradientIsDifferentiableInTheOtherOperand()
    {
        var a = TensorAssert.RandomLeaf(1, 2, 3);
        var b = TensorAssert.RandomLeaf(2, 3, 4);
        TensorAssert.GradientsMatch(t => Gradient(u => u.MatMul(t[1]).Square().Sum(), t[0], t[1]), a, b);
        TensorAssert.GradientsMatch(t => Gradient(u => t[0].MatMul(u).Tanh().Sum(), t[1], t[0]), a, b);
    }

    [Fact]
    public void BatchedMatMulGradientIsDifferentiable()
    {
        var a = TensorAssert.RandomLeaf(3, 2, 1, 2, 3);
        var b = TensorAssert.RandomLeaf(4, 3, 3, 2);
        TensorAssert.GradientsMatch(t => Gradient(u => u.MatMul(t[1]).Square().Sum(), t[0], t[1]), a, b);
    }

    [Fact]
    public void LogSumExpSecondDerivativeIsTheSoftmaxJacobian()
    {
        var x = TensorAssert.RandomLeaf(5, 3, 4);
        TensorAssert.GradientsMatch(t => Gradient(u => u.LogSumExp(1).Square().Sum(), t[0]), x);
        TensorAssert.GradientsMatch(t => Gradient(u => u.LogSumExp(0, keepDim: true).Sin().Sum(), t[0]), x);
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxSecondDerivativesMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(6, 3, 4);
        var w = Tensor.Randn([3, 4], new Generator(7));
        TensorAssert.GradientsMatch(t => Gradient(u => F.Softmax(u, 1).Mul(w).Sum(), t[0]), x);
        TensorAssert.GradientsMatch(t => Gradient(u => F.Softmax(u, 0).Mul(w).Sum(), t[0]), x);
        TensorAssert.GradientsMatch(t => Gradient(u => F.LogSoftmax(u, -1).Mul(w).Sum(), t[0]), x);
    }

    [Fact]
    public void SliceAndNarrowGradientsAreDifferentiable()
    {
        var x = TensorAssert.RandomLeaf(8, 4, 5);
        TensorAssert.GradientsMatch(t => Gradient(u => u.Narrow(1, -3, 2).Pow(3f).Sum(), t[0]), x);
        TensorAssert.GradientsMatch(t => Gradient(u => u.Slice(0, 0, 4, 2).Exp().Sum(), t[0]), x);
        TensorAssert.GradientsMatch(t => Gradient(u => u.Select(1, 2).Square().Sum(), t[0]), x);
    }

    [Fact]
    public void BinaryAndReductionSecondDerivativesMatchFiniteDifferences()
    {
        var x = Tensor.Rand([3, 4], new Generator(11)).Add(0.5f).RequireGrad();
        var y = Tensor.Rand([4], new Generator(12)).Add(0.5f).RequireGrad();
        TensorAssert.GradientsMatch(t => Gradient(u => u.Div(t[1]).Mul(u).Sum(), t[0], t[1]), x, y);
        TensorAssert.GradientsMatch(t => Gradient(u => u.Pow(t[1]).Sum(), t[0], t[1]), x, y);
        TensorAssert.GradientsMatch(t => Gradient(u => t[0].Pow(u).Sum(), t[1], t[0]), x, y);
        TensorAssert.GradientsMatch(t => Gradient(u => u.Var(1).Mul(u.Mean(1)).Sum(), t[0]), x);
        TensorAssert.GradientsMatch(t => Gradient(u => u.Std([0, 1]), t[0]), x);
        TensorAssert.GradientsMatch(t => Gradient(u => u.Max(1).Square().Sum(), t[0]), x);
    }

    [Fact]
    public void GatherAndWhereGradientsAreDifferentiable()
    {
        var x = TensorAssert.RandomLeaf(13, 3, 4);
        Tensor index = Tensor.FromArray(new long[] { 0, 3, 1, 1, 2, 0 }, 3, 2);
        Tensor condition = Tensor.FromArray(new[] { true, false, false, true }, 4);
        TensorAssert.GradientsMatch(t => Gradient(u => u.Gather(1, index).Pow(3f).Sum(), t[0]), x);
        TensorAssert.GradientsMatch(t => Gradient(u => Tensor.Where(condition, u.Sin(), u.Square()).Sum(), t[0]), x);
    }

    private static Tensor Apply(UnaryOp op, Tensor x) => op switch
    {
        UnaryOp.Neg => x.Neg(),
        UnaryOp.Exp => x.Exp(),
        UnaryOp.Log => x.Log(),
        UnaryOp.Sqrt => x.Sqrt(),
        UnaryOp.Rsqrt => x.Rsqrt(),
        UnaryOp.Abs => x.Abs(),
        UnaryOp.Tanh => x.Tanh(),
        UnaryOp.Sigmoid => x.Sigmoid(),
        UnaryOp.Relu => x.Relu(),
        UnaryOp.LeakyRelu => x.LeakyRelu(0.2f),
        UnaryOp.Gelu => x.Gelu(),
        UnaryOp.GeluTanh => x.Gelu(GeluApproximation.Tanh),
        UnaryOp.Silu => x.Silu(),
        UnaryOp.Softplus => x.Softplus(2, 1),
        UnaryOp.PowScalar => x.Pow(2.5f),
        UnaryOp.Clamp => x.Clamp(-0.5f, 0.5f),
        UnaryOp.Sin => x.Sin(),
        UnaryOp.Cos => x.Cos(),
        UnaryOp.Sign => x.Sign(),
        UnaryOp.Reciprocal => x.Reciprocal(),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}
