using Forge.Generation;
using Xunit;

namespace Forge.Tests.Generation;

public class LogitsProcessorsTests
{
    [Fact]
    public void RepetitionPenaltyDividesPositiveAndMultipliesNegativeScoresOfSeenTokens()
    {
        double[] scores = [2, -2, 1];
        LogitsProcessors.ApplyRepetitionPenalty(scores, [0, 1, 1], 2);
        Assert.Equal([1, -4, 1], scores);
    }

    [Fact]
    public void TopKKeepsTiesWithTheKthScore()
    {
        double[] scores = [1, 3, 2, 3];
        LogitsProcessors.KeepTopK(scores, 2);
        Assert.Equal([double.NegativeInfinity, 3, double.NegativeInfinity, 3], scores);
        scores = [1, 3, 2, 2];
        LogitsProcessors.KeepTopK(scores, 2);
        Assert.Equal([double.NegativeInfinity, 3, 2, 2], scores);
    }

    [Theory]
    [InlineData(0.5, new[] { true, false, false })]
    [InlineData(0.6, new[] { true, true, false })]
    [InlineData(0.79, new[] { true, true, false })]
    [InlineData(0.81, new[] { true, true, true })]
    public void TopPKeepsTheSmallestSetReachingP(double p, bool[] kept)
    {
        double[] scores = [Math.Log(0.5), Math.Log(0.3), Math.Log(0.2)];
        LogitsProcessors.KeepTopP(scores, p);
        Assert.Equal(kept, scores.Select(s => !double.IsNegativeInfinity(s)));
    }

    [Fact]
    public void TemperatureScalesScores()
    {
        double[] scores = [2, -4];
        LogitsProcessors.ApplyTemperature(scores, 2);
        Assert.Equal([1, -2], scores);
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxAgreeAndIgnoreBannedTokens()
    {
        double[] scores = [1, 2, double.NegativeInfinity, 0.5];
        double[] p = LogitsProcessors.Softmax(scores);
        double[] logP = LogitsProcessors.LogSoftmax(scores);
        Assert.Equal(1, p.Sum(), 12);
        Assert.Equal(0, p[2]);
        for (int i = 0; i < 4; i++) Assert.Equal(Math.Log(p[i]), logP[i], 12);
    }

    [Fact]
    public void NgramBanUsesTheLastNMinusOneTokensAsPrefix()
    {
        double[] scores = new double[5];
        LogitsProcessors.BanRepeatedNgrams(scores, [1, 2, 3, 1, 2], 3);
        Assert.Equal([0, 0, 0, double.NegativeInfinity, 0], scores);
    }
}
