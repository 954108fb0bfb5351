using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Autograd;

public class CoreGradientTests
{
    [Fact]
    public void BroadcastArithmeticGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(1, 3, 4);
        var b = TensorAssert.RandomLeaf(2, 4);
        TensorAssert.GradientsMatch(x => (x[0] * x[1] + x[0] - x[1]) / (x[1].Abs() + 1f), a, b);
    }

    [Fact]
    public void MatMulGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(3, 2, 5, 7);
        var b = TensorAssert.RandomLeaf(4, 7, 3);
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1]), a, b);
    }

    [Fact]
    public void BatchedMatMulWithTransposedOperandGradientsMatch()
    {
        var a = TensorAssert.RandomLeaf(5, 2, 3, 4);
        var b = TensorAssert.RandomLeaf(6, 2, 5, 4);
        TensorAssert.GradientsMatch(x => x[0].MatMul(x[1].MT), a, b);
    }

    [Fact]
    public void ReductionGradientsMatchFiniteDifferences()
    {
        var a = TensorAssert.RandomLeaf(7, 3, 4, 5);
        TensorAssert.GradientsMatch(x => x[0].Sum(1) + x[0].Mean([0, 1]) + x[0].LogSumExp(1).Max(0), a);
    }

    [Fact]
    public void MatMulMatchesNaiveProductOnLargeShapes()
    {
        var a = Tensor.Randn([67, 300], new Generator(1));
        var b = Tensor.Randn([300, 45], new Generator(2));
        float[] x = a.ToArray<float>(), y = b.ToArray<float>();
        var expected = new float[67 * 45];
        for (int i = 0; i < 67; i++)
            for (int j = 0; j < 45; j++)
            {
                double s = 0;
                for (int p = 0; p < 300; p++) s += x[i * 300 + p] * y[p * 45 + j];
                expected[i * 45 + j] = (float)s;
            }
        TensorAssert.Close(Tensor.FromArray(expected, 67, 45), a.MatMul(b), rtol: 1e-4, atol: 1e-4);
        TensorAssert.Close(Tensor.FromArray(expected, 67, 45), a.MatMul(b.MT.Contiguous().MT), rtol: 1e-4, atol: 1e-4);
    }
}
