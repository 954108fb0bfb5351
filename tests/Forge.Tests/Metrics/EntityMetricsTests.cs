using System.Text.Json;
using Forge.Metrics;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Metrics;

public sealed class EntityMetricsTests
{
    private const double Tolerance = 1e-12;

    private static readonly Fixture Cases = Fixture.Load("metrics")["entities"];

    public static TheoryData<string> CaseNames() => [.. Cases.Names];

    private static string[][] Sentences(JsonElement e) => [.. e.EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetString()!).ToArray())];

    /// <summary>The entities with offsets into the sentences joined by one "O" each, inclusive ends: seqeval's form.</summary>
    private static (string, int, int)[] Flattened(string[][] sentences)
    {
        var result = new List<(string, int, int)>();
        int offset = 0;
        foreach (string[] sentence in sentences)
        {
            result.AddRange(EntityMetrics.ExtractEntities(sentence).Select(e => (e.Type, offset + e.Start, offset + e.End - 1)));
            offset += sentence.Length + 1;
        }
        return [.. result];
    }

    private static (string, int, int)[] Expected(JsonElement e) =>
        [.. e.EnumerateArray().Select(x => (x[0].GetString()!, x[1].GetInt32(), x[2].GetInt32()))];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesTheReferenceChunkingAndReport(string name)
    {
        Fixture c = Cases[name];
        string[][] yTrue = Sentences(c.Json.GetProperty("y_true")), yPred = Sentences(c.Json.GetProperty("y_pred"));
        Assert.Equal(Expected(c.Json.GetProperty("true_entities")), Flattened(yTrue));
        Assert.Equal(Expected(c.Json.GetProperty("pred_entities")), Flattened(yPred));

        EntityReport report = EntityMetrics.Evaluate(yTrue, yPred);
        Assert.Equal(c.Json.GetProperty("types").EnumerateArray().Select(t => t.GetString()), report.Types);
        for (int i = 0; i < report.Types.Count; i++) AssertScores(c["per_type"][report.Types[i]], report.PerType[i]);
        AssertScores(c["micro"], report.MicroAverage);
        AssertScores(c["macro"], report.MacroAverage);
        AssertScores(c["weighted"], report.WeightedAverage);
        Assert.Equal(c.Json.GetProperty("report_2").GetString(), report.ToText());
        Assert.Equal(c.Json.GetProperty("report_4").GetString(), report.ToText(4));
    }

    private static void AssertScores(Fixture expected, ClassScores actual)
    {
        Assert.Equal(expected.Number("precision"), actual.Precision, Tolerance);
        Assert.Equal(expected.Number("recall"), actual.Recall, Tolerance);
        Assert.Equal(expected.Number("f1"), actual.FScore, Tolerance);
        Assert.Equal((int)expected.Number("support"), actual.Support);
    }

    [Fact]
    public void BioChunksFollowConllevalRules()
    {
        Assert.Equal(
            [new NamedEntity("PER", 0, 2), new NamedEntity("LOC", 3, 4)],
            EntityMetrics.ExtractEntities(["B-PER", "I-PER", "O", "B-LOC"]));
        // I- after O starts an entity; I- of another type ends the previous one and starts its own; B- after B- splits.
        Assert.Equal(
            [new NamedEntity("PER", 1, 3), new NamedEntity("LOC", 3, 4), new NamedEntity("LOC", 4, 5), new NamedEntity("ORG", 6, 7)],
            EntityMetrics.ExtractEntities(["O", "I-PER", "I-PER", "I-LOC", "B-LOC", "O", "I-ORG"]));
        Assert.Empty(EntityMetrics.ExtractEntities(["O", "O"]));
        Assert.Empty(EntityMetrics.ExtractEntities([]));
    }

    [Fact]
    public void IobesAndBareTagsChunkAsSeqevalDoes()
    {
        Assert.Equal(
            [new NamedEntity("PER", 0, 1), new NamedEntity("LOC", 1, 3), new NamedEntity("_", 3, 5)],
            EntityMetrics.ExtractEntities(["S-PER", "B-LOC", "E-LOC", "B", "I"]));
    }

    [Fact]
    public void HandCheckedScores()
    {
        // True: PER [0,2), LOC [3,4) in sentence 0; ORG [0,1) in sentence 1. Predicted: PER [0,2) right, LOC [3,4) typed ORG,
        // ORG [0,2) too long. One of three predictions is right, one of three true entities is found.
        string[][] yTrue = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]];
        string[][] yPred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "I-ORG"]];
        EntityReport report = EntityMetrics.Evaluate(yTrue, yPred);
        Assert.Equal(["LOC", "ORG", "PER"], report.Types);
        Assert.Equal(new ClassScores(0, 0, 0, 1), report.PerType[0]);
        Assert.Equal(new ClassScores(0, 0, 0, 1), report.PerType[1]);
        Assert.Equal(new ClassScores(1, 1, 1, 1), report.PerType[2]);
        Assert.Equal(1.0 / 3, report.MicroAverage.Precision, Tolerance);
        Assert.Equal(1.0 / 3, report.MicroAverage.Recall, Tolerance);
        Assert.Equal(3, report.MicroAverage.Support);
        Assert.Equal(
            "              precision    recall  f1-score   support\n\n" +
            "         LOC       0.00      0.00      0.00         1\n" +
            "         ORG       0.00      0.00      0.00         1\n" +
            "         PER       1.00      1.00      1.00         1\n\n" +
            "   micro avg       0.33      0.33      0.33         3\n" +
            "   macro avg       0.33      0.33      0.33         3\n" +
            "weighted avg       0.33      0.33      0.33         3\n",
            report.ToText());
        Assert.Equal(4.0 / 6, EntityMetrics.TokenAccuracy(yTrue, yPred), Tolerance);
    }

    [Fact]
    public void EntitiesInDifferentSentencesNeverMatch()
    {
        EntityReport report = EntityMetrics.Evaluate([["B-PER"], ["O"]], [["O"], ["B-PER"]]);
        Assert.Equal(new ClassScores(0, 0, 0, 1), report.MicroAverage);
    }

    [Fact]
    public void BadTagsAndShapesAreForgeExceptions()
    {
        Assert.Contains("Tag 1 is 'X-PER'", Assert.Throws<ForgeException>(() => EntityMetrics.ExtractEntities(["O", "X-PER"])).Message, StringComparison.Ordinal);
        Assert.Contains("'B-'", Assert.Throws<ForgeException>(() => EntityMetrics.ExtractEntities(["B-"])).Message, StringComparison.Ordinal);
        Assert.Contains("found 1 predicted for 2 true", Assert.Throws<ForgeException>(() => EntityMetrics.Evaluate([["O"], ["O"]], [["O"]])).Message, StringComparison.Ordinal);
        Assert.Contains("Sentence 1: expected 2 predicted tags", Assert.Throws<ForgeException>(() => EntityMetrics.Evaluate([["O"], ["O", "O"]], [["O"], ["O"]])).Message, StringComparison.Ordinal);
    }
}
