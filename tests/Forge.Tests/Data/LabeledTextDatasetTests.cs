using System.Text;
using Forge.Data;
using Forge.Tests.Serialization;
using Xunit;

namespace Forge.Tests.Data;

public sealed class LabeledTextDatasetTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string Write(string name, string content)
    {
        File.WriteAllText(temp.File(name), content, new UTF8Encoding(false));
        return temp.File(name);
    }

    [Fact]
    public void CsvQuotedFieldsKeepCommasQuotesAndNewlines()
    {
        string path = Write("data.csv", "id,text,label\r\n1,\"Hello, \"\"world\"\"\",pos\r\n2,\"two\nlines\",neg\n3,plain,pos\n");
        var data = LabeledTextDataset.Load(path);
        Assert.Equal(["Hello, \"world\"", "two\nlines", "plain"], data.Examples.Select(e => e.Text));
        Assert.Equal(["neg", "pos"], data.Id2Label);
        Assert.Equal([1, 0, 1], data.Examples.Select(e => e.Label));
        Assert.Equal(1, data.LabelId("pos"));
        Assert.Null(data.Examples[0].TextPair);
    }

    [Fact]
    public void CsvErrorsNameTheFileAndLine()
    {
        Assert.Contains("line 2: a quoted field is never closed", Assert.Throws<ForgeException>(() => LabeledTextDataset.Load(Write("a.csv", "text,label\n\"open,x\n"))).Message, StringComparison.Ordinal);
        Assert.Contains("line 3: expected 2 fields as in the header, found 3", Assert.Throws<ForgeException>(() => LabeledTextDataset.Load(Write("b.csv", "text,label\na,b\na,b,c\n"))).Message, StringComparison.Ordinal);
        Assert.Contains("line 2: expected a comma or a line break after a closing quote", Assert.Throws<ForgeException>(() => LabeledTextDataset.Load(Write("c.csv", "text,label\n\"a\"b,c\n"))).Message, StringComparison.Ordinal);
        File.WriteAllBytes(temp.File("d.csv"), [.. "text,label\na,"u8, 0xC3, 0x28]);
        Assert.Contains("not valid UTF-8", Assert.Throws<ForgeException>(() => LabeledTextDataset.Load(temp.File("d.csv"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingColumnsListTheColumnsThatExist()
    {
        string path = Write("e.csv", "body,tag\nx,y\n");
        var error = Assert.Throws<ForgeException>(() => LabeledTextDataset.Load(path));
        Assert.Contains("no text column 'text', 'sentence', 'review', 'content'; its columns are [body, tag]", error.Message, StringComparison.Ordinal);
        var data = LabeledTextDataset.Load(path, new LabeledTextColumns { Text = "body", Label = "tag" });
        Assert.Equal("x", data.Examples[0].Text);
        Assert.Contains("no label column 'missing'", Assert.Throws<ForgeException>(() => LabeledTextDataset.Load(path, new LabeledTextColumns { Text = "body", Label = "missing" })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CommonColumnNamesAreFoundAndPairsRead()
    {
        string path = Write("f.jsonl", "{\"sentence\": \"a\", \"other\": \"b\", \"category\": 2}\n\n{\"sentence\": \"c\", \"other\": \"d\", \"category\": 0}\n");
        var data = LabeledTextDataset.Load(path, new LabeledTextColumns { TextPair = "other" });
        Assert.Equal([new LabeledExample("a", "b", 2), new LabeledExample("c", "d", 0)], data.Examples);
        Assert.Equal(["0", "1", "2"], data.Id2Label);
    }

    [Fact]
    public void JsonLinesErrorsNameTheLine()
    {
        Assert.Contains("line 2: expected a JSON object, found invalid JSON", Assert.Throws<ForgeException>(() => LabeledTextDataset.Load(Write("g.jsonl", "{\"text\":\"a\",\"label\":\"x\"}\n{oops\n"))).Message, StringComparison.Ordinal);
        Assert.Contains("line 1: expected a value in column 'label', found none", Assert.Throws<ForgeException>(() => LabeledTextDataset.Load(Write("h.jsonl", "{\"text\":\"a\"}\n{\"text\":\"b\",\"label\":\"x\"}\n"))).Message, StringComparison.Ordinal);
        Assert.Contains("expected a .csv or .jsonl file", Assert.Throws<ForgeException>(() => LabeledTextDataset.Load(Write("i.txt", "x"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StratifiedSplitKeepsClassProportionsAndIsDeterministic()
    {
        var examples = Enumerable.Range(0, 100).Select(i => ($"t{i}", i < 80 ? "ham" : "spam"));
        var data = LabeledTextDataset.FromTexts(examples);
        DatasetSplits a = data.StratifiedSplit(seed: 3), b = data.StratifiedSplit(seed: 3), c = data.StratifiedSplit(seed: 4);
        Assert.Equal([56, 12, 12], new[] { a.Train, a.Validation, a.Test! }.Select(p => p.Examples.Count(e => e.Label == 0)));
        Assert.Equal([14, 3, 3], new[] { a.Train, a.Validation, a.Test! }.Select(p => p.Examples.Count(e => e.Label == 1)));
        Assert.Equal(a.Test!.Examples, b.Test!.Examples);
        Assert.NotEqual(a.Test.Examples, c.Test!.Examples);
        Assert.Equal(100, a.Train.Examples.Concat(a.Validation.Examples).Concat(a.Test.Examples).Select(e => e.Text).Distinct().Count());
        Assert.Same(data.Id2Label, a.Train.Id2Label);
        Assert.Equal(a.Test.Examples.OrderBy(e => int.Parse(e.Text[1..], System.Globalization.CultureInfo.InvariantCulture)), a.Test.Examples);
    }

    [Fact]
    public void TrainValidationSplitWhenATestSetExists()
    {
        var data = LabeledTextDataset.FromTexts(Enumerable.Range(0, 20).Select(i => ($"t{i}", (i % 2).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        DatasetSplits split = data.StratifiedSplit(validationFraction: 0.2, testFraction: 0);
        Assert.Null(split.Test);
        Assert.Equal(16, split.Train.Count);
        Assert.Equal([2, 2], split.Validation.Examples.GroupBy(e => e.Label).Select(g => g.Count()));
        Assert.Contains("leave some training data", Assert.Throws<ForgeException>(() => data.StratifiedSplit(0.5, 0.5)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TinyClassesKeepATrainingExample()
    {
        var data = LabeledTextDataset.FromTexts([("a", "x"), ("b", "y"), ("c", "y")]);
        DatasetSplits split = data.StratifiedSplit();
        Assert.Equal(3, split.Train.Count);
    }
}
