using Forge.Backends;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Autograd;

/// <summary>Finite-difference checks of every elementwise op, with broadcasting and non-contiguous inputs.</summary>
public class ElementwiseGradientTests
{
    /// <summary>Values in (-1.9, 1.9) away from 0 and ±0.5, where relu, abs, sign, clamp and softplus change slope.</summary>
    private static readonly float[] AwayFromKinks = [-1.83f, -1.41f, -0.97f, -0.74f, -0.31f, -0.12f, 0.09f, 0.27f, 0.68f, 0.93f, 1.37f, 1.88f];

    private static Tensor Leaf(UnaryOp op)
    {
        bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.PowScalar or UnaryOp.Reciprocal;
        float[] values = positive ? AwayFromKinks.Select(v => Math.Abs(v) + 0.2f).ToArray() : AwayFromKinks;
        return Tensor.FromArray(values, 3, 4).RequireGrad();
    }

    public static TheoryData<UnaryOp> UnaryOps() => [.. Enum.GetValues<UnaryOp>()];

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryOpGradientMatchesFiniteDifferences(UnaryOp op)
    {
        TensorAssert.GradientsMatch(x => Apply(op, x[0]), Leaf(op));
    }

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryOpOfTransposedInputGradientMatchesFiniteDifferences(UnaryOp op)
    {
        TensorAssert.GradientsMatch(x => Apply(op, x[0].MT).Mul(Tensor.Arange(1, 4, 1, DType.Float32)), Leaf(op));
    }

    public static TheoryData<BinaryOp, int[], int[]> BinaryCases()
    {
        int[][][] shapes = [[[3, 4], [3, 4]], [[3, 4], [4]], [[2, 1, 4], [3, 1]], [[1], [2, 3]], [[], [2, 3]], [[2, 3], []], [[4, 1], [1, 5]]];
        var data = new TheoryData<BinaryOp, int[], int[]>();
        foreach (BinaryOp op in Enum.GetValues<BinaryOp>())
        {
            foreach (int[][] pair in shapes) data.Add(op, pair[0], pair[1]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryOpWithBroadcastingGradientsMatchFiniteDifferences(BinaryOp op, int[] shapeA, int[] shapeB)
    {
        ulong seed = (ulong)op * 100 + (ulong)(shapeA.Length * 10 + shapeB.Length);
        Tensor a = Separated(shapeA, seed, 0.1f);
        Tensor b = Separated(shapeB, seed + 1, 0);
        if (op == BinaryOp.Pow) a = a.Abs().Add(0.5f);
        if (op == BinaryOp.Div) b = b.Abs().Add(0.5f).Mul(b.Sign().Add(0.5f).Sign());
        TensorAssert.GradientsMatch(x => Apply(op, x[0], x[1]), a.RequireGrad(), b.RequireGrad());
    }

    /// <summary>Random multiples of 1/4 plus <paramref name="shift"/>: with shifts 0.1 and 0, no two values are within 0.1, so maximum and minimum have no near-ties.</summary>
    private static Tensor Separated(int[] shape, ulong seed, float shift)
    {
        float[] values = Tensor.Randn(shape, new Generator(seed)).ToArray<float>();
        return Tensor.FromArray(values.Select(v => MathF.Round(v * 4) / 4 + shift).ToArray(), shape);
    }

    [Theory]
    [InlineData(BinaryOp.Add)]
    [InlineData(BinaryOp.Sub)]
    [InlineData(BinaryOp.Mul)]
    [InlineData(BinaryOp.Div)]
    [InlineData(BinaryOp.Maximum)]
    public void BinaryOpOfPermutedOperandsGradientsMatchFiniteDifferences(BinaryOp op)
    {
        var a = TensorAssert.RandomLeaf(40, 4, 2, 3);
        var b = Tensor.Rand([4, 3], new Generator(41)).Add(0.5f).RequireGrad();
        TensorAssert.GradientsMatch(x => Apply(op, x[0].Permute(2, 0, 1), x[1].MT.Unsqueeze(-1)), a, b);
    }

    [Fact]
    public void ConstantOperandsAndOperatorsGradientsMatchFiniteDifferences()
    {
        var x = Tensor.Rand([3, 4], new Generator(42)).Add(0.5f).RequireGrad();
        var y = TensorAssert.RandomLeaf(43, 4);
        TensorAssert.GradientsMatch(t => t[0].Add(2f).Mul(3f).Sub(1f).Div(4f), x);
        TensorAssert.GradientsMatch(t => (2f - t[0]) * (3f / t[0]) + (1f + t[0]) / 2f - -t[0], x);
        TensorAssert.GradientsMatch(t => t[0].Add(t[1], 0.5f).Square(), x, y);
        TensorAssert.GradientsMatch(t => t[0].Add(t[1], 1f).Sub(t[1]), x, y);
    }

    [Fact]
    public void MaximumAndMinimumSplitTheGradientOfTiesLikePyTorch()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f }).RequireGrad();
        var b = Tensor.FromArray(new[] { 1f, 1f, 4f }).RequireGrad();
        a.Maximum(b).Sum().Backward();
        Assert.Equal(new[] { 0.5f, 1f, 0f }, a.Grad!.ToArray<float>());
        Assert.Equal(new[] { 0.5f, 0f, 1f }, b.Grad!.ToArray<float>());
        a.Grad = b.Grad = null;
        a.Minimum(b).Sum().Backward();
        Assert.Equal(new[] { 0.5f, 0f, 1f }, a.Grad!.ToArray<float>());
        Assert.Equal(new[] { 0.5f, 1f, 0f }, b.Grad!.ToArray<float>());
    }

    [Fact]
    public void MaximumWithBroadcastTieSumsTheHalvesIntoTheSmallerOperand()
    {
        var a = Tensor.FromArray(new[] { 0f, 1f, 2f }).RequireGrad();
        var b = Tensor.FromArray(new[] { 1f }).RequireGrad();
        a.Maximum(b).Sum().Backward();
        Assert.Equal(new[] { 0f, 0.5f, 1f }, a.Grad!.ToArray<float>());
        Assert.Equal(new[] { 1.5f }, b.Grad!.ToArray<float>());
    }

    [Theory]
    [InlineData(0f, 1f, new[] { 0f, 1f, 1f, 1f, 0f })]
    [InlineData(0f, float.PositiveInfinity, new[] { 0f, 1f, 1f, 1f, 1f })]
    [InlineData(float.NegativeInfinity, 1f, new[] { 1f, 1f, 1f, 1f, 0f })]
    [InlineData(0.5f, 0.5f, new[] { 0f, 0f, 1f, 0f, 0f })]
    public void ClampGradientIsOneInsideAndAtTheBoundaries(float min, float max, float[] expected)
    {
        var x = Tensor.FromArray(new[] { -1f, 0f, 0.5f, 1f, 2f }).RequireGrad();
        x.Clamp(min, max).Sum().Backward();
        Assert.Equal(expected, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void ReluGradientAtZeroIsZeroAndLeakyReluUsesTheSlopeThere()
    {
        var x = Tensor.FromArray(new[] { -1f, 0f, 1f }).RequireGrad();
        x.Relu().Sum().Backward();
        Assert.Equal(new[] { 0f, 0f, 1f }, x.Grad!.ToArray<float>());
        x.Grad = null;
        x.LeakyRelu(0.1f).Sum().Backward();
        Assert.Equal(new[] { 0.1f, 0.1f, 1f }, x.Grad!.ToArray<float>());
    }

    [Theory]
    [InlineData(0.2f)]
    [InlineData(1f)]
    [InlineData(-0.5f)]
    public void LeakyReluGradientMatchesFiniteDifferencesForAnySlope(float slope)
    {
        TensorAssert.GradientsMatch(x => x[0].LeakyRelu(slope), Leaf(UnaryOp.LeakyRelu));
    }

    [Theory]
    [InlineData(GeluApproximation.None)]
    [InlineData(GeluApproximation.Tanh)]
    public void GeluGradientMatchesFiniteDifferencesOverAWideRange(GeluApproximation approximation)
    {
        var x = Tensor.Arange(-4.05, 4, 0.5, DType.Float32).RequireGrad();
        TensorAssert.GradientsMatch(t => t[0].Gelu(approximation), x);
    }

    [Theory]
    [InlineData(1f, 20f)]
    [InlineData(2f, 1f)]
    [InlineData(0.5f, 0.3f)]
    public void SoftplusGradientMatchesFiniteDifferencesInBothRegions(float beta, float threshold)
    {
        var x = Tensor.Arange(-3.05, 3, 0.4, DType.Float32).RequireGrad();
        TensorAssert.GradientsMatch(t => t[0].Softplus(beta, threshold), x);
    }

    [Fact]
    public void SoftplusAboveThresholdPassesTheGradientThrough()
    {
        var x = Tensor.FromArray(new[] { 30f, 0f }).RequireGrad();
        x.Softplus().Sum().Backward();
        TensorAssert.Close(Tensor.FromArray(new[] { 1f, 0.5f }), x.Grad!);
    }

    [Fact]
    public void WhereGradientsWithBroadcastConditionAndOperandsMatchFiniteDifferences()
    {
        var condition = Tensor.FromArray(new[] { true, false, true, false }, 4, 1);
        var a = TensorAssert.RandomLeaf(44, 3);
        var b = TensorAssert.RandomLeaf(45, 4, 3);
        TensorAssert.GradientsMatch(x => Tensor.Where(condition, x[0], x[1].Exp()), a, b);
        TensorAssert.GradientsMatch(x => Tensor.Where(condition, x[1].MT.MT, x[0]), a, b);
    }

    [Fact]
    public void MaskedFillGradientIsZeroWhereFilled()
    {
        var mask = Tensor.FromArray(new[] { true, false, false }, 3);
        var x = TensorAssert.RandomLeaf(46, 2, 3);
        TensorAssert.GradientsMatch(t => t[0].MaskedFill(mask, -5f).Square(), x);
        TensorAssert.GradientsMatch(t => t[0].MT.MaskedFill(mask.Unsqueeze(-1), 0f).Exp(), x);
        x.Grad = null;
        x.MaskedFill(mask, 1f).Sum().Backward();
        Assert.Equal(new[] { 0f, 1f, 1f, 0f, 1f, 1f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void CloneContiguousAndFloatConversionsPassTheGradientThrough()
    {
        var x = TensorAssert.RandomLeaf(47, 3, 4);
        TensorAssert.GradientsMatch(t => t[0].MT.Contiguous().Clone().Square(), x);
        Tensor g = Tensor.Randn([3, 4], new Generator(48));
        x.Grad = null;
        x.To(DType.BFloat16).To(DType.Float16).To(DType.Float32).Backward(g);
        TensorAssert.Close(g.To(DType.Float16).To(DType.BFloat16).To(DType.Float32), x.Grad!, 0, 0);
    }

    private static Tensor Apply(BinaryOp op, Tensor a, Tensor b) => op switch
    {
        BinaryOp.Add => a.Add(b),
        BinaryOp.Sub => a.Sub(b),
        BinaryOp.Mul => a.Mul(b),
        BinaryOp.Div => a.Div(b),
        BinaryOp.Pow => a.Pow(b),
        BinaryOp.Maximum => a.Maximum(b),
        BinaryOp.Minimum => a.Minimum(b),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

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
