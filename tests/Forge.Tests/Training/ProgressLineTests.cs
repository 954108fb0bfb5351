using Forge.Training.Logging;
using Xunit;

namespace Forge.Tests.Training;

public sealed class ProgressLineTests
{
    [Fact]
    public void FormatShowsStepLossLearningRateThroughputAndEta()
    {
        Assert.Equal(
            "step  120/5000 (2.4%) | loss 3.4521 | lr 3.00e-04 | 12.3k tok/s | eta 1h02m",
            ProgressLine.Format(120, 5000, 3.45209, 3e-4, 12_345, TimeSpan.FromMinutes(62.5)));
        Assert.Equal(
            "step 5000/5000 (100.0%) | loss 0.0100 | lr 0.00e+00 | 2.50M tok/s | eta 0s",
            ProgressLine.Format(5000, 5000, 0.01, 0, 2_500_000, TimeSpan.Zero));
    }

    [Theory]
    [InlineData(41.2, "42s")]
    [InlineData(725, "12m05s")]
    [InlineData(3600, "1h00m")]
    [InlineData(2 * 86400 + 3 * 3600 + 59, "2d03h")]
    public void EtaIsShownInTheLargestFittingUnits(double seconds, string shown)
    {
        Assert.EndsWith("eta " + shown, ProgressLine.Format(1, 10, 1, 1e-3, 1, TimeSpan.FromSeconds(seconds)), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownAndNonFiniteValuesHavePlaceholders()
    {
        Assert.Equal(
            "step  3/10 (30.0%) | loss nan | lr 1.00e-03 | 999 tok/s | eta --",
            ProgressLine.Format(3, 10, double.NaN, 1e-3, 999.4, null));
        Assert.Contains("loss inf | lr 1.00e-03 | -- tok/s", ProgressLine.Format(3, 10, double.PositiveInfinity, 1e-3, double.NaN, null), StringComparison.Ordinal);
    }

    [Fact]
    public void RemainingTimeFollowsTheAveragePace()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), ProgressLine.EstimateRemaining(10, 60, TimeSpan.FromSeconds(5)));
        Assert.Null(ProgressLine.EstimateRemaining(0, 60, TimeSpan.FromSeconds(5)));
        Assert.Equal(TimeSpan.Zero, ProgressLine.EstimateRemaining(10, 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void TerminalOutputRewritesOneLineAndClearsLongerText()
    {
        using var output = new StringWriter();
        var progress = new ProgressLine(output, rewrite: true);
        progress.Update("step 1 | long text");
        progress.Update("step 2");
        progress.Complete();
        progress.Complete();
        Assert.Equal("\rstep 1 | long text\rstep 2            " + Environment.NewLine, output.ToString());
    }

    [Fact]
    public void RedirectedOutputGetsOneLinePerUpdate()
    {
        using var output = new StringWriter();
        var progress = new ProgressLine(output, rewrite: false);
        progress.Update("step 1");
        progress.Update("step 2");
        progress.Complete();
        Assert.Equal("step 1" + Environment.NewLine + "step 2" + Environment.NewLine, output.ToString());
    }
}
