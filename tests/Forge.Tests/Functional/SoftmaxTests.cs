using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class SoftmaxTests
{
    [Theory]
    [InlineData("dim-1")]
    [InlineData("dim0")]
    [InlineData("dim1")]
    public void SoftmaxMatchesPyTorchOutputAndGradient(string name)
    {
        var c = Oracle.Case("softmax", name);
        Tensor x = c.Tensor("x", true);
        Tensor y = F.Softmax(x, (int)c.Number("dim"));
        TensorAssert.Close(c.Tensor("out"), y);
        Oracle.Backward(y, c);
        TensorAssert.Close(c.Tensor("dx"), x.Grad!, 1e-5, 1e-6);
    }

    [Theory]
    [InlineData("dim-1")]
    [InlineData("dim0")]
    [InlineData("dim1")]
    public void LogSoftmaxMatchesPyTorchOutputAndGradient(string name)
    {
        var c = Oracle.Case("log_softmax", name);
        Tensor x = c.Tensor("x", true);
        Tensor y = F.LogSoftmax(x, (int)c.Number("dim"));
        TensorAssert.Close(c.Tensor("out"), y);
        Oracle.Backward(y, c);
        TensorAssert.Close(c.Tensor("dx"), x.Grad!, 1e-5, 1e-6);
    }

    [Fact]
    public void SoftmaxGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(1, 2, 3, 4);
        TensorAssert.GradientsMatch(x => F.Softmax(x[0], 1) + F.Softmax(x[0], -1), a);
    }

    [Fact]
    public void LogSoftmaxGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(2, 3, 5);
        TensorAssert.GradientsMatch(x => F.LogSoftmax(x[0], 0) + F.LogSoftmax(x[0].MT, -1).MT, a);
    }

    [Fact]
    public void SoftmaxStaysFiniteForHugeLogits()
    {
        Tensor x = Tensor.FromArray(new float[] { 1000, 1001, 1002, -1000, -1001, -1002 }, 2, 3);
        double z = 1 + Math.Exp(-1) + Math.Exp(-2);
        var expected = new[] { Math.Exp(-2) / z, Math.Exp(-1) / z, 1 / z, 1 / z, Math.Exp(-1) / z, Math.Exp(-2) / z };
        TensorAssert.Close(Tensor.FromArray(expected.Select(v => (float)v).ToArray(), 2, 3), F.Softmax(x, 1));
        TensorAssert.Close(Tensor.FromArray(expected.Select(v => (float)Math.Log(v)).ToArray(), 2, 3), F.LogSoftmax(x, 1));
    }

    [Fact]
    public void SoftmaxRowsSumToOneAlongAnyDimension()
    {
        Tensor x = Tensor.Randn([3, 4, 5], new Generator(3)).Mul(4f).Permute(2, 0, 1);
        for (int dim = 0; dim < 3; dim++)
        {
            Tensor sums = F.Softmax(x, dim).Sum(dim);
            TensorAssert.Close(Tensor.Ones([.. sums.Shape]), sums, 1e-6, 1e-6);
        }
    }
}
