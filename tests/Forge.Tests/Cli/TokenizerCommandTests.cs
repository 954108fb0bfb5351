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

    private static readonly string BertDirectory = Path.Combine(AppContext.BaseDirectory, "fixtures", "bert", "hf", "small-vocab");

    [Fact]
    public void TokenizePrintsHuggingFaceIdsForABertVocabTxtDirectory()
    {
        string directory = Path.Combine(root, "bert");
        Directory.CreateDirectory(directory);
        File.Copy(Tokenizers.WordPieceReferenceTests.VocabPath, Path.Combine(directory, "vocab.txt"));
        var (code, output, error) = Run("tokenize", "--tokenizer", directory, "--text", "i like strawberries", "--json");
        Assert.True(code == ForgeCli.Success, error);
        Assert.Equal(new[] { 101, 1045, 2066, 13137, 20968, 102 }, JsonSerializer.Deserialize<int[]>(output));
    }

    [Fact]
    public void TokenizeReadsABertTokenizerJsonDirectory()
    {
        string text = "The capital of France is [MASK].";
        int[] expected = WordPieceTokenizer.FromTokenizerJson(Path.Combine(BertDirectory, "tokenizer.json")).Encode(text);
        var (code, output, error) = Run("tokenize", "--tokenizer", BertDirectory, "--text-file", WriteText("t.txt", text));
        Assert.True(code == ForgeCli.Success, error);
        Assert.Equal(expected, output.Trim().Split(' ').Select(int.Parse));
        Assert.Equal(7, expected[0]);
    }

    [Fact]
    public void TokenizeNeedsExactlyOneOfTextAndTextFile()
    {
        var (code, _, error) = Run("tokenize", "--tokenizer", BertDirectory);
        Assert.Equal(ForgeCli.Failure, code);
        Assert.Contains("exactly one of --text-file and --text", error, StringComparison.Ordinal);
        (code, _, _) = Run("tokenize", "--tokenizer", BertDirectory, "--text", "a", "--text-file", WriteText("a.txt", "a"));
        Assert.Equal(ForgeCli.Failure, code);
    }

    [Fact]
    public void TokenizerTrainWordPieceWritesABertDirectoryThatTokenizeReads()
    {
        string corpus = WriteText("corpus.txt", string.Concat(Enumerable.Repeat(Corpus, 20)));
        string directory = Path.Combine(root, "wp");
        var (code, output, error) = Run("tokenizer", "train", "--type", "wordpiece", "--data", corpus, "--vocab-size", "60", "--out", directory);
        Assert.True(code == ForgeCli.Success, error);
        Assert.Contains("WordPiece vocabulary of 60 tokens", output, StringComparison.Ordinal);
        var tokenizer = Assert.IsType<WordPieceTokenizer>(AutoTokenizer.FromDirectory(directory));
        Assert.Equal("[CLS]", tokenizer.IdToToken(2));

        (code, output, _) = Run("tokenize", "--tokenizer", directory, "--text", "The whale rose.");
        Assert.Equal(ForgeCli.Success, code);
        Assert.Equal(tokenizer.Encode("The whale rose."), output.Trim().Split(' ').Select(int.Parse));
    }

    [Fact]
    public void UnknownTokenizerTypeIsAUsageError()
    {
        string corpus = WriteText("corpus.txt", Corpus);
        var (code, _, error) = Run("tokenizer", "train", "--type", "unigram", "--data", corpus, "--vocab-size", "300", "--out", Path.Combine(root, "t"));
        Assert.Equal(ForgeCli.UsageError, code);
        Assert.Contains("unigram", error, StringComparison.Ordinal);
    }
}
