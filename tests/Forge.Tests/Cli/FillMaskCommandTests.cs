using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Cli;
using Xunit;
using static Forge.Tests.Models.HfModelFixture;

namespace Forge.Tests.Cli;

public sealed class FillMaskCommandTests
{
    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ForgeCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static void AssertTop5(JsonElement expected, JsonArray actual)
    {
        int[] ids = [.. expected.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())];
        double[] probabilities = [.. expected.GetProperty("probs").EnumerateArray().Select(e => e.GetDouble())];
        Assert.Equal(ids, actual.Select(c => (int)c!["id"]!));
        for (int i = 0; i < 5; i++)
        {
            double score = (double)actual[i]!["score"]!;
            Assert.True(Math.Abs(score - probabilities[i]) <= 1e-4 * probabilities[i], $"score {i}: expected {probabilities[i]}, found {score}");
            Assert.Equal(expected.GetProperty("tokens")[i].GetString(), (string)actual[i]!["token"]!);
        }
    }

    [Theory]
    [InlineData("bert-mlm")]
    [InlineData("bert-mlm-default-init")]
    [InlineData("bert-pretraining")]
    [InlineData("distilbert-mlm")]
    public void TopFiveMatchHuggingFaceForOneAndTwoMasks(string name)
    {
        foreach (JsonElement item in Expected(name).GetProperty("fill_mask").EnumerateArray())
        {
            JsonElement[] masks = [.. item.GetProperty("top5").EnumerateArray()];
            if (masks.Length == 0) continue;
            var (code, stdout, error) = Run("fill-mask", "--model", Directory(name), "--text", item.GetProperty("text").GetString()!, "--json");
            Assert.True(code == ForgeCli.Success, error);
            JsonArray result = JsonNode.Parse(stdout)!.AsArray();
            if (masks.Length == 1)
            {
                AssertTop5(masks[0], result);
                continue;
            }
            Assert.Equal(masks.Length, result.Count);
            for (int m = 0; m < masks.Length; m++) AssertTop5(masks[m], result[m]!.AsArray());
        }
    }

    [Fact]
    public void PlainTextShowsScoresTokensAndTheFilledSequence()
    {
        var (code, stdout, error) = Run("fill-mask", "--model", Directory("bert-mlm"), "--text", "the capital of france is [MASK] .", "--top-k", "2");
        Assert.True(code == ForgeCli.Success, error);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("the capital of france is just.", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("  0.0041  just", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void TextWithoutAMaskIsAnError()
    {
        var (code, _, error) = Run("fill-mask", "--model", Directory("bert-mlm"), "--text", "hello world");
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("at least one [MASK]", error, StringComparison.Ordinal);
    }
}
