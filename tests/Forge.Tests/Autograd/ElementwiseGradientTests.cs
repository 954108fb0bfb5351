using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Autograd;

/// <summary>Finite-difference checks of every elementwise op, with broadcasting and non-contiguous inputs.</summary>
public class ElementwiseGradientTests
{
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
}
