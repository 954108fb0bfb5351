using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Functional;

public class DropoutTests
{
    [Fact]
    public void DropoutPreservesTheMeanAndDropsAboutPWhileTraining()
    {
        Tensor x = Tensor.Ones(200_000);
        float[] y = F.Dropout(x, 0.3f, training: true, new Generator(1)).ToArray<float>();
        double dropped = y.Count(v => v == 0) / (double)y.Length;
        Assert.InRange(dropped, 0.295, 0.305);
        Assert.InRange(y.Average(), 0.99, 1.01);
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.7f) < 1e-6));
    }

    [Fact]
    public void DropoutWithTheSameSeedGivesTheSameMask()
    {
        Tensor x = Tensor.Randn([64, 8], new Generator(2));
        Tensor a = F.Dropout(x, 0.5f, training: true, new Generator(42));
        Tensor b = F.Dropout(x, 0.5f, training: true, new Generator(42));
        Tensor c = F.Dropout(x, 0.5f, training: true, new Generator(43));
        Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        Assert.NotEqual(a.ToArray<float>(), c.ToArray<float>());
    }

    [Fact]
    public void DropoutMaskDrawsOneNextFloatPerElementInOrder()
    {
        // Masks depend only on the generator's stream, so a resumed run (generator state restored) drops the same elements.
        var reference = new Generator(9);
        float[] expected = Enumerable.Range(0, 1000).Select(_ => reference.NextFloat() >= 0.25f ? 1 / 0.75f : 0f).ToArray();
        var generator = new Generator(9);
        Assert.Equal(expected, F.Dropout(Tensor.Ones(1000), 0.25f, training: true, generator).ToArray<float>());
        Assert.Equal(reference.NextUInt64(), generator.NextUInt64());
    }

    [Fact]
    public void DropoutIsTheIdentityInEvaluationAndAtZeroProbability()
    {
        Tensor x = Tensor.Randn([5, 5], new Generator(3));
        Assert.Same(x, F.Dropout(x, 0.5f, training: false));
        Assert.Same(x, F.Dropout(x, 0f, training: true));
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void DropoutRejectsProbabilityOutsideZeroToOne(float p)
    {
        var error = Assert.Throws<ForgeException>(() => F.Dropout(Tensor.Ones(3), p, training: true));
        Assert.Contains("[0, 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DropoutGradientUsesTheForwardMask()
    {
        var x = TensorAssert.RandomLeaf(4, 3, 7);
        TensorAssert.GradientsMatch(t => F.Dropout(t[0], 0.4f, training: true, new Generator(9)).Square(), x);
        Tensor y = F.Dropout(x, 0.4f, training: true, new Generator(9));
        x.Grad = null;
        y.Sum().Backward();
        float[] kept = y.ToArray<float>().Select(v => v == 0 ? 0f : 1 / 0.6f).ToArray();
        TensorAssert.Close(Tensor.FromArray(kept, 3, 7), x.Grad!);
    }
}
