using System.Diagnostics;
using Forge.Data;
using Forge.Tests.Tokenizers;
using Xunit;

namespace Forge.Tests.Data;

public sealed class BertVocabCacheTests
{
    private static readonly string[] SentencePiece =
        ["[PAD]", "\u2581", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "\u2581i", "\u2581like", "\u2581straw", "berries", "[", "\u2581[", "##"];

    [Fact]
    public void ConvertsSentencePieceSpellingToVocabTxtLines()
    {
        Assert.Equal(
            ["[PAD]", "[unused0]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "i", "like", "straw", "##berries", "##[", "[", "####"],
            BertVocabCache.ConvertVocabulary(SentencePiece));
    }

    [Fact]
    public void WrittenDirectoryLoadsAsAnUncasedBertTokenizer()
    {
        using var temp = new TempDirectory();
        string json = Path.Combine(temp.Path, "vocab.json");
        File.WriteAllText(json, System.Text.Json.JsonSerializer.Serialize(SentencePiece));
        var tokenizer = BertVocabCache.WriteDirectory(json, Path.Combine(temp.Path, "bert"));
        Assert.Equal([4, 7, 8, 9, 10, 5], tokenizer.Encode("I LIKE strawberries"));
        Assert.Equal(512, tokenizer.ModelMaxLength);
    }

    [Fact]
    public void VocabularyThatIsNotAListOfStringsIsAnError()
    {
        using var temp = new TempDirectory();
        string json = Path.Combine(temp.Path, "vocab.json");
        File.WriteAllText(json, "{\"[PAD]\": 0}");
        var error = Assert.Throws<ForgeException>(() => BertVocabCache.WriteDirectory(json, temp.Path));
        Assert.Contains("must be a JSON list of token strings", error.Message, StringComparison.Ordinal);
    }

    [NetworkFact]
    public void FetchScriptBuildsTheRealBertBaseUncasedVocabulary()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "tools", "fetch-bert-vocab.sh"))) root = Path.GetDirectoryName(root)!;
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(root, "tools", "fetch-bert-vocab.sh")) { RedirectStandardOutput = true })!;
        string directory = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(File.ReadAllLines(WordPieceReferenceTests.VocabPath), File.ReadAllLines(Path.Combine(directory, "vocab.txt")));
        Assert.Equal([101, 1045, 2066, 13137, 20968, 102], Forge.Tokenizers.WordPieceTokenizer.FromDirectory(directory).Encode("i like strawberries"));
    }
}
