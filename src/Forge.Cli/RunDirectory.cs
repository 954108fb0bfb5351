using System.Globalization;
using Forge.Training.Logging;

namespace Forge.Cli;

/// <summary>The output directory of a training command.</summary>
internal static class RunDirectory
{
    /// <summary>
    /// Moves an earlier run's files out of the way (into <c>OUT/previous/&lt;time&gt;</c>) so a fresh run starts clean and nothing is
    /// lost: the metrics log, checkpoints, loss chart and TensorBoard events, and the command's own <paramref name="entries"/>.
    /// </summary>
    public static void ArchivePrevious(string outDirectory, IReadOnlyCollection<string> entries, TextWriter o)
    {
        if (!Directory.Exists(outDirectory)) return;
        string[] previous = [.. Directory.EnumerateFileSystemEntries(outDirectory)
            .Where(e => Path.GetFileName(e) is MetricsLog.FileName or "checkpoints" or "loss.png" || entries.Contains(Path.GetFileName(e))
                || Path.GetFileName(e).StartsWith("events.out.tfevents.", StringComparison.Ordinal))];
        if (previous.Length == 0) return;
        string archive = Path.Combine(outDirectory, "previous", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(archive);
        foreach (string entry in previous)
        {
            string target = Path.Combine(archive, Path.GetFileName(entry));
            if (Directory.Exists(entry)) Directory.Move(entry, target);
            else File.Move(entry, target);
        }
        o.WriteLine($"{outDirectory} held an earlier run: moved it to {archive} (use --resume to continue a run).");
    }
}
