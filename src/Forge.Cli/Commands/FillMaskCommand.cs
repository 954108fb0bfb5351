using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Models;
using Forge.Models.Bert;
using Forge.Models.DistilBert;
using Forge.Nn;
using Forge.Tensors;
using Forge.Tokenizers;

namespace Forge.Cli.Commands;

/// <summary>
/// <c>forge fill-mask</c>: the most probable tokens for each [MASK] of a text, with a BERT (<c>BertForMaskedLM</c>,
/// <c>BertForPreTraining</c>) or DistilBERT (<c>DistilBertForMaskedLM</c>) model directory, as Hugging Face's fill-mask pipeline.
/// </summary>
internal sealed class FillMaskCommand : CliCommand
{
    private readonly Option<DirectoryInfo> model = new("--model") { Description = "Model directory (config.json, model.safetensors, tokenizer.json or vocab.txt).", Required = true };
    private readonly Option<string> text = new("--text") { Description = "Text with one or more [MASK] tokens.", Required = true };
    private readonly Option<int> topK = new("--top-k") { Description = "Candidates per mask.", DefaultValueFactory = _ => 5 };
    private readonly Option<bool> json = new("--json") { Description = "Print [{\"token\", \"id\", \"score\", \"sequence\"}, ...] (a list of such lists for several masks)." };

    public FillMaskCommand() : base("fill-mask", "Predict the tokens behind [MASK] with a BERT or DistilBERT masked-language model.")
    {
        topK.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--top-k must be at least 1.");
        });
    }

    protected override IEnumerable<Option> Options => [model, text, topK, json];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        string directory = p.GetRequiredValue(model).FullName;
        if (!Directory.Exists(directory)) throw new ForgeException($"Model directory '{directory}' does not exist.");
        Func<Tensor, Tensor> logits = Load(directory);
        ITokenizer tokenizer = AutoTokenizer.FromDirectory(directory);
        IReadOnlyList<IReadOnlyList<MaskPrediction>> masks = FillMask.Predict(logits, tokenizer, p.GetRequiredValue(text), p.GetValue(topK));
        TextWriter o = context.Output;
        if (p.GetValue(json))
        {
            JsonArray Candidates(IReadOnlyList<MaskPrediction> candidates) => [.. candidates.Select(c =>
                new JsonObject { ["token"] = c.Token, ["id"] = c.Id, ["score"] = c.Score, ["sequence"] = c.Sequence })];
            JsonNode result = masks.Count == 1 ? Candidates(masks[0]) : new JsonArray([.. masks.Select(m => (JsonNode)Candidates(m))]);
            o.WriteLine(result.ToJsonString());
            return ForgeCli.Success;
        }
        for (int m = 0; m < masks.Count; m++)
        {
            if (masks.Count > 1) o.WriteLine($"[MASK] {m + 1}:");
            foreach (MaskPrediction c in masks[m])
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Score,8:0.0000}  {c.Token,-15} {c.Sequence}"));
        }
        return ForgeCli.Success;
    }

    /// <summary>The model of <paramref name="directory"/>, chosen by config.json's model_type and architectures, in evaluation mode.</summary>
    private static Func<Tensor, Tensor> Load(string directory)
    {
        string configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath)) throw new ForgeException($"'{directory}' holds no config.json.");
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllBytes(configPath)) as JsonObject ?? throw new ForgeException($"{configPath} must hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ForgeException($"{configPath} is not valid JSON: {e.Message}", e);
        }
        string? type = config["model_type"]?.GetValue<string>();
        string[] architectures = config["architectures"] is JsonArray a ? [.. a.Select(n => n?.GetValue<string>() ?? "")] : [];
        switch (type)
        {
            case "distilbert":
                var distil = Eval(DistilBertForMaskedLM.FromPretrained(directory));
                return ids => distil.Forward(new DistilBertInput(ids));
            case "bert" when architectures.Contains("BertForPreTraining"):
                var pretraining = Eval(BertForPreTraining.FromPretrained(directory));
                return ids => pretraining.Forward(new BertInput(ids)).PredictionLogits;
            case "bert":
                var maskedLM = Eval(BertForMaskedLM.FromPretrained(directory));
                return ids => maskedLM.Forward(new BertInput(ids));
            default:
                throw new ForgeException($"fill-mask needs a BERT or DistilBERT model; {configPath} has model_type \"{type ?? "(none)"}\".");
        }
    }

    private static T Eval<T>(T module) where T : Module
    {
        module.Eval();
        return module;
    }
}
