using Forge.Nn;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class LossTests
{
    private const string Fixture = "losses";

    [Theory]
    [InlineData("cross_entropy_mean", Reduction.Mean)]
    [InlineData("cross_entropy_sum", Reduction.Sum)]
    [InlineData("cross_entropy_none", Reduction.None)]
    public void CrossEntropyMatchesTorchForEachReduction(string name, Reduction reduction)
    {
        var c = new TorchCase(Fixture, name, "logits");
        c.Verify(F.CrossEntropy(c["logits"], c["target"], reduction: reduction));
    }

    [Fact]
    public void CrossEntropyIgnoresPaddingLabels()
    {
        var c = new TorchCase(Fixture, "cross_entropy_ignore", "logits");
        c.Verify(F.CrossEntropy(c["logits"], c["target"]));
        float[] grad = c["logits"].Grad!.ToArray<float>();
        Assert.All(grad.Skip(1 * 5).Take(5), v => Assert.Equal(0f, v));
        Assert.All(grad.Skip(4 * 5).Take(5), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void CrossEntropyWithLabelSmoothingMatchesTorch()
    {
        var c = new TorchCase(Fixture, "cross_entropy_smoothing", "logits");
        c.Verify(F.CrossEntropy(c["logits"], c["target"], labelSmoothing: 0.1f));
    }

    [Fact]
    public void CrossEntropyWithClassWeightsMatchesTorch()
    {
        var c = new TorchCase(Fixture, "cross_entropy_weight", "logits");
        c.Verify(F.CrossEntropy(c["logits"], c["target"], c["weight"]));
    }

    [Theory]
    [InlineData("cross_entropy_weight_smoothing", Reduction.Mean)]
    [InlineData("cross_entropy_weight_smoothing_none", Reduction.None)]
    public void CrossEntropyWithWeightsAndSmoothingMatchesTorch(string name, Reduction reduction)
    {
        var c = new TorchCase(Fixture, name, "logits");
        c.Verify(F.CrossEntropy(c["logits"], c["target"], c["weight"], labelSmoothing: 0.1f, reduction: reduction));
    }

    [Fact]
    public void CrossEntropyOverSequenceDimensionMatchesTorch()
    {
        var c = new TorchCase(Fixture, "cross_entropy_ncl", "logits");
        c.Verify(F.CrossEntropy(c["logits"], c["target"]));
    }

    [Fact]
    public void CrossEntropyOverSequenceDimensionWithSmoothingPerPositionMatchesTorch()
    {
        var c = new TorchCase(Fixture, "cross_entropy_ncl_smoothing_none", "logits");
        c.Verify(F.CrossEntropy(c["logits"], c["target"], labelSmoothing: 0.1f, reduction: Reduction.None));
    }

    [Fact]
    public void CrossEntropyGradientsMatchFiniteDifferences()
    {
        var logits = TensorAssert.RandomLeaf(1, 3, 4, 2);
        var target = Tensor.FromArray(new long[] { 0, 3, -100, 1, 2, 2 }, 3, 2);
        var weight = Tensor.FromArray(new[] { 0.5f, 1f, 2f, 1.5f }, 4);
        TensorAssert.GradientsMatch(x => F.CrossEntropy(x[0], target, weight, labelSmoothing: 0.2f), logits);
        TensorAssert.GradientsMatch(x => F.CrossEntropy(x[0], target, reduction: Reduction.None), logits);
    }

    [Fact]
    public void CrossEntropyEqualsNllLossOfLogSoftmax()
    {
        var logits = Tensor.Randn([5, 7], new Generator(3));
        var target = Tensor.FromArray(new long[] { 6, 0, 3, 3, 1 }, 5);
        Tensor logProbabilities = logits.Sub(logits.LogSumExp(1, keepDim: true));
        TensorAssert.Close(F.NllLoss(logProbabilities, target), F.CrossEntropy(logits, target));
    }

    [Fact]
    public void CrossEntropyStaysFiniteForHugeLogits()
    {
        var logits = Tensor.FromArray(new[] { 1000f, -1000f, 0f, -1000f, 1000f, 500f }, 2, 3).RequireGrad();
        var target = Tensor.FromArray(new long[] { 1, 1 }, 2);
        Tensor loss = F.CrossEntropy(logits, target, reduction: Reduction.Sum);
        Assert.Equal(2000f, loss.Item(), 2);
        loss.Backward();
        TensorAssert.Close(Tensor.FromArray(new[] { 1f, -1f, 0f, 0f, 0f, 0f }, 2, 3), logits.Grad!);
    }

    [Fact]
    public void CrossEntropyAcceptsUnbatchedLogits()
    {
        var logits = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3);
        Tensor loss = F.CrossEntropy(logits, Tensor.Full([], 2, DType.Int64));
        Assert.Empty(loss.Shape);
        Assert.Equal(Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3, loss.Item(), 5);
    }

    [Fact]
    public void CrossEntropyRejectsTargetOutOfRange()
    {
        var logits = Tensor.Randn([2, 3], new Generator(1));
        var error = Assert.Throws<ForgeException>(() => F.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 3 }, 2)));
        Assert.Contains("[0, 3)", error.Message, StringComparison.Ordinal);
        Assert.Contains("3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CrossEntropyRejectsMismatchedTargetShapeAndFloatTargets()
    {
        var logits = Tensor.Randn([4, 3], new Generator(1));
        var error = Assert.Throws<ForgeException>(() => F.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 1, 2 }, 3)));
        Assert.Contains("[4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[3]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => F.CrossEntropy(logits, Tensor.Zeros(4)));
        Assert.Throws<ForgeException>(() => F.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 1, 2, 0 }, 4), Tensor.Ones(4)));
    }

    [Theory]
    [InlineData("nll_weight", true, Reduction.Mean)]
    [InlineData("nll_none", false, Reduction.None)]
    public void NllLossMatchesTorch(string name, bool weighted, Reduction reduction)
    {
        var c = new TorchCase(Fixture, name, "input");
        c.Verify(F.NllLoss(c["input"], c["target"], weighted ? c["weight"] : null, reduction: reduction));
    }

    [Fact]
    public void NllLossGradientsMatchFiniteDifferences()
    {
        var input = TensorAssert.RandomLeaf(2, 4, 3);
        var target = Tensor.FromArray(new long[] { 2, -1, 0, 1 }, 4);
        TensorAssert.GradientsMatch(x => F.NllLoss(x[0], target, Tensor.FromArray(new[] { 1f, 2f, 3f }, 3), ignoreIndex: -1), input);
    }

    [Theory]
    [InlineData("mse_mean")]
    [InlineData("mse_sum")]
    [InlineData("l1_mean")]
    [InlineData("l1_none")]
    public void RegressionLossesMatchTorch(string name)
    {
        var c = new TorchCase(Fixture, name, "input", "target");
        Tensor output = name switch
        {
            "mse_mean" => F.MseLoss(c["input"], c["target"]),
            "mse_sum" => F.MseLoss(c["input"], c["target"], Reduction.Sum),
            "l1_mean" => F.L1Loss(c["input"], c["target"]),
            _ => F.L1Loss(c["input"], c["target"], Reduction.None),
        };
        c.Verify(output);
    }

    [Fact]
    public void RegressionLossGradientsMatchFiniteDifferences()
    {
        var input = TensorAssert.RandomLeaf(4, 3, 4);
        var target = TensorAssert.RandomLeaf(5, 3, 4);
        TensorAssert.GradientsMatch(x => F.MseLoss(x[0], x[1]) + F.L1Loss(x[0], x[1], Reduction.Sum), input, target);
    }

    [Fact]
    public void RegressionLossesRejectShapeMismatch()
    {
        var error = Assert.Throws<ForgeException>(() => F.MseLoss(Tensor.Zeros(3, 1), Tensor.Zeros(3)));
        Assert.Contains("[3, 1]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => F.L1Loss(Tensor.Zeros(2), Tensor.Zeros(3)));
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsMatchesTorch()
    {
        var c = new TorchCase(Fixture, "bce_with_logits", "logits", "target");
        c.Verify(F.BinaryCrossEntropyWithLogits(c["logits"], c["target"]));
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsAndWeightsMatchesTorch()
    {
        var c = new TorchCase(Fixture, "bce_with_logits_weights", "logits", "target");
        c.Verify(F.BinaryCrossEntropyWithLogits(c["logits"], c["target"], c["weight"], c["pos_weight"], Reduction.Sum), rtol: 1e-5, atol: 1e-5);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsStaysFiniteForHugeLogits()
    {
        var logits = Tensor.FromArray(new[] { 200f, -200f, 200f, -200f }, 4).RequireGrad();
        var target = Tensor.FromArray(new[] { 1f, 0f, 0f, 1f }, 4);
        Tensor loss = F.BinaryCrossEntropyWithLogits(logits, target, reduction: Reduction.None);
        TensorAssert.Close(Tensor.FromArray(new[] { 0f, 0f, 200f, 200f }, 4), loss);
        loss.Sum().Backward();
        TensorAssert.Close(Tensor.FromArray(new[] { 0f, 0f, 1f, -1f }, 4), logits.Grad!);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsGradientsMatchFiniteDifferences()
    {
        var logits = TensorAssert.RandomLeaf(6, 3, 4);
        var target = Tensor.Rand([3, 4], new Generator(7)).RequireGrad();
        var positiveWeight = Tensor.FromArray(new[] { 0.5f, 1f, 2f, 4f }, 4);
        TensorAssert.GradientsMatch(x => F.BinaryCrossEntropyWithLogits(x[0], x[1], positiveWeight: positiveWeight), logits, target);
    }

    [Theory]
    [InlineData("kl_div_batchmean")]
    [InlineData("kl_div_mean")]
    [InlineData("kl_div_log_target")]
    [InlineData("kl_div_log_target_batchmean")]
    public void KlDivMatchesTorch(string name)
    {
        bool logTarget = name.Contains("log_target", StringComparison.Ordinal);
        var c = new TorchCase(Fixture, name, logTarget ? ["input", "target"] : ["input"]);
        Tensor output = name switch
        {
            "kl_div_batchmean" => F.KlDivBatchMean(c["input"], c["target"]),
            "kl_div_mean" => F.KlDiv(c["input"], c["target"]),
            "kl_div_log_target" => F.KlDiv(c["input"], c["target"], Reduction.Sum, logTarget: true),
            _ => F.KlDivBatchMean(c["input"], c["target"], logTarget: true),
        };
        c.Verify(output);
    }

    [Fact]
    public void KlDivGradientsMatchFiniteDifferences()
    {
        var input = TensorAssert.RandomLeaf(8, 2, 5);
        var target = Tensor.Rand([2, 5], new Generator(9)).Add(0.1f).RequireGrad();
        TensorAssert.GradientsMatch(x => F.KlDivBatchMean(x[0], x[1]), input, target);
        TensorAssert.GradientsMatch(x => F.KlDiv(x[0], x[1], Reduction.None, logTarget: true), input, target);
    }

    [Theory]
    [InlineData("cosine_similarity", 1)]
    [InlineData("cosine_similarity_broadcast", -1)]
    public void CosineSimilarityMatchesTorch(string name, int dim)
    {
        var c = new TorchCase(Fixture, name, "x1", "x2");
        c.Verify(F.CosineSimilarity(c["x1"], c["x2"], dim));
    }

    [Theory]
    [InlineData("pairwise_distance", 2f, false)]
    [InlineData("pairwise_distance_p1", 1f, false)]
    [InlineData("pairwise_distance_p3_keepdim", 3f, true)]
    public void PairwiseDistanceMatchesTorch(string name, float p, bool keepDim)
    {
        var c = new TorchCase(Fixture, name, "x1", "x2");
        c.Verify(F.PairwiseDistance(c["x1"], c["x2"], p, keepDim: keepDim), rtol: 1e-5, atol: 1e-5);
    }

    [Fact]
    public void SimilarityGradientsMatchFiniteDifferences()
    {
        var x1 = TensorAssert.RandomLeaf(10, 3, 4);
        var x2 = TensorAssert.RandomLeaf(11, 3, 4);
        TensorAssert.GradientsMatch(x => F.CosineSimilarity(x[0], x[1]), x1, x2);
        TensorAssert.GradientsMatch(x => F.PairwiseDistance(x[0], x[1], 3), x1, x2);
    }

    [Fact]
    public void CosineSimilarityOfZeroVectorIsZeroWithFiniteGradient()
    {
        var x1 = Tensor.Zeros(1, 3).RequireGrad();
        var x2 = Tensor.FromArray(new[] { 1f, 2f, 3f }, 1, 3);
        Tensor similarity = F.CosineSimilarity(x1, x2);
        Assert.Equal(0f, similarity.Item());
        similarity.Sum().Backward();
        Assert.All(x1.Grad!.ToArray<float>(), v => Assert.True(float.IsFinite(v)));
    }
}
