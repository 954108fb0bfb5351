using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Nn;
using Forge.Serialization;
using Forge.Tensors;

namespace Forge.Models;

/// <summary>Reads and writes Hugging Face model directories: <c>config.json</c> and <c>model.safetensors</c>.</summary>
internal static class PretrainedFiles
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";

    /// <summary>The parsed <c>config.json</c> of <paramref name="directory"/>.</summary>
    public static JsonObject ReadConfig(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new ForgeException($"Model directory '{directory}' does not exist.");
        string path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) throw new ForgeException($"Model directory '{directory}' has no {ConfigFile}.");
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject ?? throw new ForgeException($"{path} must hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ForgeException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// The tensors of <c>model.safetensors</c>, with the old layer-norm names <c>gamma</c>/<c>beta</c> renamed <c>weight</c>/<c>bias</c>
    /// and the position and token-type id buffers (<c>embeddings.position_ids</c>, <c>embeddings.token_type_ids</c>) dropped.
    /// </summary>
    public static Dictionary<string, Tensor> ReadWeights(string directory, out string path)
    {
        path = Path.Combine(directory, WeightsFile);
        if (!File.Exists(path))
        {
            throw new ForgeException(File.Exists(Path.Combine(directory, "pytorch_model.bin"))
                ? $"Model directory '{directory}' has pytorch_model.bin but no {WeightsFile}: Forge reads safetensors only (save with safe_serialization=True)."
                : $"Model directory '{directory}' has no {WeightsFile}.");
        }
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in SafeTensors.Load(path))
        {
            if (name.EndsWith("embeddings.position_ids", StringComparison.Ordinal) || name.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal)) continue;
            string key = name.EndsWith(".gamma", StringComparison.Ordinal) ? name[..^".gamma".Length] + ".weight"
                : name.EndsWith(".beta", StringComparison.Ordinal) ? name[..^".beta".Length] + ".bias"
                : name;
            if (!weights.TryAdd(key, tensor)) throw new ForgeException($"{path} holds '{key}' twice (once under an old gamma/beta name).");
        }
        return weights;
    }

    /// <summary>
    /// Loads <paramref name="weights"/> into <paramref name="model"/>, matching each name as it is, with <paramref name="basePrefix"/>
    /// added (a bare trunk checkpoint loaded into a head) or removed (a head checkpoint loaded into the trunk), as Hugging Face does.
    /// Names of the model that <paramref name="required"/> accepts must all be found; the others keep their initialization and
    /// are reported, as are the file's names the model has no place for.
    /// </summary>
    public static PretrainedLoadReport Load(Module model, Dictionary<string, Tensor> weights, string basePrefix, Func<string, bool> required, string source)
    {
        var expected = new HashSet<string>(model.StateDict().Keys, StringComparer.Ordinal);
        var mapped = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var unused = new List<string>();
        foreach (var (name, tensor) in weights.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            string? key = expected.Contains(name) ? name
                : expected.Contains(basePrefix + name) ? basePrefix + name
                : name.StartsWith(basePrefix, StringComparison.Ordinal) && expected.Contains(name[basePrefix.Length..]) ? name[basePrefix.Length..]
                : null;
            if (key is null || !mapped.TryAdd(key, tensor)) unused.Add(name);
        }
        List<string> missing = [.. model.StateDict().Keys.Where(k => !mapped.ContainsKey(k))];
        List<string> missingRequired = [.. missing.Where(required)];
        if (missingRequired.Count > 0)
            throw new ForgeException($"{source} does not hold the model's weights: {missingRequired.Count} of them are missing ({string.Join(", ", missingRequired.Take(8))}{(missingRequired.Count > 8 ? ", ..." : "")}).");
        try
        {
            model.LoadStateDict(mapped, strict: false);
        }
        catch (ForgeException e)
        {
            throw new ForgeException($"{source} does not fit its {ConfigFile}: {e.Message}", e);
        }
        return new PretrainedLoadReport(missing, unused);
    }

    /// <summary>Writes <c>model.safetensors</c> (the state dict) and <c>config.json</c> into <paramref name="directory"/>, each atomically.</summary>
    public static void Save(string directory, Module model, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, WeightsFile), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        byte[] json = Encoding.UTF8.GetBytes(config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        string configPath = Path.Combine(directory, ConfigFile), temporary = configPath + ".tmp";
        File.WriteAllBytes(temporary, json);
        File.Move(temporary, configPath, overwrite: true);
    }
}
