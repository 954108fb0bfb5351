using Forge.Nn;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Autograd;

/// <summary>Finite-difference checks of the functional ops on non-contiguous (permuted, sliced, broadcast) inputs.</summary>
public class FunctionalGradientTests
{
    [Fact]
    public void SoftmaxAndLogSoftmaxOfPermutedInputGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(1, 2, 3, 4);
        TensorAssert.GradientsMatch(t => F.Softmax(t[0].Permute(2, 0, 1), 0).Exp(), x);
        TensorAssert.GradientsMatch(t => F.LogSoftmax(t[0].Narrow(2, 1, 3), 1).Sin(), x);
        TensorAssert.GradientsMatch(t => F.Softmax(t[0].Select(1, 0), -1).Square(), x);
    }

    [Fact]
    public void LinearWithTransposedWeightAndBatchedInputGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(2, 2, 3, 4);
        var w = TensorAssert.RandomLeaf(3, 4, 5);
        var b = TensorAssert.RandomLeaf(4, 5);
        TensorAssert.GradientsMatch(t => F.Linear(t[0].Transpose(0, 1), t[1].MT, t[2]).Tanh(), x, w, b);
    }

    [Fact]
    public void LossesOfPermutedInputsGradientsMatchFiniteDifferences()
    {
        var logits = TensorAssert.RandomLeaf(5, 3, 4);
        var other = TensorAssert.RandomLeaf(6, 4, 3);
        Tensor target = Tensor.FromArray(new long[] { 0, 2, 1, 2 });
        TensorAssert.GradientsMatch(t => F.CrossEntropy(t[0].MT, target), logits);
        TensorAssert.GradientsMatch(t => F.MseLoss(t[0].MT, t[1], Reduction.Sum), logits, other);
        TensorAssert.GradientsMatch(t => F.BinaryCrossEntropyWithLogits(t[0].MT, t[1].Sigmoid()), logits, other);
        TensorAssert.GradientsMatch(t => F.CosineSimilarity(t[0].MT, t[1], 1), logits, other);
    }

    [Fact]
    public void NormalizationOfPermutedInputGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(7, 4, 2, 3);
        var w = TensorAssert.RandomLeaf(8, 4);
        TensorAssert.GradientsMatch(t => F.LayerNorm(t[0].Permute(1, 2, 0), [4], t[1]), x, w);
        TensorAssert.GradientsMatch(t => F.RmsNorm(t[0].Permute(2, 1, 0), [4], t[1]), x, w);
    }

    [Fact]
    public void PoolingAndConvolutionOfPermutedInputGradientsMatchFiniteDifferences()
    {
        var x = TensorAssert.RandomLeaf(9, 1, 5, 4, 2);
        var w = TensorAssert.RandomLeaf(10, 3, 2, 2, 2);
        TensorAssert.GradientsMatch(t => F.MaxPool2d(t[0].Permute(0, 3, 1, 2), 2, 1), x);
        TensorAssert.GradientsMatch(t => F.AvgPool2d(t[0].Permute(0, 3, 2, 1), 2), x);
        TensorAssert.GradientsMatch(t => F.Conv2d(t[0].Permute(0, 3, 1, 2), t[1], null, 1, 1), x, w);
    }

    [Fact]
    public void EmbeddingOfTransposedWeightGradientsMatchFiniteDifferences()
    {
        var w = TensorAssert.RandomLeaf(11, 3, 5);
        Tensor indices = Tensor.FromArray(new long[] { 4, 0, 4, 2 }, 2, 2);
        TensorAssert.GradientsMatch(t => F.Embedding(indices, t[0].MT).Exp(), w);
    }
}
