using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Forge.Cli.FineTuning;
using Forge.Data;
using Forge.Tokenizers;

namespace Forge.Cli.Commands;

/// <summary><c>forge classify</c>: the label and class probabilities a BERT or DistilBERT sequence classifier gives a text or text pair.</summary>
internal sealed class ClassifyCommand : CliCommand
{
    private const int BatchSize = 32;

    private readonly Option<DirectoryInfo> model = new("--model") { Description = "A BERT or DistilBERT sequence-classification directory (config.json, model.safetensors, tokenizer files).", Required = true };
    private readonly Option<string?> text = new("--text") { Description = "The text to classify." };
    private readonly Option<FileInfo?> textFile = new("--text-file") { Description = "Texts to classify, one per line." };
    private readonly Option<string?> textPair = new("--text-pair") { Description = "A second text paired with every text (sentence-pair tasks)." };
    private readonly Option<bool> json = new("--json") { Description = "Print {\"label\": ..., \"probabilities\": [...]} (a list of them for --text-file)." };

    public ClassifyCommand() : base("classify", "Classify texts with a fine-tuned BERT or DistilBERT model: label and class probabilities.") { }

    protected override IEnumerable<Option> Options => [model, text, textFile, textPair, json];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        string directory = p.GetRequiredValue(model).FullName;
        string[] texts = (p.GetValue(text), p.GetValue(textFile)) switch
        {
            (string t, null) => [t],
            (null, FileInfo f) => f.Exists
                ? [.. TextSource.ReadTextFile(f.FullName).ReplaceLineEndings("\n").Split('\n').Where(l => l.Length > 0)]
                : throw new ForgeException($"Text file '{f.FullName}' does not exist."),
            _ => throw new ForgeException("Give exactly one of --text and --text-file."),
        };
        EncoderModel classifier = EncoderModel.Load(directory, EncoderTask.SequenceClassification);
        string? problemType = EncoderModel.ReadConfig(directory)["problem_type"] is JsonValue value && value.TryGetValue(out string? problem) ? problem : null;
        WordPieceTokenizer tokenizer = EncoderModel.LoadTokenizer(directory);
        int pad = tokenizer.PadTokenId ?? throw new ForgeException($"The tokenizer of '{directory}' has no [PAD] token.");
        var options = new EncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = classifier.MaxPositions };
        string? pair = p.GetValue(textPair);
        EncodedExample[] examples = [.. texts.Select(t =>
        {
            EncodedText encoded = tokenizer.Encode(t, pair, options);
            return new EncodedExample(encoded.InputIds, encoded.TokenTypeIds, [0]);
        })];
        EncoderPass pass = EncoderEvaluation.Run(classifier, examples, BatchSize, pad);
        var results = pass.Logits.Select(l =>
        {
            double[] probabilities = EncoderEvaluation.Scores(l, problemType);
            return (Label: classifier.Labels[EncoderEvaluation.ArgMax(l, 0, l.Length)], Probabilities: probabilities);
        }).ToList();

        TextWriter o = context.Output;
        if (p.GetValue(json))
        {
            JsonObject ToJson((string Label, double[] Probabilities) r) =>
                new() { ["label"] = r.Label, ["probabilities"] = new JsonArray([.. r.Probabilities.Select(v => JsonValue.Create(v))]) };
            o.WriteLine(p.GetValue(textFile) is null ? ToJson(results[0]).ToJsonString() : new JsonArray([.. results.Select(ToJson)]).ToJsonString());
            return ForgeCli.Success;
        }
        foreach (var (label, probabilities) in results)
        {
            o.WriteLine(label + "\t" + string.Join(" ", probabilities.Select((v, i) =>
                $"{classifier.Labels[i]}={v.ToString("0.0000", CultureInfo.InvariantCulture)}")));
        }
        return ForgeCli.Success;
    }
}
