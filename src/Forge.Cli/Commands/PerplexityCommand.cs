using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Forge.Data;
using Forge.Generation;
using Forge.Models.Gpt2;
using Forge.Tokenizers;

namespace Forge.Cli.Commands;

/// <summary><c>forge perplexity</c>: the mean next-token loss and perplexity of a model on a text file.</summary>
internal sealed class PerplexityCommand : CliCommand
{
    private readonly Option<DirectoryInfo> model = new("--model") { Description = "Model directory (config.json, model.safetensors and tokenizer files).", Required = true };
    private readonly Option<FileInfo> textFile = new("--text-file") { Description = "UTF-8 text to score.", Required = true };
    private readonly Option<int?> stride = new("--stride") { Description = "Tokens between the starts of context windows on long texts (default: the context length)." };
    private readonly Option<bool> json = new("--json") { Description = "Print {\"loss\": ..., \"perplexity\": ..., \"tokens\": ...}." };

    public PerplexityCommand() : base("perplexity", "Score a text file with a model: mean negative log-likelihood per token and perplexity.") { }

    protected override IEnumerable<Option> Options => [model, textFile, stride, json];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        string directory = p.GetRequiredValue(model).FullName;
        var lm = Gpt2LanguageModel.FromPretrained(directory);
        var tokenizer = ByteLevelBpeTokenizer.FromDirectory(directory);
        int[] tokens = tokenizer.Encode(TextSource.ReadTextFile(p.GetRequiredValue(textFile).FullName));
        PerplexityResult result = Perplexity.Evaluate(lm, tokens, p.GetValue(stride));
        if (p.GetValue(json))
        {
            var output = new JsonObject { ["loss"] = result.Loss, ["perplexity"] = result.Perplexity, ["tokens"] = result.Tokens };
            context.Output.WriteLine(output.ToJsonString());
        }
        else
        {
            var c = CultureInfo.InvariantCulture;
            context.Output.WriteLine($"loss {result.Loss.ToString("0.000000", c)} nats/token, perplexity {result.Perplexity.ToString("0.000", c)} over {result.Tokens} tokens");
        }
        return ForgeCli.Success;
    }
}
