using System.Text.Json;
using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

public sealed class TokenizerFilesTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TokenizerJsonAcceptsPairAndStringMerges(bool pairMerges)
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(path, TinyBpe.TokenizerJson(pairMerges));
        var tokenizer = ByteLevelBpeTokenizer.FromTokenizerJson(path);
        Assert.Equal(TinyBpe.Merges, tokenizer.Merges);
        // "hello" merges fully; " hello" keeps its space byte (Ġ = byte 0x20, id 32) in front.
        Assert.Equal([259, 32, 259], tokenizer.Encode("hello hello"));
        Assert.Equal([256, 256], tokenizer.Encode("llll"));
    }

    [Fact]
    public void TokenizerJsonAddedTokensAreMatchedWholeAndSpecialOnesCanBeSkipped()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "tokenizer.json");
        string added = """
            [{"id": 300, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
             {"id": 301, "content": "[NOTE]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false}]
            """;
        File.WriteAllText(path, TinyBpe.TokenizerJson(pairMerges: true, added));
        var tokenizer = ByteLevelBpeTokenizer.FromTokenizerJson(path);
        Assert.Equal(302, tokenizer.VocabularySize);
        int[] ids = tokenizer.Encode("hello[NOTE]<|endoftext|>");
        Assert.Equal([259, 301, 300], ids);
        Assert.Equal("hello[NOTE]", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal(["<|endoftext|>"], tokenizer.SpecialTokens.Keys);
    }

    [Fact]
    public void TokenizerJsonWithOtherModelOrPreTokenizerIsRejected()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(path, TinyBpe.TokenizerJson(pairMerges: true, modelType: "WordPiece"));
        Assert.Contains("WordPiece", Assert.Throws<ForgeException>(() => ByteLevelBpeTokenizer.FromTokenizerJson(path)).Message);
        File.WriteAllText(path, TinyBpe.TokenizerJson(pairMerges: true, preTokenizer: """{"type": "Whitespace"}"""));
        Assert.Contains("ByteLevel", Assert.Throws<ForgeException>(() => ByteLevelBpeTokenizer.FromTokenizerJson(path)).Message);
        File.WriteAllText(path, "{ not json");
        Assert.Contains("not valid JSON", Assert.Throws<ForgeException>(() => ByteLevelBpeTokenizer.FromTokenizerJson(path)).Message);
    }

    [Fact]
    public void MergesFileWithOrWithoutVersionHeaderLoads()
    {
        using var dir = new TempDirectory();
        string vocab = Path.Combine(dir.Path, "vocab.json"), merges = Path.Combine(dir.Path, "merges.txt");
        File.WriteAllText(vocab, JsonSerializer.Serialize(TinyBpe.Vocabulary()));
        string lines = string.Join("\n", TinyBpe.Merges.Select(m => $"{m.Item1} {m.Item2}")) + "\n";
        foreach (string content in new[] { "#version: 0.2\n" + lines, lines, lines.Replace("\n", "\r\n", StringComparison.Ordinal) })
        {
            File.WriteAllText(merges, content);
            var tokenizer = ByteLevelBpeTokenizer.FromFiles(vocab, merges);
            Assert.Equal(TinyBpe.Merges, tokenizer.Merges);
            Assert.Equal([259], tokenizer.Encode("hello"));
        }
    }

    [Fact]
    public void MergeWithTokenMissingFromVocabularyIsRejected()
    {
        var vocab = TinyBpe.Vocabulary();
        vocab.Remove("hell");
        var e = Assert.Throws<ForgeException>(() => new ByteLevelBpeTokenizer(vocab, TinyBpe.Merges));
        Assert.Contains("'hell'", e.Message);
    }

    [Fact]
    public void VocabularyWithoutAllByteSymbolsIsRejected()
    {
        var vocab = TinyBpe.Vocabulary();
        vocab.Remove("Ġ");
        var e = Assert.Throws<ForgeException>(() => new ByteLevelBpeTokenizer(vocab, []));
        Assert.Contains("0x20", e.Message);
    }

    [Fact]
    public void FromDirectoryPrefersTokenizerJsonThenVocabAndMerges()
    {
        using var dir = new TempDirectory();
        Assert.Contains("holds no tokenizer", Assert.Throws<ForgeException>(() => ByteLevelBpeTokenizer.FromDirectory(dir.Path)).Message);

        File.WriteAllText(Path.Combine(dir.Path, "vocab.json"), JsonSerializer.Serialize(TinyBpe.Vocabulary()));
        File.WriteAllText(Path.Combine(dir.Path, "merges.txt"), "#version: 0.2\nl l\n");
        Assert.Equal([104, 101, 256, 111], ByteLevelBpeTokenizer.FromDirectory(dir.Path).Encode("hello"));

        File.WriteAllText(Path.Combine(dir.Path, "tokenizer.json"), TinyBpe.TokenizerJson(pairMerges: true));
        Assert.Equal([259], ByteLevelBpeTokenizer.FromDirectory(dir.Path).Encode("hello"));
    }

    [Fact]
    public void SaveWritesHuggingFaceLayoutThatReloads()
    {
        using var dir = new TempDirectory();
        var gpt2 = Gpt2Reference.Tokenizer;
        gpt2.Save(dir.Path);
        foreach (string file in new[] { "vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, file)), file);
        }
        Assert.StartsWith("#version: 0.2\nĠ t\n", File.ReadAllText(Path.Combine(dir.Path, "merges.txt")), StringComparison.Ordinal);
        using var map = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "special_tokens_map.json")));
        Assert.Equal("<|endoftext|>", map.RootElement.GetProperty("eos_token").GetString());
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "tokenizer_config.json")));
        Assert.True(config.RootElement.GetProperty("added_tokens_decoder").GetProperty("50256").GetProperty("special").GetBoolean());

        var reloaded = ByteLevelBpeTokenizer.FromDirectory(dir.Path);
        Assert.Equal(gpt2.VocabularySize, reloaded.VocabularySize);
        Assert.Equal(gpt2.Merges, reloaded.Merges);
        Assert.Equal(gpt2.SpecialTokens, reloaded.SpecialTokens);
        Assert.Equal(gpt2.Encode("Saved <|endoftext|> and loaded"), reloaded.Encode("Saved <|endoftext|> and loaded"));
    }
}
