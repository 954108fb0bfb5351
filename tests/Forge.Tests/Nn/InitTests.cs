using Forge.Nn;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Nn;

/// <summary>
/// Initializer statistics on 200,000 samples: the standard error of a mean is then σ/447 and of a standard deviation σ/632, so
/// the tolerances below (about six standard errors) fail only for a wrong distribution.
/// </summary>
public class InitTests
{
    private const int Count = 200_000;

    private static (double Mean, double Std, double Min, double Max) Moments(Tensor t)
    {
        double[] v = [.. t.ToArray<float>().Select(x => (double)x)];
        double mean = v.Average();
        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return (mean, std, v.Min(), v.Max());
    }

    private static double Density(double x) => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);

    [Fact]
    public void NormalHasTheRequestedMeanAndStandardDeviation()
    {
        var (mean, std, _, _) = Moments(Init.Normal(Tensor.Empty([Count]), 3, 0.5, new Generator(1)));
        Assert.InRange(mean, 3 - 0.007, 3 + 0.007);
        Assert.InRange(std, 0.5 * 0.99, 0.5 * 1.01);
    }

    [Fact]
    public void UniformStaysInItsRangeWithUniformMoments()
    {
        var (mean, std, min, max) = Moments(Init.Uniform(Tensor.Empty([Count]), -1, 3, new Generator(2)));
        Assert.True(min >= -1 && max < 3);
        Assert.InRange(min, -1, -0.999);
        Assert.InRange(max, 2.999, 3);
        Assert.InRange(mean, 1 - 0.02, 1 + 0.02);
        Assert.InRange(std, 4 / Math.Sqrt(12) * 0.99, 4 / Math.Sqrt(12) * 1.01);
    }

    [Theory]
    [InlineData(0.0, 1.0, -2.0, 2.0)]
    [InlineData(0.0, 0.02, -0.04, 0.04)]
    [InlineData(0.0, 1.0, 1.0, 3.0)]
    [InlineData(5.0, 2.0, -1.0, 4.0)]
    [InlineData(0.0, 1.0, -10.0, -9.0)]
    public void TruncatedNormalMatchesTheTruncatedDistributionsMoments(double mu, double sigma, double low, double high)
    {
        var (mean, std, min, max) = Moments(Init.TruncatedNormal(Tensor.Empty([Count]), mu, sigma, low, high, new Generator(3)));
        double alpha = (low - mu) / sigma, beta = (high - mu) / sigma;
        double z = Init.NormalCdf(beta) - Init.NormalCdf(alpha);
        double shift = (Density(alpha) - Density(beta)) / z;
        double expectedMean = mu + sigma * shift;
        double expectedStd = sigma * Math.Sqrt(1 + (alpha * Density(alpha) - beta * Density(beta)) / z - shift * shift);
        Assert.True(min >= low && max <= high, $"samples in [{min}, {max}], expected within [{low}, {high}]");
        Assert.InRange(mean, expectedMean - 0.015 * expectedStd, expectedMean + 0.015 * expectedStd);
        Assert.InRange(std, expectedStd * 0.99, expectedStd * 1.01);
    }

    [Theory]
    [InlineData(1e-12)]
    [InlineData(0.001)]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.97)]
    [InlineData(0.999999)]
    public void InverseNormalDistributionFunctionInvertsTheDistributionFunction(double p) =>
        Assert.Equal(p, Init.NormalCdf(Init.InverseNormalCdf(p)), p * 1e-7);

    [Fact]
    public void XavierUsesFanInPlusFanOut()
    {
        double bound = Math.Sqrt(6.0 / (400 + 500));
        var (_, uniformStd, min, max) = Moments(Init.XavierUniform(Tensor.Empty([500, 400]), generator: new Generator(4)));
        Assert.True(-bound <= min && max <= bound);
        Assert.InRange(uniformStd, bound / Math.Sqrt(3) * 0.99, bound / Math.Sqrt(3) * 1.01);
        var (_, normalStd, _, _) = Moments(Init.XavierNormal(Tensor.Empty([500, 400]), gain: 2, generator: new Generator(5)));
        Assert.InRange(normalStd, 2 * Math.Sqrt(2.0 / 900) * 0.99, 2 * Math.Sqrt(2.0 / 900) * 1.01);
    }

    [Fact]
    public void KaimingFollowsTheFanModeAndTheNonlinearity()
    {
        var (_, reluStd, _, _) = Moments(Init.KaimingNormal(Tensor.Empty([400, 500]), nonlinearity: Nonlinearity.Relu, generator: new Generator(6)));
        Assert.InRange(reluStd, Math.Sqrt(2.0 / 500) * 0.99, Math.Sqrt(2.0 / 500) * 1.01);
        var (_, fanOutStd, _, _) = Moments(Init.KaimingNormal(Tensor.Empty([400, 500]), mode: FanMode.FanOut, nonlinearity: Nonlinearity.Linear, generator: new Generator(7)));
        Assert.InRange(fanOutStd, Math.Sqrt(1.0 / 400) * 0.99, Math.Sqrt(1.0 / 400) * 1.01);
        var (_, _, min, max) = Moments(Init.KaimingUniform(Tensor.Empty([400, 500]), a: Math.Sqrt(5), generator: new Generator(8)));
        double bound = 1 / Math.Sqrt(500);
        Assert.True(-bound <= min && max <= bound);
        Assert.InRange(max, bound * 0.999, bound);
        var (_, leakyStd, _, _) = Moments(Init.KaimingNormal(Tensor.Empty([400, 500]), a: 0.2, generator: new Generator(9)));
        Assert.InRange(leakyStd, Math.Sqrt(2 / 1.04 / 500) * 0.99, Math.Sqrt(2 / 1.04 / 500) * 1.01);
    }

    [Theory]
    [InlineData(Nonlinearity.Linear, null, 1.0)]
    [InlineData(Nonlinearity.Sigmoid, null, 1.0)]
    [InlineData(Nonlinearity.Tanh, null, 5.0 / 3)]
    [InlineData(Nonlinearity.Relu, null, 1.4142135623730951)]
    [InlineData(Nonlinearity.LeakyRelu, null, 1.4141428569978354)]
    [InlineData(Nonlinearity.LeakyRelu, 2.23606797749979, 0.5773502691896258)]
    [InlineData(Nonlinearity.Selu, null, 0.75)]
    public void GainsMatchPyTorch(Nonlinearity nonlinearity, double? slope, double expected) =>
        Assert.Equal(expected, Init.CalculateGain(nonlinearity, slope), 12);

    [Fact]
    public void FansOfConvolutionWeightsIncludeTheKernel()
    {
        Assert.Equal((3 * 5 * 7, 8 * 5 * 7), Init.CalculateFans(Tensor.Empty([8, 3, 5, 7])));
        Assert.Equal((4, 2), Init.CalculateFans(Tensor.Empty([2, 4])));
        Assert.Throws<ForgeException>(() => Init.CalculateFans(Tensor.Empty([3])));
        Assert.Throws<ForgeException>(() => Init.Normal(Tensor.Empty([3]), std: -1));
        Assert.Throws<ForgeException>(() => Init.TruncatedNormal(Tensor.Empty([3]), low: 1, high: 1));
    }

    [Fact]
    public void SeededInitializersReproduceAndDifferentSeedsDiffer()
    {
        float[] a = Init.TruncatedNormal(Tensor.Empty([64]), std: 0.02, low: -0.04, high: 0.04, generator: new Generator(10)).ToArray<float>();
        float[] b = Init.TruncatedNormal(Tensor.Empty([64]), std: 0.02, low: -0.04, high: 0.04, generator: new Generator(10)).ToArray<float>();
        float[] c = Init.TruncatedNormal(Tensor.Empty([64]), std: 0.02, low: -0.04, high: 0.04, generator: new Generator(11)).ToArray<float>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        var first = new TinyGpt(12).StateDict();
        var second = new TinyGpt(12).StateDict();
        Assert.All(first, kv => Assert.Equal(kv.Value.ToArray<float>(), second[kv.Key].ToArray<float>()));
    }

    [Fact]
    public void ConstantsFillEveryElementAndInitializersRecordNoGradient()
    {
        var p = new Parameter(Tensor.Empty([2, 3]));
        Assert.All(Init.Constant(p, 0.5).ToArray<float>(), v => Assert.Equal(0.5f, v));
        Assert.All(Init.Ones(p).ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.All(Init.Zeros(p).ToArray<float>(), v => Assert.Equal(0f, v));
        Init.KaimingUniform(p, generator: new Generator(13));
        Assert.True(p.IsLeaf);
        Assert.True(p.RequiresGrad);
        Assert.Null(p.Grad);
    }

    [Fact]
    public void LayersStartFromPyTorchsDefaultInitialization()
    {
        var linear = new Linear(300, 200, generator: new Generator(14));
        double bound = 1 / Math.Sqrt(300);
        Assert.All(linear.Weight.ToArray<float>().Concat(linear.Bias!.ToArray<float>()), v => Assert.InRange(v, -bound, bound));
        Assert.InRange(Moments(linear.Weight).Std, bound / Math.Sqrt(3) * 0.98, bound / Math.Sqrt(3) * 1.02);

        var conv = new Conv2d(6, 8, 3, groups: 2, generator: new Generator(15));
        double convBound = 1 / Math.Sqrt(3 * 3 * 3);
        Assert.All(conv.Weight.ToArray<float>().Concat(conv.Bias!.ToArray<float>()), v => Assert.InRange(v, -convBound, convBound));

        var embedding = new Embedding(1000, 64, paddingIndex: -1, generator: new Generator(16));
        Assert.Equal(999, embedding.PaddingIndex);
        Assert.All(embedding.Weight.Select(0, 999).ToArray<float>(), v => Assert.Equal(0f, v));
        var (mean, std, _, _) = Moments(embedding.Weight.Narrow(0, 0, 999));
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(std, 0.98, 1.02);

        var attention = new MultiHeadAttention(64, 4, generator: new Generator(17));
        double inBound = Math.Sqrt(6.0 / (4 * 64));
        Assert.All(attention.QProj.Weight.ToArray<float>(), v => Assert.InRange(v, -inBound, inBound));
        Assert.InRange(Moments(attention.KProj.Weight).Max, inBound * 0.95, inBound);
        Assert.All(attention.Parameters().Where(p => p.Dim == 1).SelectMany(p => p.ToArray<float>()), v => Assert.Equal(0f, v));

        var norm = new LayerNorm(5);
        Assert.Equal([1f, 1f, 1f, 1f, 1f], norm.Weight!.ToArray<float>());
        Assert.Equal([0f, 0f, 0f, 0f, 0f], norm.Bias!.ToArray<float>());
    }
}
