using Forge.Data;
using Forge.Tests.Serialization;
using Xunit;

namespace Forge.Tests.Data;

public sealed class TextSourceTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string Write(string name, string content)
    {
        string path = temp.File(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void TextFileIsOneDocumentWithoutItsByteOrderMark()
    {
        string path = Write("book.txt", "\uFEFFCall me Ishmael.\r\nSome years ago.\n");
        Assert.Equal(["Call me Ishmael.\r\nSome years ago.\n"], TextSource.ReadDocuments(path));
    }

    [Fact]
    public void JsonLinesGiveOneDocumentPerLineAndSkipBlankLines()
    {
        string path = Write("docs.jsonl", "{\"text\": \"first\", \"id\": 1}\n\n  \n{\"id\": 2, \"text\": \"second\\nline \\u00e9\"}\n");
        Assert.Equal(["first", "second\nline é"], TextSource.ReadDocuments(path));
        Assert.Equal(["x"], TextSource.ReadJsonLines(Write("other.jsonl", "{\"body\": \"x\"}"), field: "body"));
    }

    [Fact]
    public void CsvGivesOneDocumentPerRowOfItsTextColumn()
    {
        string path = Write("reviews.csv", "label,review,text\npos,\"great, \"\"really\"\"\",first\nneg,bad,\"second\nline\"\nneg,meh,\n");
        Assert.Equal(["first", "second\nline"], TextSource.ReadDocuments(path));
        Assert.Equal(["great, \"really\"", "bad", "meh"], TextSource.ReadCsvColumn(path, "review"));
        Assert.Contains("its columns are label, review, text", Assert.Throws<ForgeException>(() => TextSource.ReadCsvColumn(path, "body")).Message, StringComparison.Ordinal);
        Assert.Contains("no text column", Assert.Throws<ForgeException>(() => TextSource.ReadCsvColumn(Write("x.csv", "a,b\n1,2\n"))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"text\": \"a\"}\n\n{\"text\": \"b\"\n", "line 3", "invalid JSON")]
    [InlineData("{\"text\": \"a\"}\n[\"text\"]\n", "line 2", "found Array")]
    [InlineData("{\"title\": \"a\"}\n", "line 1", "found no such field")]
    [InlineData("{\"text\": \"a\"}\n{\"text\": 5}\n", "line 2", "found Number")]
    public void BadJsonLineNamesFileAndLineNumber(string content, string line, string problem)
    {
        string path = Write("bad.jsonl", content);
        var error = Assert.Throws<ForgeException>(() => TextSource.ReadJsonLines(path).ToList());
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(line + ":", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DirectoryReadsTextAndJsonLinesFilesInOrdinalPathOrder()
    {
        Write("b.txt", "B");
        Write("a/z.jsonl", "{\"text\": \"AZ1\"}\n{\"text\": \"AZ2\"}\n");
        Write("a/y.TXT", "AY");
        Write("notes.md", "ignored");
        Assert.Equal(["AY", "AZ1", "AZ2", "B"], TextSource.ReadDocuments(temp.Path));
    }

    [Fact]
    public void MissingOrEmptySourcesAreForgeExceptions()
    {
        Assert.Contains("does not exist", Assert.Throws<ForgeException>(() => TextSource.ReadDocuments(temp.File("missing"))).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<ForgeException>(() => TextSource.ReadJsonLines(temp.File("missing.jsonl"))).Message, StringComparison.Ordinal);
        Write("only.md", "x");
        Assert.Contains("no .txt or .jsonl", Assert.Throws<ForgeException>(() => TextSource.ReadDocuments(temp.Path)).Message, StringComparison.Ordinal);
    }
}
