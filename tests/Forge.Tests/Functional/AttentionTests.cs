using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class AttentionTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("causal")]
    [InlineData("causal_wide")]
    [InlineData("bool_mask")]
    [InlineData("float_mask")]
    public void AttentionMatchesPyTorchReferenceOutputWeightsAndGradients(string name)
    {
        var c = Oracle.Case("attention", name);
        Tensor q = c.Tensor("q", true), k = c.Tensor("k", true), v = c.Tensor("v", true);
        Tensor? mask = c.Has("mask") ? c.Tensor("mask") : null;
        var (output, weights) = F.ScaledDotProductAttention(q, k, v, mask, isCausal: c.Json.GetProperty("causal").GetBoolean(), needWeights: true);
        // Longer chains of float32 arithmetic than one op: tolerances of 1e-4 relative.
        TensorAssert.Close(c.Tensor("out"), output, 1e-4, 1e-5);
        TensorAssert.Close(c.Tensor("weights"), weights!, 1e-4, 1e-6);
        Oracle.Backward(output, c);
        TensorAssert.Close(c.Tensor("dq"), q.Grad!, 1e-4, 1e-5);
        TensorAssert.Close(c.Tensor("dk"), k.Grad!, 1e-4, 1e-5);
        TensorAssert.Close(c.Tensor("dv"), v.Grad!, 1e-4, 1e-5);
    }

    [Fact]
    public void AttentionGradientsMatchFiniteDifferencesWithCausalAndKeyPaddingMasks()
    {
        var q = TensorAssert.RandomLeaf(1, 2, 4, 3);
        var k = TensorAssert.RandomLeaf(2, 2, 4, 3);
        var v = TensorAssert.RandomLeaf(3, 2, 4, 2);
        Tensor keyPadding = Tensor.FromArray(new[] { true, true, true, true, true, true, false, true }, 2, 1, 4);
        TensorAssert.GradientsMatch(t => F.ScaledDotProductAttention(t[0], t[1], t[2], keyPadding, isCausal: true).Output, q, k, v);
    }

    [Fact]
    public void CausalAttentionGradientsMatchFiniteDifferencesWithMoreQueriesThanKeys()
    {
        // The fused causal softmax: query i sees keys j <= i, so queries past the last key see them all.
        var q = TensorAssert.RandomLeaf(11, 2, 5, 3);
        var k = TensorAssert.RandomLeaf(12, 2, 4, 3);
        var v = TensorAssert.RandomLeaf(13, 2, 4, 2);
        TensorAssert.GradientsMatch(t => F.ScaledDotProductAttention(t[0], t[1], t[2], isCausal: true, scale: 0.8f).Output, q, k, v);
        var (_, weights) = F.ScaledDotProductAttention(q, k, v, isCausal: true, needWeights: true);
        float[] w = weights!.ToArray<float>();
        for (int row = 0; row < 10; row++)
        {
            int query = row % 5;
            Assert.Equal(1f, w.Skip(row * 4).Take(4).Sum(), 1e-5f);
            for (int key = query + 1; key < 4; key++) Assert.Equal(0f, w[row * 4 + key]);
        }
    }

    [Fact]
    public void AttentionGradientsMatchFiniteDifferencesWithFloatMaskAndScale()
    {
        var q = TensorAssert.RandomLeaf(4, 3, 2);
        var k = TensorAssert.RandomLeaf(5, 5, 2);
        var v = TensorAssert.RandomLeaf(6, 5, 3);
        Tensor mask = Tensor.Randn([3, 5], new Generator(7));
        TensorAssert.GradientsMatch(t => F.ScaledDotProductAttention(t[0], t[1], t[2], mask, scale: 0.7f).Output, q, k, v);
    }

    [Fact]
    public void FullyMaskedRowsGiveZeroOutputAndFiniteGradients()
    {
        var q = TensorAssert.RandomLeaf(8, 1, 3, 4);
        var k = TensorAssert.RandomLeaf(9, 1, 5, 4);
        var v = TensorAssert.RandomLeaf(10, 1, 5, 2);
        // Query row 1 may attend nothing.
        var allowed = Enumerable.Range(0, 15).Select(i => i / 5 != 1).ToArray();
        Tensor mask = Tensor.FromArray(allowed, 3, 5);
        var (output, weights) = F.ScaledDotProductAttention(q, k, v, mask, needWeights: true);
        float[] o = output.ToArray<float>();
        Assert.Equal([0f, 0f], o[2..4]);
        Assert.All(weights!.ToArray<float>()[5..10], w => Assert.Equal(0f, w));
        output.Sum().Backward();
        Assert.All(q.Grad!.ToArray<float>().Concat(k.Grad!.ToArray<float>()).Concat(v.Grad!.ToArray<float>()), g => Assert.True(float.IsFinite(g)));
        Assert.All(q.Grad!.ToArray<float>()[4..8], g => Assert.Equal(0f, g));
        TensorAssert.GradientsMatch(t => F.ScaledDotProductAttention(t[0], t[1], t[2], mask).Output, q, k, v);
    }

    [Fact]
    public void KeyPaddingMaskEqualsAttendingOnlyTheRealKeys()
    {
        Tensor q = Tensor.Randn([2, 1, 3, 4], new Generator(11));
        Tensor k = Tensor.Randn([2, 1, 5, 4], new Generator(12));
        Tensor v = Tensor.Randn([2, 1, 5, 6], new Generator(13));
        Tensor keyPadding = Tensor.FromArray(new[] { true, true, true, true, true, true, true, false, false, false }, 2, 1, 1, 5);
        Tensor padded = F.ScaledDotProductAttention(q, k, v, keyPadding).Output;
        Tensor trimmed = F.ScaledDotProductAttention(q.Narrow(0, 1, 1), k.Narrow(0, 1, 1).Narrow(2, 0, 2), v.Narrow(0, 1, 1).Narrow(2, 0, 2)).Output;
        TensorAssert.Close(trimmed, padded.Narrow(0, 1, 1), 1e-5, 1e-6);
    }

    [Fact]
    public void WeightsAreReturnedOnlyWhenAskedAndDropoutIsReproducible()
    {
        Tensor q = Tensor.Randn([4, 3], new Generator(14)), k = Tensor.Randn([6, 3], new Generator(15)), v = Tensor.Randn([6, 2], new Generator(16));
        Assert.Null(F.ScaledDotProductAttention(q, k, v).Weights);
        var (plain, weights) = F.ScaledDotProductAttention(q, k, v, needWeights: true);
        TensorAssert.Close(Tensor.Ones(4), weights!.Sum(-1), 1e-6, 1e-6);
        Tensor a = F.ScaledDotProductAttention(q, k, v, dropout: 0.5f, generator: new Generator(1)).Output;
        Tensor b = F.ScaledDotProductAttention(q, k, v, dropout: 0.5f, generator: new Generator(1)).Output;
        Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        Assert.NotEqual(plain.ToArray<float>(), a.ToArray<float>());
    }

    [Theory]
    [InlineData(false, 70, 70)]
    [InlineData(true, 70, 70)]
    [InlineData(true, 45, 70)]
    [InlineData(true, 70, 40)]
    [InlineData(false, 5, 33)]
    public void FusedAttentionMatchesComposedAttentionAndItsGradients(bool causal, int queries, int keys)
    {
        // Sizes that are not multiples of the kernel's query blocks (48 forward, 24 backward) or key blocks (24, 32), values wider than keys.
        var q = TensorAssert.RandomLeaf(21, 2, 3, queries, 16);
        var k = TensorAssert.RandomLeaf(22, 2, 3, keys, 16);
        var v = TensorAssert.RandomLeaf(23, 2, 3, keys, 24);
        Tensor upstream = Tensor.Randn([2, 3, queries, 24], new Generator(24));
        Tensor expected = F.ScaledDotProductAttention(q, k, v, isCausal: causal, scale: 0.3f).Output;
        expected.Mul(upstream).Sum().Backward();
        Tensor[] expectedGradients = [q.Grad!, k.Grad!, v.Grad!];
        q.Grad = k.Grad = v.Grad = null;
        Tensor fused = F.FusedAttention(q, k, v, 0.3f, causal);
        TensorAssert.Close(expected, fused, 1e-5, 1e-6);
        fused.Mul(upstream).Sum().Backward();
        TensorAssert.Close(expectedGradients[0], q.Grad!, 1e-4, 1e-5, "dq");
        TensorAssert.Close(expectedGradients[1], k.Grad!, 1e-4, 1e-5, "dk");
        TensorAssert.Close(expectedGradients[2], v.Grad!, 1e-4, 1e-5, "dv");
    }

    [Fact]
    public void FusedAttentionWithDropoutIsReproducibleAndItsGradientsMatchFiniteDifferences()
    {
        var q = TensorAssert.RandomLeaf(31, 2, 9, 4);
        var k = TensorAssert.RandomLeaf(32, 2, 9, 4);
        var v = TensorAssert.RandomLeaf(33, 2, 9, 3);
        Tensor Dropped(Tensor[] t) => F.FusedAttention(t[0], t[1], t[2], 0.5f, causal: true, dropout: 0.3f, new Generator(5));
        Tensor a = Dropped([q, k, v]), b = Dropped([q, k, v]);
        Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        Assert.NotEqual(F.FusedAttention(q, k, v, 0.5f, causal: true).ToArray<float>(), a.ToArray<float>());
        TensorAssert.GradientsMatch(Dropped, q, k, v);
    }

    [Fact]
    public void FusedAttentionWithDropoutAcrossSeveralBlocksDropsTheSameWeightsForwardAndBackward()
    {
        // 70 queries and keys span two forward query blocks, three forward key blocks and three backward blocks of each: the
        // gradients only match finite differences if both passes drop the same weights in every block.
        var q = TensorAssert.RandomLeaf(34, 1, 70, 4);
        var k = TensorAssert.RandomLeaf(35, 1, 70, 4);
        var v = TensorAssert.RandomLeaf(36, 1, 70, 3);
        TensorAssert.GradientsMatch(t => F.FusedAttention(t[0], t[1], t[2], 0.5f, causal: true, dropout: 0.3f, new Generator(6)), q, k, v);
    }

    [Fact]
    public void FusedAttentionDropsAboutTheAskedShareOfWeights()
    {
        // With values all 1, each output element is the sum of the row's kept weights, scaled by 1 / (1 - p): 1 on average.
        Tensor q = Tensor.Zeros(1, 200, 8), k = Tensor.Zeros(1, 200, 8), v = Tensor.Ones(1, 200, 1);
        float[] output = F.FusedAttention(q, k, v, 1f, causal: false, dropout: 0.25f, new Generator(9)).ToArray<float>();
        Assert.Equal(1.0, output.Average(), 0.02);
        Assert.Contains(output, o => o != 1f);
    }

    [Fact]
    public void LongSequencesWithoutAMaskRunFusedAndMatchTheDefinition()
    {
        int length = F.FusedAttentionLength + 37;
        var q = TensorAssert.RandomLeaf(41, 1, 2, length, 8);
        var k = TensorAssert.RandomLeaf(42, 1, 2, length, 8);
        var v = TensorAssert.RandomLeaf(43, 1, 2, length, 8);
        Tensor output = F.ScaledDotProductAttention(q, k, v, isCausal: true).Output;
        Assert.Equal("FlashAttentionBackward", output.GradFn!.Name);
        Tensor blocked = Tensor.FromArray(Enumerable.Range(0, length * length).Select(p => p % length > p / length).ToArray(), length, length);
        Tensor scores = q.MatMul(k.MT).Mul(1 / MathF.Sqrt(8)).MaskedFill(blocked, float.NegativeInfinity);
        TensorAssert.Close(F.Softmax(scores, -1).MatMul(v), output, 1e-5, 1e-6);
        Tensor shorter = F.ScaledDotProductAttention(q.Narrow(2, 0, F.FusedAttentionLength - 1), k.Narrow(2, 0, F.FusedAttentionLength - 1),
            v.Narrow(2, 0, F.FusedAttentionLength - 1), isCausal: true, dropout: 0.1f).Output;
        Assert.NotEqual("FlashAttentionBackward", shorter.GradFn!.Name);
        Tensor oneQuery = F.ScaledDotProductAttention(q.Narrow(2, 0, 1), k, v).Output;
        Assert.NotEqual("FlashAttentionBackward", oneQuery.GradFn!.Name);
    }

    [Fact]
    public void AttentionRejectsMismatchedShapesAndMasks()
    {
        Tensor q = Tensor.Zeros(2, 4, 3), k = Tensor.Zeros(2, 5, 3), v = Tensor.Zeros(2, 5, 6);
        Assert.Throws<ForgeException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros(2, 5, 2), v));
        Assert.Throws<ForgeException>(() => F.ScaledDotProductAttention(q, k, Tensor.Zeros(2, 4, 6)));
        var error = Assert.Throws<ForgeException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Ones([4, 4], DType.Bool)));
        Assert.Contains("[4, 4]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Ones([4, 5], DType.Int64)));
        Assert.Throws<ForgeException>(() => F.ScaledDotProductAttention(q, k, v, dropout: 1f));
    }
}
