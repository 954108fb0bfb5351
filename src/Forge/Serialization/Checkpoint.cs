using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Tensors;

namespace Forge.Serialization;

/// <summary>
/// Training checkpoints: a directory holding <c>model.safetensors</c> (weights), <c>optimizer.safetensors</c> (optimizer tensors,
/// optional) and <c>state.json</c> (everything else: step, optimizer scalars, scheduler and RNG state, data position).
/// <para>
/// Saving is crash-safe. Everything is written into a sibling <c>&lt;dir&gt;.tmp-&lt;random&gt;</c> directory, each file flushed to disk,
/// <c>state.json</c> last (its presence marks the checkpoint complete); then an existing <c>&lt;dir&gt;</c> is renamed to
/// <c>&lt;dir&gt;.old-&lt;random&gt;</c>, the new directory is renamed into place, and the old one is deleted. A kill at any moment leaves
/// a complete checkpoint: at <c>&lt;dir&gt;</c>, or, between the two renames, in the sibling directories, which <see cref="Load"/> falls back to.
/// Files are flushed to disk before the renames; the directory entries themselves are not (.NET has no directory fsync), so after a
/// power loss the renames may be undone, which still leaves the old or the new checkpoint complete.
/// </para>
/// </summary>
public static class Checkpoint
{
    /// <summary>File name of the weights.</summary>
    public const string ModelFile = "model.safetensors";

    /// <summary>File name of the optimizer tensors.</summary>
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>File name of the JSON state, written last.</summary>
    public const string StateFile = "state.json";

    private const string StepPrefix = "step-";
    private const string TemporaryInfix = ".tmp-";
    private const string OldInfix = ".old-";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The conventional directory of the checkpoint at <paramref name="step"/>: <c>root/step-{step}</c>.</summary>
    public static string StepDirectory(string checkpointsRoot, long step)
    {
        ArgumentNullException.ThrowIfNull(checkpointsRoot);
        if (step < 0) throw new ForgeException($"Checkpoint steps must be non-negative, found {step}.");
        return Path.Combine(checkpointsRoot, StepPrefix + step.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Writes a checkpoint into <paramref name="directory"/>, replacing any checkpoint there atomically (see the class remarks).</summary>
    public static void Save(string directory, IReadOnlyDictionary<string, Tensor> weights, JsonObject state, IReadOnlyDictionary<string, Tensor>? optimizerTensors = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(state);
        string target = Normalize(directory);
        string temporary = target + TemporaryInfix + AtomicFile.RandomSuffix();
        byte[] stateBytes = Encoding.UTF8.GetBytes(state.ToJsonString(Indented));
        try
        {
            Directory.CreateDirectory(temporary);
            SafeTensors.Save(Path.Combine(temporary, ModelFile), weights);
            if (optimizerTensors is not null) SafeTensors.Save(Path.Combine(temporary, OptimizerFile), optimizerTensors);
            AtomicFile.Write(Path.Combine(temporary, StateFile), stream => stream.Write(stateBytes));
            Publish(temporary, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ForgeException)
        {
            TryDeleteDirectory(temporary);
            if (e is ForgeException) throw;
            throw new ForgeException($"Cannot save checkpoint '{target}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the checkpoint in <paramref name="directory"/> (tensors are copied into memory Forge owns). When the directory is missing
    /// because a save was interrupted between its two renames, reads the complete checkpoint that save left beside it.
    /// </summary>
    public static CheckpointData Load(string directory)
    {
        string target = Normalize(directory);
        string source = IsComplete(target) ? target
            : Recover(target) ?? throw new ForgeException(Directory.Exists(target)
                ? $"Checkpoint '{target}' is incomplete: it has no {ModelFile} or no {StateFile}."
                : $"Checkpoint '{target}' does not exist.");

        Dictionary<string, Tensor> weights = SafeTensors.Load(Path.Combine(source, ModelFile));
        string optimizerPath = Path.Combine(source, OptimizerFile);
        Dictionary<string, Tensor>? optimizer = File.Exists(optimizerPath) ? SafeTensors.Load(optimizerPath) : null;
        return new CheckpointData(weights, ReadState(Path.Combine(source, StateFile)), optimizer);
    }

    /// <summary>True when <paramref name="directory"/> holds a complete checkpoint (its weights and its state file, which is written last).</summary>
    public static bool IsComplete(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return File.Exists(Path.Combine(directory, StateFile)) && File.Exists(Path.Combine(directory, ModelFile));
    }

    /// <summary>The complete <c>step-{N}</c> directory under <paramref name="checkpointsRoot"/> with the highest N, or null; temporary and incomplete directories are ignored.</summary>
    public static string? FindLatest(string checkpointsRoot) =>
        CompleteSteps(checkpointsRoot).OrderByDescending(s => s.Step).Select(s => s.Path).FirstOrDefault();

    /// <summary>
    /// Deletes the complete <c>step-{N}</c> directories under <paramref name="checkpointsRoot"/> except the <paramref name="keepLast"/> highest
    /// and those named in <paramref name="keep"/> (by directory name or full path, e.g. the best checkpoint). Returns the deleted paths.
    /// </summary>
    public static IReadOnlyList<string> Prune(string checkpointsRoot, int keepLast, IReadOnlySet<string>? keep = null)
    {
        if (keepLast < 0) throw new ForgeException($"Prune keepLast must be non-negative, found {keepLast}.");
        var deleted = new List<string>();
        foreach (var (_, path) in CompleteSteps(checkpointsRoot).OrderByDescending(s => s.Step).Skip(keepLast))
        {
            if (keep is not null && (keep.Contains(Path.GetFileName(path)) || keep.Contains(path))) continue;
            string doomed = path + OldInfix + AtomicFile.RandomSuffix();
            try
            {
                Directory.Move(path, doomed);
                Directory.Delete(doomed, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ForgeException($"Cannot delete checkpoint '{path}': {e.Message}", e);
            }
            deleted.Add(path);
        }
        return deleted;
    }

    private static List<(long Step, string Path)> CompleteSteps(string checkpointsRoot)
    {
        ArgumentNullException.ThrowIfNull(checkpointsRoot);
        string root = Normalize(checkpointsRoot);
        if (!Directory.Exists(root)) return [];
        var result = new List<(long Step, string Path)>();
        foreach (string path in Directory.EnumerateDirectories(root))
        {
            string name = Path.GetFileName(path);
            if (!name.StartsWith(StepPrefix, StringComparison.Ordinal)) continue;
            string digits = name[StepPrefix.Length..];
            if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)) continue;
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long step)) continue;
            if (IsComplete(path)) result.Add((step, path));
        }
        return result;
    }

    /// <summary>Swaps the finished temporary directory into place, keeping the old checkpoint until the new one is there.</summary>
    private static void Publish(string temporary, string target)
    {
        string? old = null;
        if (Directory.Exists(target))
        {
            old = target + OldInfix + AtomicFile.RandomSuffix();
            Directory.Move(target, old);
        }
        try
        {
            Directory.Move(temporary, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (old is not null) Directory.Move(old, target);
            throw;
        }
        if (old is not null) TryDeleteDirectory(old);
    }

    /// <summary>For a missing <paramref name="target"/>: the complete sibling an interrupted save left, preferring the new one.</summary>
    private static string? Recover(string target)
    {
        string? parent = Path.GetDirectoryName(target);
        if (Directory.Exists(target) || parent is null || !Directory.Exists(parent)) return null;
        string name = Path.GetFileName(target);
        string? Newest(string infix) => Directory.EnumerateDirectories(parent, name + infix + "*")
            .Where(IsComplete)
            .OrderByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d, StateFile)))
            .FirstOrDefault();
        return Newest(TemporaryInfix) ?? Newest(OldInfix);
    }

    private static JsonObject ReadState(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject
                ?? throw new ForgeException($"Checkpoint state '{path}' must hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ForgeException($"Checkpoint state '{path}' is not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgeException($"Cannot read checkpoint state '{path}': {e.Message}", e);
        }
    }

    private static string Normalize(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary or old directory is harmless: FindLatest and Load ignore it while the target exists.
        }
    }
}
