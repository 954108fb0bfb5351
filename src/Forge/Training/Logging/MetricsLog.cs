using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Serialization;

namespace Forge.Training.Logging;

/// <summary>
/// Appends one JSON object per line to <c>metrics.jsonl</c> in a run's output directory, flushed as each line is written:
/// training lines <c>{"step", "time", "loss", "lr", "tokens_per_sec"}</c>, validation lines <c>{"step", "time", "val_loss"}</c>,
/// or any other named values. <c>time</c> is the wall-clock time in Unix seconds. Non-finite values are written as the strings
/// <c>"NaN"</c>, <c>"Infinity"</c> and <c>"-Infinity"</c>. An existing log is continued, never overwritten.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    /// <summary>The log's file name.</summary>
    public const string FileName = "metrics.jsonl";

    private readonly FileStream stream;
    private readonly ArrayBufferWriter<byte> line = new();

    /// <summary>Opens (or creates) <c>outputDirectory/metrics.jsonl</c> for appending.</summary>
    /// <param name="outputDirectory">The run's output directory (created if needed).</param>
    /// <param name="resumeStep">
    /// When resuming from a checkpoint, its step: lines of later steps, which the resumed run will log again, are removed first, so
    /// the log holds one record per step as if the run had not been interrupted.
    /// </param>
    /// <remarks>A last line cut short by a crash (no newline) is removed before appending.</remarks>
    public MetricsLog(string outputDirectory, long? resumeStep = null)
    {
        ArgumentNullException.ThrowIfNull(outputDirectory);
        Directory.CreateDirectory(outputDirectory);
        FilePath = Path.Combine(Path.GetFullPath(outputDirectory), FileName);
        Repair(FilePath, resumeStep);
        stream = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    /// <summary>The log file.</summary>
    public string FilePath { get; }

    /// <summary>Logs a training step: its loss and, when known, the learning rate and throughput.</summary>
    public void LogTraining(long step, double loss, double? learningRate = null, double? tokensPerSecond = null)
    {
        var values = new List<KeyValuePair<string, double>> { new("loss", loss) };
        if (learningRate is double lr) values.Add(new("lr", lr));
        if (tokensPerSecond is double throughput) values.Add(new("tokens_per_sec", throughput));
        Write(step, values);
    }

    /// <summary>Logs an evaluation: the validation loss at <paramref name="step"/>.</summary>
    public void LogValidation(long step, double validationLoss) => Write(step, [new("val_loss", validationLoss)]);

    /// <summary>Logs named values at <paramref name="step"/> as one line, in the order given.</summary>
    public void Write(long step, IEnumerable<KeyValuePair<string, double>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        line.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(line))
        {
            writer.WriteStartObject();
            writer.WriteNumber("step", step);
            writer.WriteNumber("time", Math.Round((DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalSeconds, 3));
            foreach (var (name, value) in values)
            {
                if (name is "step" or "time") throw new ForgeException($"'{name}' is written by the metrics log itself; name the value differently.");
                if (double.IsFinite(value)) writer.WriteNumber(name, value);
                else writer.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
            }
            writer.WriteEndObject();
        }
        line.Write("\n"u8);
        stream.Write(line.WrittenSpan);
        stream.Flush();
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => stream.Dispose();

    /// <summary>
    /// Reads a metrics log: one object per complete line (a last line without a newline, cut short by a crash, is skipped).
    /// Non-finite values come back as the strings they were written as.
    /// </summary>
    public static IReadOnlyList<JsonObject> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgeException($"Cannot read metrics log '{path}': {e.Message}", e);
        }
        string[] lines = text.Split('\n');
        var records = new List<JsonObject>(lines.Length);
        for (int i = 0; i < lines.Length - 1; i++)
        {
            if (lines[i].Length == 0) continue;
            records.Add(ParseLine(lines[i]) ?? throw new ForgeException($"'{path}' line {i + 1}: expected a JSON object with a \"step\", found '{lines[i]}'."));
        }
        return records;
    }

    private static JsonObject? ParseLine(string line)
    {
        try
        {
            return JsonNode.Parse(line) is JsonObject record && record["step"] is JsonValue step && step.TryGetValue(out long _) ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Repair(string path, long? resumeStep)
    {
        if (!File.Exists(path)) return;
        byte[] bytes = File.ReadAllBytes(path);
        int complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (complete == bytes.Length && resumeStep is null) return;

        var kept = new StringBuilder();
        foreach (string existing in Encoding.UTF8.GetString(bytes, 0, complete).Split('\n')[..^1])
        {
            if (resumeStep is long last && ParseLine(existing) is { } record && record["step"]!.GetValue<long>() > last) continue;
            kept.Append(existing).Append('\n');
        }
        byte[] content = Encoding.UTF8.GetBytes(kept.ToString());
        AtomicFile.Write(path, s => s.Write(content));
    }
}
