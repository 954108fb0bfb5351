using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class BatchNormTests
{
    private const string Fixture = "convolution";

    [Theory]
    [InlineData("batch_norm_train")]
    [InlineData("batch_norm_train_2d")]
    public void BatchNormTrainingMatchesTorchAndUpdatesRunningStatistics(string name)
    {
        var c = new TorchCase(Fixture, name, "input", "weight", "bias");
        Tensor runningMean = c["running_mean"], runningVar = c["running_var"];
        c.Verify(F.BatchNorm(c["input"], runningMean, runningVar, c["weight"], c["bias"], training: true, momentum: 0.2f, eps: 1e-3f), rtol: 1e-4, atol: 1e-5);
        TensorAssert.Close(c.Expected("new_running_mean"), runningMean, what: "running mean");
        TensorAssert.Close(c.Expected("new_running_var"), runningVar, what: "running variance");
    }

    [Fact]
    public void BatchNormEvaluationUsesRunningStatisticsLikeTorch()
    {
        var c = new TorchCase(Fixture, "batch_norm_eval", "input", "weight", "bias");
        Tensor runningMean = c["running_mean"], runningVar = c["running_var"];
        c.Verify(F.BatchNorm(c["input"], runningMean, runningVar, c["weight"], c["bias"], training: false, momentum: 0.2f, eps: 1e-3f), rtol: 1e-4, atol: 1e-5);
        TensorAssert.Close(c.Expected("running_mean"), runningMean, what: "running mean");
        TensorAssert.Close(c.Expected("running_var"), runningVar, what: "running variance");
    }

    [Fact]
    public void BatchNormTrainingGradientsMatchFiniteDifferences()
    {
        var input = TensorAssert.RandomLeaf(1, 3, 2, 2, 3);
        var weight = TensorAssert.RandomLeaf(2, 2);
        var bias = TensorAssert.RandomLeaf(3, 2);
        TensorAssert.GradientsMatch(x => F.BatchNorm(x[0], null, null, x[1], x[2], training: true), input, weight, bias);
    }

    [Fact]
    public void BatchNormEvaluationGradientsMatchFiniteDifferences()
    {
        var input = TensorAssert.RandomLeaf(4, 3, 2, 4);
        var weight = TensorAssert.RandomLeaf(5, 2);
        var bias = TensorAssert.RandomLeaf(6, 2);
        var runningMean = Tensor.FromArray(new[] { 0.5f, -1f }, 2);
        var runningVar = Tensor.FromArray(new[] { 2f, 0.5f }, 2);
        TensorAssert.GradientsMatch(x => F.BatchNorm(x[0], runningMean, runningVar, x[1], x[2]), input, weight, bias);
    }

    [Fact]
    public void BatchNormTrainingNormalizesEachChannel()
    {
        var input = Tensor.Randn([8, 3, 4, 4], new Generator(7)).Mul(3f).Add(2f);
        Tensor output = F.BatchNorm(input, null, null, training: true, eps: 0);
        TensorAssert.Close(Tensor.Zeros(3), output.Mean([0, 2, 3]), atol: 1e-5);
        TensorAssert.Close(Tensor.Ones(3), output.Var([0, 2, 3], correction: 0), atol: 1e-4);
    }

    [Fact]
    public void BatchNormRejectsChannelMismatch()
    {
        var error = Assert.Throws<ForgeException>(() => F.BatchNorm(Tensor.Zeros(2, 3, 4), Tensor.Zeros(4), Tensor.Ones(4)));
        Assert.Contains("[3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[4]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => F.BatchNorm(Tensor.Zeros(3), null, null, training: true));
    }

    [Fact]
    public void BatchNormNeedsSeveralValuesPerChannelInTrainingAndRunningStatisticsInEvaluation()
    {
        Assert.Throws<ForgeException>(() => F.BatchNorm(Tensor.Zeros(1, 3), null, null, training: true));
        Assert.Throws<ForgeException>(() => F.BatchNorm(Tensor.Zeros(2, 3), null, null, training: false));
    }
}
