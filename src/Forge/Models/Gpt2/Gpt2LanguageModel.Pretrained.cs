using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Serialization;
using Forge.Tensors;
using Forge.Tokenizers;

namespace Forge.Models.Gpt2;

public sealed partial class Gpt2LanguageModel
{
    /// <summary>The configuration file of a model directory.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The weights file of a model directory.</summary>
    public const string WeightsFile = "model.safetensors";

    private const string TrunkPrefix = "transformer.";

    /// <summary>
    /// Loads a Hugging Face GPT-2 directory: <c>config.json</c> and <c>model.safetensors</c>, keys with or without the <c>transformer.</c>
    /// prefix, the old <c>attn.bias</c>/<c>attn.masked_bias</c> buffers and a tied <c>lm_head.weight</c> tolerated, F16/BF16 weights
    /// converted to F32. Every other key must match the configuration exactly; anything else is a <see cref="ForgeException"/>.
    /// </summary>
    public static Gpt2LanguageModel FromPretrained(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new ForgeException($"Model directory '{directory}' does not exist.");
        Gpt2Config config = Gpt2Config.FromJson(ReadConfig(directory), Path.Combine(directory, ConfigFile));
        string weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weightsPath))
        {
            throw new ForgeException(File.Exists(Path.Combine(directory, "pytorch_model.bin"))
                ? $"Model directory '{directory}' has pytorch_model.bin but no {WeightsFile}: Forge reads safetensors only (save with safe_serialization=True)."
                : $"Model directory '{directory}' has no {WeightsFile}.");
        }
        var model = new Gpt2LanguageModel(config);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in SafeTensors.Load(weightsPath))
        {
            if (name.EndsWith(".attn.bias", StringComparison.Ordinal) || name.EndsWith(".attn.masked_bias", StringComparison.Ordinal)) continue;
            if (name == "lm_head.weight" && config.TieWordEmbeddings) continue;
            string key = name.StartsWith(TrunkPrefix, StringComparison.Ordinal) || name.StartsWith("lm_head.", StringComparison.Ordinal) ? name : TrunkPrefix + name;
            weights[key] = tensor;
        }
        try
        {
            model.LoadStateDict(weights, strict: true);
        }
        catch (ForgeException e)
        {
            throw new ForgeException($"{weightsPath} does not fit its {ConfigFile}: {e.Message}", e);
        }
        model.Eval();
        return model;
    }

    /// <summary>
    /// Saves the model in Hugging Face's layout: <c>config.json</c> and <c>model.safetensors</c> (keys <c>transformer.*</c>, plus
    /// <c>lm_head.weight</c> when not tied), and the tokenizer's files when given. Each file is written atomically.
    /// </summary>
    public void SavePretrained(string directory, ByteLevelBpeTokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, WeightsFile), StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        byte[] json = Encoding.UTF8.GetBytes(Config.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        string configPath = Path.Combine(directory, ConfigFile), temporary = configPath + ".tmp";
        File.WriteAllBytes(temporary, json);
        File.Move(temporary, configPath, overwrite: true);
        tokenizer?.Save(directory);
    }

    private static JsonObject ReadConfig(string directory)
    {
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
}
