using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class LinearTests
{
    [Fact]
    public void LinearMatchesPyTorchOutputAndGradients()
    {
        var c = Oracle.Case("linear");
        Tensor x = c.Tensor("x", true), w = c.Tensor("w", true), b = c.Tensor("b", true);
        Tensor y = F.Linear(x, w, b);
        TensorAssert.Close(c.Tensor("out"), y, 1e-5, 1e-5);
        Oracle.Backward(y, c);
        TensorAssert.Close(c.Tensor("dx"), x.Grad!, 1e-5, 1e-5);
        TensorAssert.Close(c.Tensor("dw"), w.Grad!, 1e-5, 1e-5);
        TensorAssert.Close(c.Tensor("db"), b.Grad!, 1e-5, 1e-5);
    }

    [Fact]
    public void LinearGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(1, 2, 3, 4);
        var w = TensorAssert.RandomLeaf(2, 5, 4);
        var b = TensorAssert.RandomLeaf(3, 5);
        TensorAssert.GradientsMatch(t => F.Linear(t[0], t[1], t[2]), x, w, b);
        TensorAssert.GradientsMatch(t => F.Linear(t[0], t[1]), x, w);
    }

    [Fact]
    public void LinearRejectsMismatchedFeaturesAndBias()
    {
        var error = Assert.Throws<ForgeException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(5, 4)));
        Assert.Contains("[2, 3]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => F.Linear(Tensor.Zeros(2, 4), Tensor.Zeros(5, 4), Tensor.Zeros(4)));
        Assert.Throws<ForgeException>(() => F.Linear(Tensor.Zeros(2, 4), Tensor.Zeros(4)));
    }
}
