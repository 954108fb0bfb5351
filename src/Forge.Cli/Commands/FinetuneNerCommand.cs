using System.CommandLine;
using System.Text.Json.Nodes;
using Forge.Cli.FineTuning;
using Forge.Data;
using Forge.Metrics;
using Forge.Tensors;
using Forge.Tokenizers;
using Forge.Training;
using Forge.Training.Logging;

namespace Forge.Cli.Commands;

/// <summary>
/// <c>forge finetune ner</c>: fine-tunes a BERT or DistilBERT directory for named-entity recognition on CoNLL files: each word's label
/// goes to its first word piece, the best epoch is picked by entity-level F1, and the seqeval-style report is printed at the end.
/// </summary>
internal sealed class FinetuneNerCommand : CliCommand
{
    private readonly Option<DirectoryInfo> model = new("--model") { Description = "A BERT or DistilBERT Hugging Face directory (config.json, model.safetensors, tokenizer files).", Required = true };
    private readonly Option<FileInfo> data = new("--data") { Description = "Training sentences in CoNLL format (token first, BIO tag last, blank line between sentences).", Required = true };
    private readonly Option<FileInfo?> dev = new("--dev") { Description = "Validation sentences (CoNLL); without it 15% of --data is held out." };
    private readonly Option<FileInfo?> test = new("--test") { Description = "Test sentences (CoNLL) for the final report." };
    private readonly Option<DirectoryInfo> output = new("--out") { Description = "Output directory (metrics, checkpoints/, test_metrics.json, final/).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("runs", "ner")) };
    private readonly Option<int> epochs = new("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 3 };
    private readonly Option<int> batch = new("--batch") { Description = "Sentences per batch.", DefaultValueFactory = _ => 16 };
    private readonly Option<double> learningRate = new("--lr") { Description = "Peak learning rate of AdamW (linear warmup and decay).", DefaultValueFactory = _ => 5e-5 };
    private readonly Option<double> weightDecay = new("--weight-decay") { Description = "AdamW weight decay (not on biases and norms).", DefaultValueFactory = _ => 0.01 };
    private readonly Option<double> warmupRatio = new("--warmup-ratio") { Description = "Fraction of the steps of linear warmup.", DefaultValueFactory = _ => 0.1 };
    private readonly Option<int> maxLength = new("--max-length") { Description = "Word pieces per sentence after truncation, [CLS] and [SEP] included.", DefaultValueFactory = _ => 128 };
    private readonly Option<int> patience = new("--patience") { Description = "Stop after this many epochs without a better entity F1 (0: never).", DefaultValueFactory = _ => 2 };
    private readonly Option<bool> fromScratch = new("--from-scratch")
    {
        Description = "Ignore --model's weights: start from random weights with its config.json's architecture (the baseline that shows what pretraining brings).",
    };

    private readonly Option<int> seed = new("--seed") { Description = "Seed of the held-out split, the head's initial weights, dropout and data order.", DefaultValueFactory = _ => 42 };
    private readonly Option<double?> maxMinutes = new("--max-minutes") { Description = "Stop cleanly after this many minutes." };
    private readonly Option<bool> resume = new("--resume") { Description = "Continue exactly from the latest checkpoint in --out." };

    public FinetuneNerCommand() : base("finetune ner", "Fine-tune a BERT or DistilBERT model for named-entity recognition on CoNLL data.")
    {
        OptionRules.AtLeast(1, epochs, batch);
        OptionRules.AtLeast(3, maxLength);
        OptionRules.AtLeast(0, patience);
        OptionRules.Positive(learningRate);
        OptionRules.NonNegative(weightDecay);
        OptionRules.Fraction(warmupRatio);
        OptionRules.Positive(maxMinutes);
    }

    protected override IEnumerable<Option> Options =>
        [model, data, dev, test, output, epochs, batch, learningRate, weightDecay, warmupRatio, maxLength, patience, fromScratch, seed, maxMinutes, resume];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        TextWriter o = context.Output;
        string outDirectory = p.GetRequiredValue(output).FullName;
        string modelDirectory = p.GetRequiredValue(model).FullName;
        bool resuming = p.GetValue(resume);
        int runSeed = p.GetValue(seed);
        int batchSize = p.GetValue(batch);
        if (!resuming) RunDirectory.ArchivePrevious(outDirectory, [FineTuningRun.FinalFolder, FineTuningRun.TestMetricsFile], o);

        ConllDataset trainSet = LoadConll(p.GetRequiredValue(data));
        IReadOnlyList<TaggedSentence> trainSentences = trainSet.Sentences;
        IReadOnlyList<TaggedSentence> validationSentences;
        if (p.GetValue(dev) is FileInfo devFile)
        {
            validationSentences = LoadConll(devFile).Sentences;
        }
        else
        {
            int[] order = [.. Enumerable.Range(0, trainSentences.Count)];
            new Generator((ulong)runSeed).Shuffle(order);
            int held = (int)Math.Round(trainSentences.Count * 0.15, MidpointRounding.AwayFromZero);
            if (held == 0 || held == trainSentences.Count)
                throw new ForgeException($"{trainSentences.Count} sentences cannot be split into training and validation; give more or pass --dev.");
            var heldOut = order[..held].ToHashSet();
            validationSentences = [.. Enumerable.Range(0, trainSentences.Count).Where(heldOut.Contains).Select(i => trainSentences[i])];
            trainSentences = [.. Enumerable.Range(0, trainSentences.Count).Where(i => !heldOut.Contains(i)).Select(i => trainSentences[i])];
        }
        IReadOnlyList<TaggedSentence>? testSentences = p.GetValue(test) is FileInfo testFile ? LoadConll(testFile).Sentences : null;
        o.WriteLine($"Data: {trainSentences.Count:N0} training, {validationSentences.Count:N0} validation and {testSentences?.Count ?? 0:N0} test sentences, " +
            $"tags [{string.Join(", ", trainSet.Tags)}].");

        EncoderModel tagger = EncoderModel.Load(modelDirectory, EncoderTask.TokenClassification, trainSet.Tags, p.GetValue(fromScratch) ? (ulong)runSeed : null);
        if (p.GetValue(fromScratch)) o.WriteLine($"Random initial weights (--from-scratch, seed {runSeed}) with the architecture of {Path.Combine(modelDirectory, "config.json")}.");
        else FineTuningRun.PrintLoadReport(tagger, modelDirectory, o);
        o.WriteLine($"Model: {tagger.Describe()}.");
        WordPieceTokenizer tokenizer = EncoderModel.LoadTokenizer(modelDirectory);
        int pad = tokenizer.PadTokenId ?? throw new ForgeException($"The tokenizer of '{modelDirectory}' has no [PAD] token.");
        int limit = Math.Min(p.GetValue(maxLength), tagger.MaxPositions);
        List<EncodedExample> Encode(IReadOnlyList<TaggedSentence> sentences) => [.. sentences.Select(s => EncodeSentence(s, trainSet, tokenizer, limit))];
        List<EncodedExample> trainExamples = Encode(trainSentences);
        List<EncodedExample> validationExamples = Encode(validationSentences);

        var settings = new FineTuningSettings(outDirectory, p.GetValue(epochs), batchSize, pad, runSeed, p.GetValue(learningRate),
            p.GetValue(warmupRatio), p.GetValue(weightDecay), p.GetValue(patience), p.GetValue(maxMinutes), resuming);
        string bestMetric = "f1";
        Trainer<LabeledBatch> trainer = FineTuningRun.CreateTrainer(tagger, trainExamples, settings, bestMetric, () =>
        {
            var (report, accuracy, loss) = Score(tagger, validationExamples, batchSize, pad);
            return new Dictionary<string, double>
            {
                ["loss"] = loss, ["precision"] = report.MicroAverage.Precision, ["recall"] = report.MicroAverage.Recall,
                ["f1"] = report.MicroAverage.FScore, ["accuracy"] = accuracy,
            };
        }, o);
        TrainingSummary summary = trainer.Train();
        FineTuningRun.LoadBest(tagger.Module, summary, bestMetric, o);

        var (finalReport, finalAccuracy, finalLoss) = Score(tagger, Encode(testSentences ?? validationSentences), batchSize, pad);
        string part = testSentences is null ? "Validation" : "Test";
        o.WriteLine();
        o.WriteLine($"{part} ({(testSentences ?? validationSentences).Count:N0} sentences): entity precision {finalReport.MicroAverage.Precision:0.0000}, " +
            $"recall {finalReport.MicroAverage.Recall:0.0000}, F1 {finalReport.MicroAverage.FScore:0.0000}, token accuracy {finalAccuracy:0.0000}");
        o.WriteLine(finalReport.ToText(4));
        if (testSentences is not null)
        {
            FineTuningRun.WriteJson(Path.Combine(outDirectory, FineTuningRun.TestMetricsFile), new JsonObject
            {
                ["best_checkpoint"] = summary.BestCheckpoint, ["steps"] = summary.Step, ["sentences"] = testSentences.Count, ["loss"] = finalLoss,
                ["precision"] = finalReport.MicroAverage.Precision, ["recall"] = finalReport.MicroAverage.Recall, ["f1"] = finalReport.MicroAverage.FScore,
                ["accuracy"] = finalAccuracy, ["report"] = FineTuningRun.ToJson(finalReport.Types, finalReport.PerType),
            });
        }
        string final = Path.Combine(outDirectory, FineTuningRun.FinalFolder);
        tagger.SavePretrained(final);
        tokenizer.Save(final);
        o.WriteLine($"Saved the model to {final}.");
        return ForgeCli.Success;
    }

    private static ConllDataset LoadConll(FileInfo file) =>
        file.Exists ? ConllDataset.Load(file.FullName) : throw new ForgeException($"CoNLL file '{file.FullName}' does not exist.");

    /// <summary>
    /// A sentence as word pieces: each word tokenized on its own ([UNK] when it gives no piece), the pieces concatenated between [CLS]
    /// and [SEP] and cut to <paramref name="maxLength"/>; the first piece of each word carries the word's tag id, every other −100.
    /// </summary>
    private static EncodedExample EncodeSentence(TaggedSentence sentence, ConllDataset tagSet, WordPieceTokenizer tokenizer, int maxLength)
    {
        int cls = tokenizer.ClsTokenId ?? throw new ForgeException("The tokenizer has no [CLS] token.");
        int sep = tokenizer.SepTokenId ?? throw new ForgeException("The tokenizer has no [SEP] token.");
        var noSpecials = new EncodeOptions { AddSpecialTokens = false };
        var ids = new List<int> { cls };
        var wordIds = new List<int?> { null };
        for (int w = 0; w < sentence.Tokens.Count && ids.Count < maxLength - 1; w++)
        {
            int[] pieces = tokenizer.Encode(sentence.Tokens[w], null, noSpecials).InputIds;
            if (pieces.Length == 0) pieces = [tokenizer.UnknownTokenId];
            foreach (int piece in pieces.Take(maxLength - 1 - ids.Count))
            {
                ids.Add(piece);
                wordIds.Add(w);
            }
        }
        ids.Add(sep);
        wordIds.Add(null);
        int[] labels = LabeledBatch.AlignLabels(wordIds, [.. sentence.Tags.Select(tagSet.TagId)]);
        return new EncodedExample([.. ids], new int[ids.Count], labels);
    }

    /// <summary>Entity-level scores and token accuracy over the words that kept their first piece, and the mean loss.</summary>
    private static (EntityReport Report, double Accuracy, double Loss) Score(EncoderModel tagger, List<EncodedExample> examples, int batchSize, int pad)
    {
        EncoderPass pass = EncoderEvaluation.Run(tagger, examples, batchSize, pad);
        int labels = tagger.Labels.Count;
        var truth = new List<IReadOnlyList<string>>(examples.Count);
        var predicted = new List<IReadOnlyList<string>>(examples.Count);
        for (int e = 0; e < examples.Count; e++)
        {
            int[] gold = examples[e].Labels;
            var t = new List<string>();
            var q = new List<string>();
            for (int i = 0; i < gold.Length; i++)
            {
                if (gold[i] == LanguageModelMasker.IgnoreIndex) continue;
                t.Add(tagger.Labels[gold[i]]);
                q.Add(tagger.Labels[EncoderEvaluation.ArgMax(pass.Logits[e], i * labels, labels)]);
            }
            truth.Add(t);
            predicted.Add(q);
        }
        return (EntityMetrics.Evaluate(truth, predicted), EntityMetrics.TokenAccuracy(truth, predicted), pass.Loss);
    }
}
