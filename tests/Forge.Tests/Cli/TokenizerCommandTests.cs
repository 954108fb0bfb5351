using System.Text.Json;
using Forge.Cli;
using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Cli;

public sealed class TokenizerCommandTests : IDisposable
{
    private const string Corpus = "The whale swam on. The whale dove deep, and the sea was calm; the whale rose again.\n";

    private readonly string root = Directory.CreateTempSubdirectory("forge-tokenize-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ForgeCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string WriteFile(string name, byte[] bytes)
    {
        string path = Path.Combine(root, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WriteText(string name, string text) => WriteFile(name, System.Text.Encoding.UTF8.GetBytes(text));

    private string TrainTokenizer()
    {
        string corpus = WriteText("corpus.txt", string.Concat(Enumerable.Repeat(Corpus, 20)));
        string directory = Path.Combine(root, "tok");
        var (code, output, error) = Run("tokenizer", "train", "--data", corpus, "--vocab-size", "280", "--out", directory);
        Assert.True(code == ForgeCli.Success, error);
        Assert.Contains("280 tokens", output, StringComparison.Ordinal);
        return directory;
    }

    [Fact]
    public void TokenizerTrainWritesTheHuggingFaceLayoutWithEndOfTextFirst()
    {
        string directory = TrainTokenizer();
        foreach (string file in new[] { "vocab.json", "merges.txt", "tokenizer.json" })
            Assert.True(File.Exists(Path.Combine(directory, file)), file);
        var tokenizer = ByteLevelBpeTokenizer.FromDirectory(directory);
        Assert.Equal(280, tokenizer.VocabularySize);
        Assert.Equal(0, tokenizer.EndOfTextId);
    }

    [Fact]
    public void TokenizePrintsTheIdsTheLibraryEncodes()
    {
        string directory = TrainTokenizer();
        string text = "The whale rose. 🐋 鯨";
        string file = WriteText("text.txt", text);
        int[] expected = ByteLevelBpeTokenizer.FromDirectory(directory).Encode(text);

        var (code, output, _) = Run("tokenize", "--tokenizer", directory, "--text-file", file);
        Assert.Equal(ForgeCli.Success, code);
        Assert.Equal(expected, output.Trim().Split(' ').Select(int.Parse));

        (code, output, _) = Run("tokenize", "--tokenizer", directory, "--text-file", file, "--json");
        Assert.Equal(ForgeCli.Success, code);
        Assert.Equal(expected, JsonSerializer.Deserialize<int[]>(output));
    }

    [Fact]
    public void TokenizeSkipsAByteOrderMark()
    {
        string directory = TrainTokenizer();
        string plain = WriteText("plain.txt", "the sea");
        string withBom = WriteFile("bom.txt", [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes("the sea")]);
        Assert.Equal(Run("tokenize", "--tokenizer", directory, "--text-file", plain).Output,
            Run("tokenize", "--tokenizer", directory, "--text-file", withBom).Output);
    }

    [Fact]
    public void NonUtf8TextIsOneLineNamingTheFile()
    {
        string directory = TrainTokenizer();
        string file = WriteFile("latin1.txt", [0x63, 0x61, 0x66, 0xE9, 0x0A]);
        var (code, _, error) = Run("tokenize", "--tokenizer", directory, "--text-file", file);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Equal($"forge: error: Text file '{file}' is not valid UTF-8 (bad byte at offset 3).", error.TrimEnd());
    }

    [Fact]
    public void EmptyTextFileIsAnError()
    {
        string directory = TrainTokenizer();
        string file = WriteText("empty.txt", "");
        var (code, _, error) = Run("tokenize", "--tokenizer", directory, "--text-file", file);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("is empty", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingTokenizerDirectoryIsAnError()
    {
        string file = WriteText("text.txt", "hello");
        var (code, _, error) = Run("tokenize", "--tokenizer", Path.Combine(root, "nope"), "--text-file", file);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DirectoryWithoutTokenizerFilesIsAnError()
    {
        string file = WriteText("text.txt", "hello");
        var (code, _, error) = Run("tokenize", "--tokenizer", root, "--text-file", file);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("holds no tokenizer", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TooSmallVocabularyIsAUsageError()
    {
        string corpus = WriteText("corpus.txt", Corpus);
        var (code, _, error) = Run("tokenizer", "train", "--data", corpus, "--vocab-size", "10", "--out", Path.Combine(root, "t"));
        Assert.Equal(ForgeCli.UsageError, code);
        Assert.Contains("--vocab-size must be at least 257", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root, "t")));
    }

    [Fact]
    public void TokenizerGroupHelpListsTrain()
    {
        var (code, output, _) = Run("tokenizer");
        Assert.Equal(ForgeCli.Success, code);
        Assert.Contains("train", output, StringComparison.Ordinal);
    }
}
