using System.Text.Json;
using Forge.Metrics;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Metrics;

public sealed class ClassificationTests
{
    private const double Tolerance = 1e-12;

    private static readonly Fixture Cases = Fixture.Load("metrics")["classification"];

    public static TheoryData<string> CaseNames() => [.. Cases.Names];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesScikitLearn(string name)
    {
        Fixture c = Cases[name];
        if (c.Json.GetProperty("y_true")[0].ValueKind == JsonValueKind.String) Check(c, e => e.GetString()!);
        else Check(c, e => e.GetInt32());
    }

    private static void Check<T>(Fixture c, Func<JsonElement, T> read) where T : notnull
    {
        T[] yTrue = [.. c.Json.GetProperty("y_true").EnumerateArray().Select(read)];
        T[] yPred = [.. c.Json.GetProperty("y_pred").EnumerateArray().Select(read)];
        T[]? labels = c.Has("labels") ? [.. c.Json.GetProperty("labels").EnumerateArray().Select(read)] : null;
        string[]? names = c.Has("target_names") ? [.. c.Json.GetProperty("target_names").EnumerateArray().Select(e => e.GetString()!)] : null;

        Assert.Equal(c.Number("accuracy"), Classification.Accuracy(yTrue, yPred), Tolerance);
        Assert.Equal(c.Json.GetProperty("sorted_labels").EnumerateArray().Select(read), Classification.Labels(yTrue, yPred));
        int[,] matrix = Classification.ConfusionMatrix(yTrue, yPred, labels);
        int[][] expectedMatrix = [.. c.Json.GetProperty("confusion_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray())];
        Assert.Equal(expectedMatrix, Enumerable.Range(0, matrix.GetLength(0)).Select(i => Enumerable.Range(0, matrix.GetLength(1)).Select(j => matrix[i, j]).ToArray()));

        foreach (double beta in (double[])[1.0, 0.5, 2.0])
        {
            Fixture expected = c[FormattableString.Invariant($"beta_{beta:0.0}")];
            Fixture none = expected["none"];
            IReadOnlyList<ClassScores> perClass = Classification.PerClass(yTrue, yPred, labels, beta);
            AssertClose(Doubles(none, "precision"), perClass.Select(s => s.Precision));
            AssertClose(Doubles(none, "recall"), perClass.Select(s => s.Recall));
            AssertClose(Doubles(none, "fscore"), perClass.Select(s => s.FScore));
            Assert.Equal(none.Json.GetProperty("support").EnumerateArray().Select(e => e.GetInt32()), perClass.Select(s => s.Support));
            foreach (var (key, average) in (ReadOnlySpan<(string, Average)>)[("micro", Average.Micro), ("macro", Average.Macro), ("weighted", Average.Weighted)])
                AssertScores(expected[key], Classification.Averaged(yTrue, yPred, average, labels, beta));
            foreach (string key in expected.Names.Where(k => k.StartsWith("binary_", StringComparison.Ordinal)))
                AssertScores(expected[key], Classification.Binary(yTrue, yPred, read(expected[key].Json.GetProperty("pos_label")), beta));
        }

        ClassificationReport report = Classification.Report(yTrue, yPred, labels, names);
        Assert.Equal(c.Json.GetProperty("report_2").GetString(), report.ToText());
        Assert.Equal(c.Json.GetProperty("report_2").GetString(), report.ToString());
        Assert.Equal(c.Json.GetProperty("report_4").GetString(), report.ToText(4));
        CheckDictionary(c["report_dict"], report);
    }

    private static void CheckDictionary(Fixture expected, ClassificationReport report)
    {
        for (int i = 0; i < report.Names.Count; i++) AssertRow(expected[report.Names[i]], report.Classes[i]);
        if (expected.Has("accuracy"))
        {
            Assert.Equal(expected.Number("accuracy"), report.Accuracy!.Value, Tolerance);
            Assert.Null(report.MicroAverage);
        }
        else
        {
            AssertRow(expected["micro avg"], report.MicroAverage!);
            Assert.Null(report.Accuracy);
        }
        AssertRow(expected["macro avg"], report.MacroAverage);
        AssertRow(expected["weighted avg"], report.WeightedAverage);
        Assert.Equal(report.Names.Count + 3, expected.Names.Count());
    }

    private static void AssertRow(Fixture expected, ClassScores actual)
    {
        Assert.Equal(expected.Number("precision"), actual.Precision, Tolerance);
        Assert.Equal(expected.Number("recall"), actual.Recall, Tolerance);
        Assert.Equal(expected.Number("f1-score"), actual.FScore, Tolerance);
        Assert.Equal((int)expected.Number("support"), actual.Support);
    }

    private static void AssertScores(Fixture expected, ClassScores actual)
    {
        Assert.Equal(expected.Number("precision"), actual.Precision, Tolerance);
        Assert.Equal(expected.Number("recall"), actual.Recall, Tolerance);
        Assert.Equal(expected.Number("fscore"), actual.FScore, Tolerance);
    }

    private static double[] Doubles(Fixture f, string key) => [.. f.Json.GetProperty(key).EnumerateArray().Select(e => e.GetDouble())];

    private static void AssertClose(double[] expected, IEnumerable<double> actual)
    {
        double[] values = [.. actual];
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++) Assert.Equal(expected[i], values[i], Tolerance);
    }

    [Fact]
    public void UndefinedRatiosAreZero()
    {
        // Class 2 is never predicted (precision 0/0) and class 3 never true (recall 0/0).
        IReadOnlyList<ClassScores> scores = Classification.PerClass([1, 2, 2], [1, 1, 3]);
        Assert.Equal(new ClassScores(0.5, 1, 2.0 / 3, 1), scores[0]);
        Assert.Equal(new ClassScores(0, 0, 0, 2), scores[1]);
        Assert.Equal(new ClassScores(0, 0, 0, 0), scores[2]);
    }

    [Fact]
    public void StringLabelsSortOrdinally()
    {
        Assert.Equal(["B", "a", "b", "ä"], Classification.Labels(["b", "ä"], ["a", "B"]));
    }

    [Fact]
    public void BinaryRejectsMulticlassAndUnknownPositiveLabels()
    {
        Assert.Contains("at most two labels, found 3", Assert.Throws<ForgeException>(() => Classification.Binary([0, 1, 2], [0, 1, 1], 1)).Message, StringComparison.Ordinal);
        Assert.Contains("positive label '7'", Assert.Throws<ForgeException>(() => Classification.Binary([0, 1], [0, 1], 7)).Message, StringComparison.Ordinal);
        Assert.Equal(new ClassScores(0, 0, 0, 0), Classification.Binary([0, 0], [0, 0], 1));
    }

    [Fact]
    public void BadInputsAreForgeExceptions()
    {
        Assert.Contains("found 2 predictions for 3 labels", Assert.Throws<ForgeException>(() => Classification.Accuracy([1, 2, 3], [1, 2])).Message, StringComparison.Ordinal);
        Assert.Contains("at least one example", Assert.Throws<ForgeException>(() => Classification.Accuracy<int>([], [])).Message, StringComparison.Ordinal);
        Assert.Contains("'1' twice", Assert.Throws<ForgeException>(() => Classification.PerClass([1, 2], [1, 2], [1, 1])).Message, StringComparison.Ordinal);
        Assert.Contains("needs 2 target names, found 1", Assert.Throws<ForgeException>(() => Classification.Report([1, 2], [1, 2], targetNames: ["one"])).Message, StringComparison.Ordinal);
        Assert.Contains("beta >= 0", Assert.Throws<ForgeException>(() => Classification.PerClass([1], [1], beta: -1)).Message, StringComparison.Ordinal);
        Assert.Contains("labels [5] in y_true", Assert.Throws<ForgeException>(() => Classification.ConfusionMatrix([1], [5], [5])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.125, 2, "0.12")]
    [InlineData(0.375, 2, "0.38")]
    [InlineData(0.03125, 4, "0.0312")]
    [InlineData(2.0 / 3, 2, "0.67")]
    [InlineData(1.0, 4, "1.0000")]
    [InlineData(0.0, 2, "0.00")]
    [InlineData(0.5, 0, "0")]
    [InlineData(1.5, 0, "2")]
    [InlineData(0.145, 2, "0.14")]
    public void FixedFormatRoundsTheExactValueHalfToEvenAsPython(double value, int digits, string expected)
    {
        Assert.Equal(expected, ReportText.Fixed(value, digits));
    }
}
