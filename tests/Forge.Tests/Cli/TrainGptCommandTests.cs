using System.Diagnostics;
using System.Text;
using Forge.Cli;
using Forge.Models.Gpt2;
using Forge.Training.Logging;
using Xunit;

namespace Forge.Tests.Cli;

public sealed class TrainGptCommandTests : IDisposable
{
    private const string Sentences =
        "Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse, and nothing particular " +
        "to interest me on shore, I thought I would sail about a little and see the watery part of the world. It is a way I have of " +
        "driving off the spleen and regulating the circulation. Whenever I find myself growing grim about the mouth, I account it high " +
        "time to get to sea as soon as I can.\n";

    private readonly string root = Directory.CreateTempSubdirectory("forge-train-gpt-").FullName;
    private readonly string corpus;

    public TrainGptCommandTests()
    {
        corpus = Path.Combine(root, "corpus.txt");
        File.WriteAllText(corpus, string.Concat(Enumerable.Repeat(Sentences, 40)));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string[] Arguments(string output, params string[] extra) =>
    [
        "train", "gpt", "--preset", "gpt-micro", "--data", corpus, "--vocab-size", "300", "--steps", "30", "--batch", "8", "--seq", "64",
        "--seed", "7", "--save-every", "5", "--eval-every", "0", "--sample-tokens", "0", "--out", output, .. extra,
    ];

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ForgeCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static IReadOnlyList<double> Losses(string output) =>
        [.. MetricsLog.Read(Path.Combine(output, MetricsLog.FileName)).Select(r => (double)r["loss"]!)];

    [Fact]
    public void AKilledRunResumesToTheSameLossesAsAnUninterruptedRun()
    {
        string straight = Path.Combine(root, "straight");
        var (code, _, error) = Run(Arguments(straight));
        Assert.True(code == ForgeCli.Success, error);
        Assert.Equal(30, Losses(straight).Count);

        string killed = Path.Combine(root, "killed");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Forge.Cli.dll"));
        foreach (string argument in Arguments(killed)) start.ArgumentList.Add(argument);
        using (Process process = Process.Start(start)!)
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            string step10 = Path.Combine(killed, "checkpoints", "step-10");
            var clock = Stopwatch.StartNew();
            while (!Directory.Exists(step10) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(5);
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        int logged = Losses(killed).Count;
        Assert.InRange(logged, 10, 29);

        (code, _, error) = Run(Arguments(killed, "--resume"));
        Assert.True(code == ForgeCli.Success, error);
        Assert.Equal(Losses(straight), Losses(killed));
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(straight, "final", Gpt2LanguageModel.WeightsFile)),
            File.ReadAllBytes(Path.Combine(killed, "final", Gpt2LanguageModel.WeightsFile)));
    }

    [Fact]
    public void EagerStepsTrainTheSameWeightsAsTheDefaultReplayedStepGraph()
    {
        string[] Short(string output, params string[] extra)
        {
            string[] args = Arguments(output, extra);
            args[Array.IndexOf(args, "--steps") + 1] = "6";
            return args;
        }
        string graphed = Path.Combine(root, "graphed"), eager = Path.Combine(root, "eager");
        var (code, stdout, error) = Run(Short(graphed));
        Assert.True(code == ForgeCli.Success, error);
        Assert.Contains("Captured the training step", stdout, StringComparison.Ordinal);
        (code, stdout, error) = Run(Short(eager, "--eager"));
        Assert.True(code == ForgeCli.Success, error);
        Assert.DoesNotContain("Captured", stdout, StringComparison.Ordinal);
        Assert.Equal(Losses(eager), Losses(graphed));
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(eager, "final", Gpt2LanguageModel.WeightsFile)),
            File.ReadAllBytes(Path.Combine(graphed, "final", Gpt2LanguageModel.WeightsFile)));
    }

    [Fact]
    public void TheFinalModelLoadsForGenerationAndPerplexity()
    {
        string output = Path.Combine(root, "run");
        string[] args = Arguments(output);
        args[Array.IndexOf(args, "--sample-tokens") + 1] = "10";
        var (code, stdout, error) = Run(args);
        Assert.True(code == ForgeCli.Success, error);
        Assert.Contains("Sample:", stdout, StringComparison.Ordinal);
        Assert.Contains("parameters", stdout, StringComparison.Ordinal);
        Assert.Contains("Captured the training step", stdout, StringComparison.Ordinal);
        string final = Path.Combine(output, "final");
        foreach (string file in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer.json" })
            Assert.True(File.Exists(Path.Combine(final, file)), file);

        (code, stdout, error) = Run("generate", "--model", final, "--prompt", "Call me", "--strategy", "greedy", "--max-new-tokens", "5");
        Assert.True(code == ForgeCli.Success, error);
        Assert.StartsWith("Call me", stdout, StringComparison.Ordinal);

        string text = Path.Combine(root, "held-out.txt");
        File.WriteAllText(text, Sentences);
        (code, stdout, error) = Run("perplexity", "--model", final, "--text-file", text, "--json");
        Assert.True(code == ForgeCli.Success, error);
        var json = System.Text.Json.Nodes.JsonNode.Parse(stdout)!;
        Assert.True((double)json["loss"]! > 0);
        Assert.Equal(Math.Exp((double)json["loss"]!), (double)json["perplexity"]!, 1e-9);
    }

    [Fact]
    public void ResumingWithAnotherModelIsAnErrorThatKeepsTheRun()
    {
        string output = Path.Combine(root, "resume-other");
        string[] args = Arguments(output);
        args[Array.IndexOf(args, "--steps") + 1] = "5";
        Assert.Equal(ForgeCli.Success, Run(args).Code);
        byte[] metrics = File.ReadAllBytes(Path.Combine(output, MetricsLog.FileName));
        string[] other = [.. args, "--resume"];
        other[Array.IndexOf(other, "--preset") + 1] = "gpt-nano";
        var (code, _, error) = Run(other);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("step-5", error, StringComparison.Ordinal);
        Assert.Equal(metrics, File.ReadAllBytes(Path.Combine(output, MetricsLog.FileName)));
        Assert.True(Forge.Serialization.Checkpoint.IsComplete(Path.Combine(output, "checkpoints", "step-5")));
    }

    [Fact]
    public void APromptLongerThanTheContextIsAnError()
    {
        string output = Path.Combine(root, "short-context");
        string[] args = Arguments(output);
        args[Array.IndexOf(args, "--steps") + 1] = "1";
        Assert.Equal(ForgeCli.Success, Run(args).Code);
        string prompt = string.Concat(Enumerable.Repeat("whale ", 300));
        var (code, _, error) = Run("generate", "--model", Path.Combine(output, "final"), "--prompt", prompt);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("but the model's context holds 128", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AFreshRunMovesAnEarlierRunAsideInsteadOfMixingWithIt()
    {
        string output = Path.Combine(root, "twice");
        string[] args = Arguments(output);
        args[Array.IndexOf(args, "--steps") + 1] = "3";
        Assert.Equal(ForgeCli.Success, Run(args).Code);
        var (code, stdout, _) = Run(args);
        Assert.Equal(ForgeCli.Success, code);
        Assert.Contains("moved it to", stdout, StringComparison.Ordinal);
        Assert.Equal(3, Losses(output).Count);
        string previous = Assert.Single(Directory.GetDirectories(Path.Combine(output, "previous")));
        Assert.Equal(3, Losses(previous).Count);
    }

    [Theory]
    [InlineData("--preset", "gpt-9000", "Unknown GPT preset 'gpt-9000'")]
    [InlineData("--seq", "1000", "exceeds the model's context of 128")]
    public void BadArgumentsAreOneLineErrors(string option, string value, string message)
    {
        string[] args = Arguments(Path.Combine(root, "bad"));
        args[Array.IndexOf(args, option) + 1] = value;
        var (code, _, error) = Run(args);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyOrNonUtf8DataIsAnError()
    {
        string empty = Path.Combine(root, "empty.txt");
        File.WriteAllText(empty, "");
        string[] args = Arguments(Path.Combine(root, "bad"));
        args[Array.IndexOf(args, "--data") + 1] = empty;
        var (code, _, error) = Run(args);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("is empty", error, StringComparison.Ordinal);

        string latin1 = Path.Combine(root, "latin1.txt");
        File.WriteAllBytes(latin1, Encoding.Latin1.GetBytes("café au lait"));
        args[Array.IndexOf(args, "--data") + 1] = latin1;
        (code, _, error) = Run(args);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("not valid UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void GenerateAndPerplexityRejectAMissingOrCorruptModel()
    {
        var (code, _, error) = Run("generate", "--model", Path.Combine(root, "none"), "--prompt", "x");
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        string corrupt = Directory.CreateDirectory(Path.Combine(root, "corrupt")).FullName;
        File.WriteAllText(Path.Combine(corrupt, "config.json"), "{}");
        File.WriteAllText(Path.Combine(corrupt, "model.safetensors"), "not a safetensors file");
        File.WriteAllText(Path.Combine(root, "t.txt"), "hello");
        (code, _, error) = Run("perplexity", "--model", corrupt, "--text-file", Path.Combine(root, "t.txt"));
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("model.safetensors", error, StringComparison.Ordinal);
    }
}
