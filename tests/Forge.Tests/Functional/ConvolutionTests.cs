using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class ConvolutionTests
{
    private const string Fixture = "convolution";

    [Fact]
    public void Conv2dWithStridePaddingGroupsAndBiasMatchesTorch()
    {
        var c = new TorchCase(Fixture, "conv2d_stride2_pad1_groups2_bias", "input", "weight", "bias");
        c.Verify(F.Conv2d(c["input"], c["weight"], c["bias"], stride: 2, padding: 1, groups: 2), rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void Conv2dWithoutBiasMatchesTorch()
    {
        var c = new TorchCase(Fixture, "conv2d_plain", "input", "weight");
        c.Verify(F.Conv2d(c["input"], c["weight"]), rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void Conv2dWithPerAxisStrideAndPaddingMatchesTorch()
    {
        var c = new TorchCase(Fixture, "conv2d_asymmetric", "input", "weight", "bias");
        c.Verify(F.Conv2d(c["input"], c["weight"], c["bias"], stride: (2, 1), padding: (0, 2)), rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void Conv2dGradientsMatchFiniteDifferences()
    {
        var input = TensorAssert.RandomLeaf(1, 2, 4, 5, 4);
        var weight = TensorAssert.RandomLeaf(2, 4, 2, 3, 2);
        var bias = TensorAssert.RandomLeaf(3, 4);
        // Convolution is linear in each input, so a large step is exact; the default 1e-3 step drowns in float32 rounding of
        // the projected sum on CPUs whose kernels sum in another order (AVX2 rather than AVX-512).
        TensorAssert.GradientsMatch(x => F.Conv2d(x[0], x[1], x[2], stride: (2, 1), padding: (1, 1), groups: 2), [input, weight, bias], 0.1f, 1e-3f, 1e-2f);
    }

    [Fact]
    public void Conv2dMatchesDirectSum()
    {
        var input = Tensor.Randn([2, 3, 5, 4], new Generator(4));
        var weight = Tensor.Randn([2, 3, 3, 3], new Generator(5));
        float[] x = input.ToArray<float>(), w = weight.ToArray<float>();
        int outH = 3, outW = 2;
        var expected = new float[2 * 2 * outH * outW];
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < 2; o++)
                for (int i = 0; i < outH; i++)
                    for (int j = 0; j < outW; j++)
                    {
                        double sum = 0;
                        for (int ch = 0; ch < 3; ch++)
                            for (int ki = 0; ki < 3; ki++)
                                for (int kj = 0; kj < 3; kj++)
                                {
                                    int h = i * 2 - 1 + ki, col = j * 2 - 1 + kj;
                                    if (h < 0 || h >= 5 || col < 0 || col >= 4) continue;
                                    sum += x[((n * 3 + ch) * 5 + h) * 4 + col] * w[((o * 3 + ch) * 3 + ki) * 3 + kj];
                                }
                        expected[((n * 2 + o) * outH + i) * outW + j] = (float)sum;
                    }
        TensorAssert.Close(Tensor.FromArray(expected, 2, 2, outH, outW), F.Conv2d(input, weight, null, 2, 1), rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void Conv2dOnUnbatchedInputEqualsBatchOfOne()
    {
        var input = TensorAssert.RandomLeaf(6, 2, 4, 4);
        var weight = Tensor.Randn([3, 2, 2, 2], new Generator(7));
        Tensor unbatched = F.Conv2d(input, weight, null, 1, 1);
        Assert.Equal([3, 5, 5], unbatched.Shape);
        TensorAssert.Close(F.Conv2d(input.Detach().Unsqueeze(0), weight, null, 1, 1).Squeeze(0), unbatched);
        TensorAssert.GradientsMatch(x => F.Conv2d(x[0], weight, null, 1, 1), input);
    }

    [Fact]
    public void Conv2dRejectsChannelMismatchWithGroups()
    {
        var error = Assert.Throws<ForgeException>(() => F.Conv2d(Tensor.Zeros(1, 4, 5, 5), Tensor.Zeros(6, 4, 3, 3), null, 1, 0, groups: 2));
        Assert.Contains("8 channels", error.Message, StringComparison.Ordinal);
        Assert.Contains("found 4", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => F.Conv2d(Tensor.Zeros(1, 4, 5, 5), Tensor.Zeros(5, 2, 3, 3), null, 1, 0, groups: 2));
    }

    [Fact]
    public void Conv2dRejectsKernelLargerThanPaddedInput()
    {
        var error = Assert.Throws<ForgeException>(() => F.Conv2d(Tensor.Zeros(1, 1, 3, 3), Tensor.Zeros(1, 1, 6, 6), null, 1, 1));
        Assert.Contains("6x6", error.Message, StringComparison.Ordinal);
        Assert.Contains("5x5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conv2dRejectsBadRanksAndBias()
    {
        Assert.Throws<ForgeException>(() => F.Conv2d(Tensor.Zeros(4, 5), Tensor.Zeros(1, 1, 3, 3)));
        Assert.Throws<ForgeException>(() => F.Conv2d(Tensor.Zeros(1, 1, 4, 5), Tensor.Zeros(1, 3, 3)));
        Assert.Throws<ForgeException>(() => F.Conv2d(Tensor.Zeros(1, 1, 4, 5), Tensor.Zeros(2, 1, 3, 3), Tensor.Zeros(3)));
        Assert.Throws<ForgeException>(() => F.Conv2d(Tensor.Zeros(1, 1, 4, 5), Tensor.Zeros(2, 1, 3, 3), null, stride: -1));
    }
}
