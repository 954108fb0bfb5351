using System.Text.Json.Nodes;
using Forge.Tests.Serialization;
using Forge.Training.Logging;
using Xunit;

namespace Forge.Tests.Training;

public sealed class MetricsLogTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string LogPath => temp.File("out/metrics.jsonl");

    private static long Step(JsonObject record) => record["step"]!.GetValue<long>();

    [Fact]
    public void WritesOneFlushedJsonObjectPerLine()
    {
        using var log = new MetricsLog(temp.File("out"));
        Assert.Equal(LogPath, log.FilePath);
        log.LogTraining(1, 10.5, learningRate: 3e-4, tokensPerSecond: 12345.5);
        log.LogTraining(2, 9.25);
        log.LogValidation(2, 9.75);
        log.Write(3, [new("grad_norm", 0.5), new("loss", 8)]);

        using var reader = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        string[] lines = new StreamReader(reader).ReadToEnd().Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.Equal("", lines[4]);
        Assert.StartsWith("{\"step\":1,\"time\":", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",\"loss\":10.5,\"lr\":0.0003,\"tokens_per_sec\":12345.5}", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",\"loss\":9.25}", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",\"val_loss\":9.75}", lines[2], StringComparison.Ordinal);
        Assert.EndsWith(",\"grad_norm\":0.5,\"loss\":8}", lines[3], StringComparison.Ordinal);

        var records = MetricsLog.Read(LogPath);
        Assert.Equal([1L, 2, 2, 3], records.Select(Step));
        double time = records[0]["time"]!.GetValue<double>();
        Assert.InRange(time, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
    }

    [Fact]
    public void NonFiniteValuesAreWrittenAsNamedStrings()
    {
        using (var log = new MetricsLog(temp.File("out")))
        {
            log.Write(1, [new("loss", double.NaN), new("a", double.PositiveInfinity), new("b", double.NegativeInfinity)]);
        }
        JsonObject record = MetricsLog.Read(LogPath).Single();
        Assert.Equal(("NaN", "Infinity", "-Infinity"), ((string?)record["loss"], (string?)record["a"], (string?)record["b"]));
    }

    [Fact]
    public void ReopeningAppends()
    {
        using (var log = new MetricsLog(temp.File("out"))) log.LogTraining(1, 3);
        using (var log = new MetricsLog(temp.File("out"))) log.LogTraining(2, 2);
        Assert.Equal([1L, 2], MetricsLog.Read(LogPath).Select(Step));
    }

    [Fact]
    public void ResumingDropsTheStepsAfterTheCheckpoint()
    {
        using (var log = new MetricsLog(temp.File("out")))
        {
            for (int step = 1; step <= 6; step++) log.LogTraining(step, 10 - step);
            log.LogValidation(4, 7.5);
            log.LogValidation(6, 6.5);
        }
        using (var log = new MetricsLog(temp.File("out"), resumeStep: 4)) log.LogTraining(5, 0.5);

        var records = MetricsLog.Read(LogPath);
        Assert.Equal([1L, 2, 3, 4, 4, 5], records.Select(Step));
        Assert.Equal(7.5, records[4]["val_loss"]!.GetValue<double>());
        Assert.Equal(0.5, records[5]["loss"]!.GetValue<double>());
        Assert.Equal([Path.GetFileName(LogPath)], Directory.GetFiles(temp.File("out")).Select(Path.GetFileName));
    }

    [Fact]
    public void ALineCutShortByACrashIsRemovedBeforeAppending()
    {
        Directory.CreateDirectory(temp.File("out"));
        File.WriteAllText(LogPath, "{\"step\":1,\"loss\":2}\n{\"step\":2,\"lo");
        Assert.Equal([1L], MetricsLog.Read(LogPath).Select(Step));
        using (var log = new MetricsLog(temp.File("out"))) log.LogTraining(2, 1);
        Assert.Equal([1L, 2], MetricsLog.Read(LogPath).Select(Step));
    }

    [Fact]
    public void ReservedNamesAndBadLinesAreForgeExceptions()
    {
        using (var log = new MetricsLog(temp.File("out")))
        {
            Assert.Contains("'step'", Assert.Throws<ForgeException>(() => log.Write(1, [new("step", 2)])).Message, StringComparison.Ordinal);
        }
        File.WriteAllText(LogPath, "{\"step\":1}\n[1, 2]\n");
        var error = Assert.Throws<ForgeException>(() => MetricsLog.Read(LogPath));
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains(LogPath, error.Message, StringComparison.Ordinal);
    }
}
