using Forge.Autograd;
using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Nn;

public class LayerTests
{
    private static Tensor Random(ulong seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));

    [Fact]
    public void SequentialChainsItsModulesAndNamesThemByPositionOrName()
    {
        var first = new Linear(4, 3, generator: new Generator(1));
        var model = new Sequential(first, new Relu(), new Linear(3, 2, generator: new Generator(2)));
        Tensor x = Random(3, 5, 4);
        Tensor expected = ((Linear)model[2]).Forward(first.Forward(x).Relu());
        TensorAssert.Close(expected, model.Forward(x), 0, 0);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], model.StateDict().Keys);
        var named = new Sequential(("fc", first), ("act", new Tanh()));
        named.Add(new Identity());
        Assert.Equal(["fc", "act", "2"], named.NamedChildren().Select(c => c.Name));
        Assert.Throws<ForgeException>(() => named.Add("fc", new Relu()));
        Assert.Same(x, new Sequential().Forward(x));
    }

    [Fact]
    public void ModuleDictKeepsInsertionOrderAndChecksNames()
    {
        var heads = new ModuleDict<Linear>
        {
            { "sentiment", new Linear(4, 2, generator: new Generator(4)) },
            { "topic", new Linear(4, 5, generator: new Generator(5)) },
        };
        Assert.Equal(["sentiment.weight", "sentiment.bias", "topic.weight", "topic.bias"], heads.StateDict().Keys);
        Assert.Equal(5, heads["topic"].OutFeatures);
        Assert.True(heads.ContainsKey("sentiment"));
        Assert.Throws<ForgeException>(() => heads.Add("topic", new Linear(1, 1, generator: new Generator(6))));
        Assert.Throws<ForgeException>(() => heads.Add("a.b", new Linear(1, 1, generator: new Generator(7))));
        Assert.Throws<ForgeException>(() => heads["missing"]);
        Assert.True(heads.Remove("sentiment"));
        Assert.Equal(["topic"], heads.Keys);
    }

    [Fact]
    public void ParameterListHoldsTrainableParameters()
    {
        var prompts = new ParameterList([new Parameter(Tensor.Zeros(2, 3)), new Parameter(Tensor.Zeros(2, 3))]);
        Assert.Equal(["0", "1"], prompts.StateDict().Keys);
        var optimizer = new Sgd(prompts.Parameters(), learningRate: 1);
        prompts[1].Sum().Backward();
        optimizer.Step();
        Assert.All(prompts[1].ToArray<float>(), v => Assert.Equal(-1f, v));
        Assert.All(prompts[0].ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void EmbeddingLooksUpRowsAndGivesThePaddingRowNoGradient()
    {
        var embedding = new Embedding(6, 3, paddingIndex: 0, generator: new Generator(8));
        Tensor ids = Tensor.FromArray(new long[] { 0, 2, 2, 5 }, 2, 2);
        Tensor y = embedding.Forward(ids);
        Assert.Equal([2, 2, 3], y.Shape);
        TensorAssert.Close(embedding.Weight.Select(0, 5), y.Select(0, 1).Select(0, 1), 0, 0);
        y.Sum().Backward();
        float[] grad = embedding.Weight.Grad!.ToArray<float>();
        Assert.Equal([0f, 0f, 0f], grad[0..3]);
        Assert.Equal([2f, 2f, 2f], grad[6..9]);
        Assert.Throws<ForgeException>(() => embedding.Forward(Tensor.FromArray(new long[] { 6 })));
        Assert.Equal("Embedding(6, 3, padding_idx=0)", embedding.ToString());
    }

    [Fact]
    public void ActivationModulesComputeTheirFunctions()
    {
        Tensor x = Random(9, 4, 5).Mul(3);
        TensorAssert.Close(x.Relu(), new Relu().Forward(x), 0, 0);
        TensorAssert.Close(x.Gelu(), new Gelu().Forward(x), 0, 0);
        TensorAssert.Close(x.Gelu(GeluApproximation.Tanh), Activations.Create(Activation.GeluTanh).Forward(x), 0, 0);
        TensorAssert.Close(x.Silu(), new Silu().Forward(x), 0, 0);
        TensorAssert.Close(x.Tanh(), new Tanh().Forward(x), 0, 0);
        TensorAssert.Close(x.Sigmoid(), new Sigmoid().Forward(x), 0, 0);
        TensorAssert.Close(x.LeakyRelu(0.2f), new LeakyRelu(0.2f).Forward(x), 0, 0);
        TensorAssert.Close(x.Softplus(2, 10), new Softplus(2, 10).Forward(x), 0, 0);
        TensorAssert.Close(F.Softmax(x, 0), new Softmax(0).Forward(x), 0, 0);
        TensorAssert.Close(F.LogSoftmax(x, -1), new LogSoftmax(-1).Forward(x), 0, 0);
        Assert.Same(x, new Identity().Forward(x));
        Assert.Equal([2, 60], new Flatten().Forward(Random(10, 2, 3, 4, 5)).Shape);
        Assert.Equal("Gelu(approximate='tanh')", new Gelu(GeluApproximation.Tanh).ToString());
    }

    [Fact]
    public void LossModulesMatchTheFunctionsAndKeepClassWeightsAsBuffers()
    {
        Tensor logits = Random(11, 6, 4);
        Tensor target = Tensor.FromArray(new long[] { 0, 3, 1, -100, 2, 3 });
        Tensor weight = Tensor.FromArray(new[] { 1f, 2f, 0.5f, 1f });
        var loss = new CrossEntropyLoss(weight, labelSmoothing: 0.1f);
        TensorAssert.Close(F.CrossEntropy(logits, target, weight, -100, 0.1f), loss.Forward(logits, target), 0, 0);
        Assert.Equal(["weight"], loss.StateDict().Keys);
        Tensor a = Random(12, 3, 2), b = Random(13, 3, 2);
        TensorAssert.Close(F.MseLoss(a, b, Reduction.Sum), new MseLoss(Reduction.Sum).Forward(a, b), 0, 0);
        TensorAssert.Close(F.L1Loss(a, b), new L1Loss().Forward(a, b), 0, 0);
        Tensor probabilities = a.Sigmoid();
        TensorAssert.Close(F.BinaryCrossEntropyWithLogits(a, probabilities), new BceWithLogitsLoss().Forward(a, probabilities), 0, 0);
        Assert.Equal(["pos_weight"], new BceWithLogitsLoss(positiveWeight: Tensor.Ones(2)).StateDict().Keys);
        Tensor logProbabilities = F.LogSoftmax(logits, 1);
        TensorAssert.Close(F.NllLoss(logProbabilities, target), new NllLoss().Forward(logProbabilities, target), 0, 0);
    }

    [Fact]
    public void IntegerBoolAndFloatKeyPaddingMasksAgreeAndPaddedKeysGetNoWeight()
    {
        var attention = new MultiHeadAttention(8, 2, generator: new Generator(14));
        Tensor x = Random(15, 2, 4, 8);
        Tensor ints = Tensor.FromArray(new long[] { 1, 1, 1, 0, 1, 1, 0, 0 }, 2, 4);
        Tensor bools = ints.Ne(0);
        Tensor floats = Tensor.Zeros(2, 4).MaskedFill(ints.Eq(0), float.NegativeInfinity);
        var (fromInts, weights) = attention.Forward(x, keyPaddingMask: ints, needWeights: true);
        TensorAssert.Close(fromInts, attention.Forward(x, keyPaddingMask: bools).Output, 0, 0);
        TensorAssert.Close(fromInts, attention.Forward(x, keyPaddingMask: floats).Output, 1e-6, 1e-6);
        Assert.All(weights!.Select(0, 1).Narrow(1, 2, 2).ToArray<float>(), w => Assert.Equal(0f, w));
        TensorAssert.Close(Tensor.Ones(2, 4), weights.Sum(-1), 1e-6, 1e-6);
    }

    [Fact]
    public void AttentionMasksInEveryAcceptedLayoutAgree()
    {
        var attention = new MultiHeadAttention(8, 2, generator: new Generator(16));
        Tensor x = Random(17, 3, 5, 8);
        Tensor allowed = Tensor.FromArray(Enumerable.Range(0, 25).Select(i => i % 5 <= i / 5 || i % 7 == 0).ToArray(), 5, 5);
        Tensor expected = attention.Forward(x, attentionMask: allowed).Output;
        Tensor perBatchHead = allowed.Unsqueeze(0).Expand(6, 5, 5).Contiguous();
        TensorAssert.Close(expected, attention.Forward(x, attentionMask: perBatchHead).Output, 0, 0);
        TensorAssert.Close(expected, attention.Forward(x, attentionMask: allowed.Reshape(1, 1, 5, 5)).Output, 0, 0);
        Tensor additive = Tensor.Zeros(5, 5).MaskedFill(allowed.Eq(0), float.NegativeInfinity);
        TensorAssert.Close(expected, attention.Forward(x, attentionMask: additive).Output, 1e-6, 1e-6);
        Tensor padding = Tensor.FromArray(Enumerable.Range(0, 15).Select(i => i % 5 != 4).ToArray(), 3, 5);
        Tensor both = attention.Forward(x, keyPaddingMask: padding, attentionMask: allowed).Output;
        Tensor merged = allowed.Unsqueeze(0).To(DType.Float32).Mul(padding.Unsqueeze(1).To(DType.Float32)).Ne(0).Unsqueeze(1);
        TensorAssert.Close(attention.Forward(x, attentionMask: merged).Output, both, 1e-6, 1e-6);
    }

    [Fact]
    public void CausalAttentionIgnoresLaterPositions()
    {
        var attention = new MultiHeadAttention(8, 4, causal: true, generator: new Generator(18));
        Tensor x = Random(19, 1, 6, 8);
        Tensor changedTail = Tensor.Cat([x.Narrow(1, 0, 3), Random(20, 1, 3, 8)], 1);
        TensorAssert.Close(attention.Forward(x).Output.Narrow(1, 0, 3), attention.Forward(changedTail).Output.Narrow(1, 0, 3), 1e-6, 1e-6);
        Assert.NotEqual(attention.Forward(x).Output.Narrow(1, 3, 3).ToArray<float>(), attention.Forward(changedTail).Output.Narrow(1, 3, 3).ToArray<float>());
    }

    [Fact]
    public void UnbatchedAttentionEqualsABatchOfOneAndPerHeadWeightsAverageToTheMean()
    {
        var attention = new MultiHeadAttention(8, 4, generator: new Generator(21));
        Tensor q = Random(22, 3, 8), kv = Random(23, 5, 8);
        Tensor padding = Tensor.FromArray(new[] { true, true, true, false, true });
        var (single, singleWeights) = attention.Forward(q, kv, kv, keyPaddingMask: padding, needWeights: true);
        var (batched, batchedWeights) = attention.Forward(q.Unsqueeze(0), kv.Unsqueeze(0), kv.Unsqueeze(0), keyPaddingMask: padding.Unsqueeze(0), needWeights: true);
        TensorAssert.Close(batched.Squeeze(0), single, 1e-6, 1e-6);
        TensorAssert.Close(batchedWeights!.Squeeze(0), singleWeights!, 1e-6, 1e-6);
        Tensor perHead = attention.Forward(q.Unsqueeze(0), kv.Unsqueeze(0), kv.Unsqueeze(0), keyPaddingMask: padding.Unsqueeze(0), needWeights: true, averageWeights: false).Weights!;
        Assert.Equal([1, 4, 3, 5], perHead.Shape);
        TensorAssert.Close(batchedWeights!, perHead.Mean(1), 1e-6, 1e-6);
    }

    [Fact]
    public void AttentionRejectsBadShapesAndMasksWithTheShapes()
    {
        var attention = new MultiHeadAttention(8, 2, generator: new Generator(24));
        Tensor x = Random(25, 2, 4, 8);
        Assert.Contains("[2, 4]", Assert.Throws<ForgeException>(() => attention.Forward(x, keyPaddingMask: Tensor.Ones([4, 2], DType.Bool))).Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => attention.Forward(x, attentionMask: Tensor.Ones([2, 4, 4], DType.Bool)));
        Assert.Throws<ForgeException>(() => attention.Forward(x, Random(26, 3, 4, 8)));
        Assert.Throws<ForgeException>(() => attention.Forward(Random(27, 4, 8), Random(28, 2, 4, 8)));
        Assert.Throws<ForgeException>(() => attention.Forward(Random(29, 2, 4, 6)));
        Assert.Throws<ForgeException>(() => new MultiHeadAttention(10, 3));
    }

    [Fact]
    public void EncoderKeyPaddingKeepsPaddedTokensFromAffectingRealOnes()
    {
        var encoder = new TransformerEncoder(_ => new TransformerEncoderLayer(8, 2, 16, dropout: 0, activation: Activation.Gelu, generator: new Generator(30)), 2, new LayerNorm(8));
        Tensor x = Random(31, 1, 5, 8);
        Tensor padding = Tensor.FromArray(new[] { true, true, true, false, false }, 1, 5);
        Tensor changedPadding = Tensor.Cat([x.Narrow(1, 0, 3), Random(32, 1, 2, 8)], 1);
        Tensor a = encoder.Forward(x, keyPaddingMask: padding), b = encoder.Forward(changedPadding, keyPaddingMask: padding);
        TensorAssert.Close(a.Narrow(1, 0, 3), b.Narrow(1, 0, 3), 1e-5, 1e-6);
        Assert.Equal(["layers.0.self_attn.q_proj.weight", "layers.0.self_attn.q_proj.bias"], encoder.StateDict().Keys.Take(2));
        Assert.Equal("norm.bias", encoder.StateDict().Keys.Last());
    }

    [Fact]
    public void DecoderCausalFlagEqualsACausalTargetMaskAndTheStackNamesItsLayers()
    {
        var masked = new TransformerDecoderLayer(8, 2, 16, dropout: 0, normFirst: true, generator: new Generator(33));
        var causal = new TransformerDecoderLayer(8, 2, 16, dropout: 0, normFirst: true, causal: true, generator: new Generator(34));
        causal.LoadStateDict(masked.StateDict());
        Tensor target = Random(35, 2, 4, 8), memory = Random(36, 2, 6, 8);
        Tensor lowerTriangle = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => i % 4 <= i / 4).ToArray(), 4, 4);
        TensorAssert.Close(masked.Forward(target, memory, targetMask: lowerTriangle), causal.Forward(target, memory), 1e-6, 1e-6);
        var decoder = new TransformerDecoder(i => new TransformerDecoderLayer(8, 2, 16, dropout: 0, causal: true, generator: new Generator(37 + (ulong)i)), 2);
        Assert.Equal([2, 4, 8], decoder.Forward(target, memory).Shape);
        Assert.Contains("layers.1.multihead_attn.out_proj.bias", decoder.StateDict().Keys);
        Assert.Equal(2 * 2 * 4 * 2 + 2 * 4 + 2 * 3 * 2, decoder.StateDict().Count);
    }

    [Fact]
    public void FeedForwardExpandsAndProjectsBack()
    {
        var block = new FeedForward(8, 32, Activation.Silu, dropout: 0.1f, generator: new Generator(38));
        Assert.Equal(["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"], block.StateDict().Keys);
        block.Eval();
        Tensor x = Random(39, 2, 3, 8);
        TensorAssert.Close(block.Linear2.Forward(block.Linear1.Forward(x).Silu()), block.Forward(x), 0, 0);
    }

    [Fact]
    public void ConvolutionAndPoolingModulesBuildAResNetStem()
    {
        var stem = new Sequential(
            new Conv2d(3, 8, 7, stride: 2, padding: 3, bias: false, generator: new Generator(40)),
            new BatchNorm2d(8), new Relu(), new MaxPool2d(3, 2, 1),
            new Conv2d(8, 8, (3, 3), (1, 1), (1, 1), groups: 4, generator: new Generator(41)),
            new AvgPool2d(2), new AdaptiveAvgPool2d(1), new Flatten());
        Tensor y = stem.Forward(Random(42, 2, 3, 32, 32));
        Assert.Equal([2, 8], y.Shape);
        Assert.Equal([8, 2, 3, 3], ((Conv2d)stem[4]).Weight.Shape);
        Assert.Equal(8, ((Conv2d)stem[4]).InChannels);
        Assert.Equal("MaxPool2d(kernel_size=3, stride=2, padding=1)", stem[3].ToString());
        Assert.Throws<ForgeException>(() => new Conv2d(3, 8, 3, groups: 2));
        Assert.Throws<ForgeException>(() => new BatchNorm2d(8).Forward(Random(43, 2, 8, 4)));
    }

    [Fact]
    public void NormalizationModulesNormalizeTheirTrailingDimensions()
    {
        Tensor x = Random(44, 3, 4, 5).Mul(2).Add(1);
        var layerNorm = new LayerNorm([4, 5]);
        TensorAssert.Close(F.LayerNorm(x, [4, 5]), layerNorm.Forward(x), 0, 0);
        var rmsNorm = new RmsNorm(5);
        Tensor expected = x.Div(x.Square().Mean(-1, keepDim: true).Add(1e-6f).Sqrt());
        TensorAssert.Close(expected, rmsNorm.Forward(x), 1e-5, 1e-6);
        Assert.Equal(["weight"], rmsNorm.StateDict().Keys);
        Assert.Empty(new LayerNorm(5, elementwiseAffine: false).Parameters());
    }

    [Fact]
    public void ModulesTrainWithOptimizersAndGradientsCanBeZeroed()
    {
        var model = new Sequential(new Linear(3, 8, generator: new Generator(45)), new Gelu(), new Linear(8, 1, generator: new Generator(46)));
        var optimizer = new Adam(model.Parameters(), learningRate: 0.05);
        Tensor x = Random(47, 32, 3), y = x.Sum(-1, keepDim: true);
        var mse = new MseLoss();
        float first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            model.ZeroGrad();
            Tensor loss = mse.Forward(model.Forward(x), y);
            loss.Backward();
            optimizer.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < first * 0.05, $"loss went from {first} to {last}");
        model.ZeroGrad(setToNone: false);
        Assert.All(model.Parameters(), p => Assert.All(p.Grad!.ToArray<float>(), g => Assert.Equal(0f, g)));
        model.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void ApplyVisitsChildrenBeforeParentsForCustomInitialization()
    {
        var model = new TinyGpt(48);
        var order = new List<Module>();
        model.Apply(order.Add);
        Assert.Same(model, order[^1]);
        Assert.True(order.IndexOf(model.H[0].Attn.Fused) < order.IndexOf(model.H[0].Attn));
        Assert.Equal(model.Modules().Count, order.Count);
        var generator = new Generator(49);
        model.Apply(m =>
        {
            if (m is Linear linear) Init.Normal(linear.Weight, 0, 0.02, generator);
        });
        using (GradMode.NoGrad()) Assert.InRange(model.H[1].Attn.CProj.Weight.Abs().Max().Item(), 0.001, 0.1);
    }
}
