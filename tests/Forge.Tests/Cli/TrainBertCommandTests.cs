using System.Diagnostics;
using Forge.Cli;
using Forge.Models.Bert;
using Forge.Tokenizers;
using Forge.Training.Logging;
using Xunit;

namespace Forge.Tests.Cli;

public sealed class TrainBertCommandTests : IDisposable
{
    private const string Sentences =
        "Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse, and nothing particular " +
        "to interest me on shore, I thought I would sail about a little and see the watery part of the world. It is a way I have of " +
        "driving off the spleen and regulating the circulation.\n\n";

    private static readonly string SmallVocabulary = Path.Combine(AppContext.BaseDirectory, "fixtures", "bert", "hf", "small-vocab");

    private readonly string root = Directory.CreateTempSubdirectory("forge-train-bert-").FullName;
    private readonly string corpus;
    private readonly string config;

    public TrainBertCommandTests()
    {
        corpus = Path.Combine(root, "corpus.txt");
        File.WriteAllText(corpus, string.Concat(Enumerable.Repeat(Sentences, 12)));
        config = Path.Combine(root, "config.json");
        File.WriteAllText(config, """
            {"model_type": "bert", "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32,
             "max_position_embeddings": 64, "vocab_size": 30522}
            """);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string[] Arguments(string output, params string[] extra) =>
    [
        "train", "bert", "--config", config, "--data", corpus, "--tokenizer", SmallVocabulary, "--steps", "12", "--batch", "4", "--seq", "32",
        "--seed", "7", "--save-every", "4", "--eval-every", "6", "--out", output, .. extra,
    ];

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ForgeCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static IReadOnlyList<double> Losses(string output) =>
        [.. MetricsLog.Read(Path.Combine(output, MetricsLog.FileName)).Where(r => r["loss"] is not null).Select(r => (double)r["loss"]!)];

    [Fact]
    public void TheFinalDirectoryLoadsForMaskedLanguageModelingAndClassification()
    {
        string output = Path.Combine(root, "run");
        var (code, stdout, error) = Run(Arguments(output, "--wwm"));
        Assert.True(code == ForgeCli.Success, error);
        Assert.Contains("parameters", stdout, StringComparison.Ordinal);
        Assert.Contains("val_loss", stdout, StringComparison.Ordinal);
        Assert.Contains("Fill-mask sample: the [MASK] of the whale", stdout, StringComparison.Ordinal);
        string final = Path.Combine(output, "final");
        foreach (string file in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(final, file)), file);

        var tokenizer = WordPieceTokenizer.FromDirectory(SmallVocabulary);
        var model = BertForMaskedLM.FromPretrained(final);
        Assert.Empty(model.LoadReport!.NewlyInitialized);
        Assert.Equal(tokenizer.VocabularySize, model.Config.VocabSize);
        Assert.Equal(16, model.Config.HiddenSize);
        var classifier = BertForSequenceClassification.FromPretrained(final);
        Assert.Equal(16, classifier.Config.HiddenSize);
        Assert.Equal(tokenizer.VocabularySize, WordPieceTokenizer.FromDirectory(final).VocabularySize);

        (code, stdout, error) = Run("fill-mask", "--model", final, "--text", "call me [MASK].", "--json");
        Assert.True(code == ForgeCli.Success, error);
        Assert.Equal(5, System.Text.Json.Nodes.JsonNode.Parse(stdout)!.AsArray().Count);
    }

    [Fact]
    public void AKilledRunResumesToTheSameLossesAsAnUninterruptedRun()
    {
        string straight = Path.Combine(root, "straight");
        var (code, _, error) = Run(Arguments(straight, "--nsp"));
        Assert.True(code == ForgeCli.Success, error);
        Assert.Equal(12, Losses(straight).Count);

        string killed = Path.Combine(root, "killed");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Forge.Cli.dll"));
        foreach (string argument in Arguments(killed, "--nsp")) start.ArgumentList.Add(argument);
        using (Process process = Process.Start(start)!)
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            string step4 = Path.Combine(killed, "checkpoints", "step-4");
            var clock = Stopwatch.StartNew();
            while (!Directory.Exists(step4) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(2);
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Assert.InRange(Losses(killed).Count, 4, 11);

        (code, _, error) = Run(Arguments(killed, "--nsp", "--resume"));
        Assert.True(code == ForgeCli.Success, error);
        Assert.Equal(Losses(straight), Losses(killed));
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(straight, "final", "model.safetensors")),
            File.ReadAllBytes(Path.Combine(killed, "final", "model.safetensors")));
    }

    [Fact]
    public void TooLittleDataForABatchAndAValidationBatchIsAClearError()
    {
        File.WriteAllText(corpus, "call me ishmael.");
        var (code, _, error) = Run(Arguments(Path.Combine(root, "small")));
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("too few for a training batch of 4", error, StringComparison.Ordinal);
    }
}
