using System.Text.Json;
using Forge.Cli;
using Forge.Cli.Commands;
using Xunit;

namespace Forge.Tests.Cli;

public sealed class BenchCommandTests
{
    private static JsonElement RunJson(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ForgeCli.Run(args, output, error, ForgeCli.DiscoverCommands());
        Assert.True(code == ForgeCli.Success, error.ToString());
        return JsonDocument.Parse(output.ToString()).RootElement;
    }

    [Fact]
    public void BenchGemmReportsPositiveGflopsForTheGivenShape()
    {
        JsonElement report = RunJson("bench", "gemm", "--m", "48", "--n", "40", "--k", "32", "--layout", "NT", "--repeat", "1", "--json");
        Assert.Equal(48, report.GetProperty("m").GetInt32());
        Assert.Equal("NT", report.GetProperty("layout").GetString());
        Assert.Equal("managed", report.GetProperty("blas").GetString());
        Assert.True(report.GetProperty("gflops").GetDouble() > 0);
    }

    [Fact]
    public void BenchGemmTimesABatchOfProductsAndRejectsAnEmptyBatch()
    {
        JsonElement report = RunJson("bench", "gemm", "--m", "16", "--n", "24", "--k", "8", "--batch", "3", "--repeat", "1", "--json");
        Assert.Equal(3, report.GetProperty("batch").GetInt32());
        Assert.True(report.GetProperty("gflops").GetDouble() > 0);

        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.NotEqual(ForgeCli.Success, ForgeCli.Run(["bench", "gemm", "--m", "8", "--batch", "0"], output, error, ForgeCli.DiscoverCommands()));
        Assert.Contains("batch 0", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BenchGemmRejectsAnUnknownLayout()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.NotEqual(ForgeCli.Success, ForgeCli.Run(["bench", "gemm", "--m", "8", "--layout", "XY"], output, error, ForgeCli.DiscoverCommands()));
        Assert.Contains("NN, NT or TN", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BenchTrainReportsStepTimeThroughputUtilizationAndMemory()
    {
        JsonElement report = RunJson("bench", "train", "--preset", "gpt-micro", "--vocab", "64", "--batch", "2", "--seq", "8", "--steps", "2", "--warmup", "1", "--json");
        double ms = report.GetProperty("ms_per_step").GetDouble();
        Assert.True(ms > 0);
        Assert.Equal(2 * 8 / ms * 1000, report.GetProperty("tokens_per_s").GetDouble(), 0.05 * 16000 / ms);
        Assert.InRange(report.GetProperty("mfu").GetDouble(), 0, 1);
        Assert.True(report.GetProperty("gflops").GetDouble() > 0);
        Assert.True(report.GetProperty("peak_rss_mb").GetDouble() > 10);
        Assert.True(report.GetProperty("step_graph").GetBoolean());
    }

    [Fact]
    public void BenchTrainEagerRunsWithoutAStepGraph()
    {
        JsonElement report = RunJson("bench", "train", "--preset", "gpt-micro", "--vocab", "64", "--batch", "2", "--seq", "8", "--steps", "1", "--warmup", "1",
            "--eager", "--json");
        Assert.False(report.GetProperty("step_graph").GetBoolean());
        Assert.True(report.GetProperty("ms_per_step").GetDouble() > 0);
    }

    [Fact]
    public void BenchTrainProfileTimesTheStepsKernelsByShape()
    {
        JsonElement report = RunJson("bench", "train", "--preset", "gpt-micro", "--vocab", "64", "--batch", "2", "--seq", "8", "--steps", "1", "--warmup", "1",
            "--profile", "--json");
        JsonElement[] kernels = [.. report.GetProperty("kernels").EnumerateArray()];
        // gpt-micro's query/key/value projection: 16 token rows of width 128 into 384, with bias, once per layer (4).
        JsonElement product = kernels.First(k => k.GetProperty("kernel").GetString() == "MatMulBias [16, 128]x[128, 384]x[384]x[16, 384]");
        Assert.True(product.GetProperty("calls_per_step").GetDouble() >= 4);
        Assert.Contains(kernels, k => k.GetProperty("kernel").GetString()!.StartsWith("AdamStep", StringComparison.Ordinal));
        Assert.All(kernels, k => Assert.True(k.GetProperty("ms_per_step").GetDouble() >= 0));
    }

    [Fact]
    public void BenchGenerateProducesTheAskedNumberOfTokens()
    {
        JsonElement report = RunJson("bench", "generate", "--preset", "gpt-micro", "--tokens", "3", "--json");
        Assert.Equal(3, report.GetProperty("tokens").GetInt32());
        Assert.True(report.GetProperty("tokens_per_s").GetDouble() > 0);
    }
}
