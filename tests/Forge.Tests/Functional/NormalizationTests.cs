using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class NormalizationTests
{
    [Fact]
    public void LayerNormWithAffineMatchesPyTorchOutputAndGradients()
    {
        var c = Oracle.Case("layer_norm", "affine");
        Tensor x = c.Tensor("x", true), w = c.Tensor("w", true), b = c.Tensor("b", true);
        Tensor y = F.LayerNorm(x, [8], w, b);
        TensorAssert.Close(c.Tensor("out"), y, 1e-5, 1e-5);
        Oracle.Backward(y, c);
        TensorAssert.Close(c.Tensor("dx"), x.Grad!, 1e-4, 1e-5);
        TensorAssert.Close(c.Tensor("dw"), w.Grad!, 1e-5, 1e-5);
        TensorAssert.Close(c.Tensor("db"), b.Grad!, 1e-5, 1e-6);
    }

    [Fact]
    public void LayerNormWithoutAffineOverTwoDimensionsMatchesPyTorch()
    {
        var c = Oracle.Case("layer_norm", "plain");
        Tensor x = c.Tensor("x", true);
        Tensor y = F.LayerNorm(x, [3, 8]);
        TensorAssert.Close(c.Tensor("out"), y, 1e-5, 1e-5);
        Oracle.Backward(y, c);
        TensorAssert.Close(c.Tensor("dx"), x.Grad!, 1e-4, 1e-5);
    }

    [Fact]
    public void AddLayerNormGivesTheSumAndItsLayerNormWithTheSameGradients()
    {
        var x = TensorAssert.RandomLeaf(11, 2, 5, 12);
        var residual = TensorAssert.RandomLeaf(12, 2, 5, 12);
        var w = TensorAssert.RandomLeaf(13, 12);
        var b = TensorAssert.RandomLeaf(14, 12);
        Tensor up1 = Tensor.Randn([2, 5, 12], new Generator(15)), up2 = Tensor.Randn([2, 5, 12], new Generator(16));
        Tensor sum = x.Add(residual), normalized = F.LayerNorm(sum, [12], w, b);
        sum.Mul(up1).Add(normalized.Mul(up2)).Sum().Backward();
        Tensor[] expected = [sum.Detach(), normalized.Detach(), x.Grad!, residual.Grad!, w.Grad!, b.Grad!];
        x.Grad = residual.Grad = w.Grad = b.Grad = null;
        var (fusedSum, fusedNormalized) = F.AddLayerNorm(x, residual, [12], w, b);
        fusedSum.Mul(up1).Add(fusedNormalized.Mul(up2)).Sum().Backward();
        Tensor[] actual = [fusedSum, fusedNormalized, x.Grad!, residual.Grad!, w.Grad!, b.Grad!];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i].ToArray<float>(), actual[i].ToArray<float>());
    }

    [Fact]
    public void AddLayerNormOfABroadcastResidualFallsBackToAddThenLayerNorm()
    {
        Tensor x = Tensor.Randn([3, 4], new Generator(17)), residual = Tensor.Randn([4], new Generator(18));
        var (sum, normalized) = F.AddLayerNorm(x, residual, [4]);
        Assert.Equal(x.Add(residual).ToArray<float>(), sum.ToArray<float>());
        Assert.Equal(F.LayerNorm(x.Add(residual), [4]).ToArray<float>(), normalized.ToArray<float>());
    }

    [Fact]
    public void LayerNormGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(1, 2, 3, 4);
        var w = TensorAssert.RandomLeaf(2, 3, 4);
        var b = TensorAssert.RandomLeaf(3, 3, 4);
        TensorAssert.GradientsMatch(t => F.LayerNorm(t[0], [3, 4], t[1], t[2]), x, w, b);
    }

    [Fact]
    public void LayerNormOfNonContiguousInputGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(4, 5, 3);
        var w = TensorAssert.RandomLeaf(5, 5);
        TensorAssert.GradientsMatch(t => F.LayerNorm(t[0].MT, [5], t[1]), x, w);
    }

    [Fact]
    public void LayerNormAndRmsNormGradientsOverManyRowsMatchTheirCompositions()
    {
        // 150 rows span several of the kernel's row blocks; the compositions of elementwise ops are independent references.
        Tensor input = Tensor.Randn([3, 50, 40], new Generator(6)).Mul(2f).Add(0.5f);
        Tensor upstream = Tensor.Randn([3, 50, 40], new Generator(7));
        Tensor weight = Tensor.Randn([40], new Generator(8)), bias = Tensor.Randn([40], new Generator(9));

        var (x1, w1, b1) = (input.Clone().RequireGrad(), weight.Clone().RequireGrad(), bias.Clone().RequireGrad());
        F.LayerNorm(x1, [40], w1, b1).Mul(upstream).Sum().Backward();
        var (x2, w2, b2) = (input.Clone().RequireGrad(), weight.Clone().RequireGrad(), bias.Clone().RequireGrad());
        Tensor centered = x2.Sub(x2.Mean(-1, keepDim: true));
        centered.Div(centered.Square().Mean(-1, keepDim: true).Add(1e-5f).Sqrt()).Mul(w2).Add(b2).Mul(upstream).Sum().Backward();
        TensorAssert.Close(x2.Grad!, x1.Grad!, 1e-3, 1e-4, "layer norm dx");
        TensorAssert.Close(w2.Grad!, w1.Grad!, 1e-4, 1e-4, "layer norm dw");
        TensorAssert.Close(b2.Grad!, b1.Grad!, 1e-5, 1e-5, "layer norm db");

        var (x3, w3) = (input.Clone().RequireGrad(), weight.Clone().RequireGrad());
        F.RmsNorm(x3, [40], w3).Mul(upstream).Sum().Backward();
        var (x4, w4) = (input.Clone().RequireGrad(), weight.Clone().RequireGrad());
        x4.Div(x4.Square().Mean(-1, keepDim: true).Add(1e-6f).Sqrt()).Mul(w4).Mul(upstream).Sum().Backward();
        TensorAssert.Close(x4.Grad!, x3.Grad!, 1e-3, 1e-4, "rms norm dx");
        TensorAssert.Close(w4.Grad!, w3.Grad!, 1e-4, 1e-4, "rms norm dw");
    }

    [Fact]
    public void LayerNormRejectsMismatchedShapes()
    {
        Tensor x = Tensor.Zeros(2, 3, 4);
        var error = Assert.Throws<ForgeException>(() => F.LayerNorm(x, [3]));
        Assert.Contains("[2, 3, 4]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => F.LayerNorm(x, [4], Tensor.Ones(5)));
        Assert.Throws<ForgeException>(() => F.LayerNorm(x, [4], null, Tensor.Ones(3, 4)));
    }

    [Fact]
    public void RmsNormMatchesPyTorchReference()
    {
        var c = Oracle.Case("rms_norm");
        Tensor x = c.Tensor("x", true), w = c.Tensor("w", true);
        Tensor y = F.RmsNorm(x, [8], w, (float)c.Number("eps"));
        TensorAssert.Close(c.Tensor("out"), y, 1e-5, 1e-5);
        Oracle.Backward(y, c);
        TensorAssert.Close(c.Tensor("dx"), x.Grad!, 1e-4, 1e-5);
        TensorAssert.Close(c.Tensor("dw"), w.Grad!, 1e-5, 1e-5);
    }

    [Fact]
    public void RmsNormGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(6, 3, 2, 5);
        var w = TensorAssert.RandomLeaf(7, 2, 5);
        TensorAssert.GradientsMatch(t => F.RmsNorm(t[0], [2, 5], t[1]) + F.RmsNorm(t[0], [5]), x, w);
    }

    [Fact]
    public void RmsNormRejectsMismatchedWeight()
    {
        var error = Assert.Throws<ForgeException>(() => F.RmsNorm(Tensor.Zeros(2, 4), [4], Tensor.Ones(3)));
        Assert.Contains("[3]", error.Message, StringComparison.Ordinal);
    }
}
