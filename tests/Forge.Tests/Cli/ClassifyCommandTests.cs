using System.Text.Json.Nodes;
using Forge.Cli;
using Xunit;

namespace Forge.Tests.Cli;

public sealed class ClassifyCommandTests
{
    private static string ModelDirectory(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "bert", "hf", "models", name);

    private static JsonArray Cases(string name) => (JsonArray)JsonNode.Parse(File.ReadAllText(Path.Combine(ModelDirectory(name), "expected.json")))!["classify"]!;

    private static void AssertMatches(string name, JsonNode expected, JsonNode actual)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(ModelDirectory(name), "config.json")))!;
        double[] want = [.. expected["probabilities"]!.AsArray().Select(v => (double)v!)];
        double[] got = [.. actual["probabilities"]!.AsArray().Select(v => (double)v!)];
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * Math.Abs(want[i]), $"{name} class {i}: {got[i]} vs {want[i]}");
        int argMax = Array.IndexOf(want, want.Max());
        Assert.Equal((string)config["id2label"]![argMax.ToString(System.Globalization.CultureInfo.InvariantCulture)]!, (string)actual["label"]!);
    }

    [Theory]
    [InlineData("bert-classify")]
    [InlineData("distilbert-classify")]
    public void ProbabilitiesMatchTransformersForTextsAndPairs(string name)
    {
        foreach (JsonNode? item in Cases(name))
        {
            List<string> args = ["classify", "--model", ModelDirectory(name), "--text", (string)item!["text"]!, "--json"];
            if (item["text_pair"] is JsonNode pair) args.AddRange(["--text-pair", (string)pair!]);
            var (code, stdout, error) = FinetuneCommandTests.Run([.. args]);
            Assert.True(code == ForgeCli.Success, error);
            AssertMatches(name, item, JsonNode.Parse(stdout)!);
        }
    }

    [Fact]
    public void AMultiLabelModelReportsSigmoidsAsTheTextClassificationPipelineDoes()
    {
        string directory = Directory.CreateTempSubdirectory("forge-multilabel-").FullName;
        try
        {
            foreach (string file in Directory.GetFiles(ModelDirectory("bert-classify"))) File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "config.json")))!;
            config["problem_type"] = "multi_label_classification";
            File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
            JsonNode item = Cases("bert-classify")[0]!;
            var (code, stdout, error) = FinetuneCommandTests.Run("classify", "--model", directory, "--text", (string)item["text"]!, "--json");
            Assert.True(code == ForgeCli.Success, error);
            double[] got = [.. JsonNode.Parse(stdout)!["probabilities"]!.AsArray().Select(v => (double)v!)];
            double[] want = [.. item["logits"]!.AsArray().Select(v => 1 / (1 + Math.Exp(-(double)v!)))];
            Assert.Equal(want.Length, got.Length);
            for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * want[i], $"class {i}: {got[i]} vs {want[i]}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ATextFileGivesAListInLineOrderAndPlainTextNamesTheLabel()
    {
        const string name = "distilbert-classify";
        JsonNode[] singles = [.. Cases(name).Where(c => c!["text_pair"] is null).Select(c => c!)];
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, singles.Select(c => (string)c["text"]!));
            var (code, stdout, error) = FinetuneCommandTests.Run("classify", "--model", ModelDirectory(name), "--text-file", file, "--json");
            Assert.True(code == ForgeCli.Success, error);
            JsonArray results = JsonNode.Parse(stdout)!.AsArray();
            Assert.Equal(singles.Length, results.Count);
            for (int i = 0; i < singles.Length; i++) AssertMatches(name, singles[i], results[i]!);

            (code, stdout, error) = FinetuneCommandTests.Run("classify", "--model", ModelDirectory(name), "--text-file", file);
            Assert.True(code == ForgeCli.Success, error);
            string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(singles.Length, lines.Length);
            Assert.All(lines, l => Assert.Equal(l.Split('\t')[0], (string)results[Array.IndexOf(lines, l)]!["label"]!));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void BothOrNeitherTextOptionIsOneError()
    {
        var (code, _, error) = FinetuneCommandTests.Run("classify", "--model", ModelDirectory("bert-classify"));
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("exactly one of --text and --text-file", error, StringComparison.Ordinal);
    }
}
