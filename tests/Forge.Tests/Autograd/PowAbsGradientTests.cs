using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Autograd;

/// <summary>Gradients of |x| and x^p at the points where PyTorch defines them by convention (values from torch 1.13).</summary>
public class PowAbsGradientTests
{
    [Fact]
    public void AbsGradientIsSignOfInputAndZeroAtZero()
    {
        var x = Tensor.FromArray(new[] { 0f, -1f, 2f, -0f }).RequireGrad();
        x.Abs().Sum().Backward();
        Assert.Equal(new[] { 0f, -1f, 1f, 0f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void AbsGradientAtNaNIsZeroAsInPyTorch()
    {
        var x = Tensor.FromArray(new[] { float.NaN, -2f }).RequireGrad();
        x.Abs().Sum().Backward();
        Assert.Equal(new[] { 0f, -1f }, x.Grad!.ToArray<float>());
    }

    [Theory]
    [InlineData(0f, new[] { 0f, 0f, 0f })]
    [InlineData(1f, new[] { 1f, 1f, 1f })]
    [InlineData(2f, new[] { 0f, 4f, -3f })]
    [InlineData(3f, new[] { 0f, 12f, 6.75f })]
    [InlineData(0.5f, new[] { float.PositiveInfinity, 0.35355339f, float.NaN })]
    [InlineData(-1f, new[] { float.NegativeInfinity, -0.25f, -0.44444445f })]
    public void PowByConstantGradientMatchesPyTorchIncludingZeroBase(float exponent, float[] expected)
    {
        var x = Tensor.FromArray(new[] { 0f, 2f, -1.5f }).RequireGrad();
        x.Pow(exponent).Sum().Backward();
        TensorAssert.Close(Tensor.FromArray(expected), x.Grad!, 1e-6, 1e-6);
    }

    [Fact]
    public void PowByTensorGradientsMatchPyTorchIncludingZeroBase()
    {
        var x = Tensor.FromArray(new[] { 0f, 0f, 0f, 0f, 2f, -1.5f, 3f }).RequireGrad();
        var p = Tensor.FromArray(new[] { 0f, 1f, 2f, 0.5f, 3f, 2f, -1f }).RequireGrad();
        Tensor y = x.Pow(p);
        TensorAssert.Close(Tensor.FromArray(new[] { 1f, 0f, 0f, 0f, 8f, 2.25f, 1f / 3 }), y, 1e-6, 1e-6);
        y.Sum().Backward();
        TensorAssert.Close(Tensor.FromArray(new[] { 0f, 1f, 0f, float.PositiveInfinity, 12f, -3f, -1f / 9 }), x.Grad!, 1e-6, 1e-6);
        TensorAssert.Close(Tensor.FromArray(new[] { 0f, 0f, 0f, 0f, 5.5451775f, float.NaN, 0.36620409f }), p.Grad!, 1e-6, 1e-6);
    }

    [Fact]
    public void PowExponentGradientAtZeroBaseWithNegativeExponentStaysInfinite()
    {
        var x = Tensor.FromArray(new[] { 0f });
        var p = Tensor.FromArray(new[] { -1f }).RequireGrad();
        x.Pow(p).Sum().Backward();
        Assert.Equal(float.NegativeInfinity, p.Grad!.ToArray<float>()[0]);
    }

    [Fact]
    public void PowByBroadcastTensorGradientsMatchFiniteDifferences()
    {
        var x = Tensor.Rand([3, 4], new Generator(1)).Add(0.5f).RequireGrad();
        var p = Tensor.Randn([4], new Generator(2)).RequireGrad();
        TensorAssert.GradientsMatch(t => t[0].Pow(t[1]), x, p);
    }

    [Fact]
    public void PowByConstantGradientsMatchFiniteDifferences()
    {
        var x = Tensor.Rand([3, 4], new Generator(3)).Add(0.5f).RequireGrad();
        TensorAssert.GradientsMatch(t => t[0].Pow(2.5f), x);
        TensorAssert.GradientsMatch(t => t[0].Pow(-1.5f), x);
        Tensor scale = Tensor.Randn([3, 4], new Generator(4));
        TensorAssert.GradientsMatch(t => t[0].Mul(scale).Pow(3f), x);
    }
}
