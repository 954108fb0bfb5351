using System.Text.Json;
using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

public sealed class WordPieceFilesTests : IDisposable
{
    private static readonly string Hf = Path.Combine(AppContext.BaseDirectory, "fixtures", "bert", "hf");
    private static readonly string SmallVocab = Path.Combine(Hf, "small-vocab");

    private static readonly string[] Texts =
    [
        "The capital of France is [MASK] .", "I went to the store yesterday and it was great!", "Héllo, paris [mask] LONDON",
        "北京 and milk", "", "x[SEP]y",
    ];

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string Copy(string file, string? content = null)
    {
        string path = Path.Combine(temp.Path, file);
        if (content is null) File.Copy(Path.Combine(SmallVocab, file), path);
        else File.WriteAllText(path, content);
        return path;
    }

    private static void AssertSameEncodings(WordPieceTokenizer expected, WordPieceTokenizer actual)
    {
        Assert.Equal(expected.VocabularySize, actual.VocabularySize);
        foreach (string text in Texts)
        {
            EncodedText a = expected.Encode(text, "and a pair"), b = actual.Encode(text, "and a pair");
            Assert.Equal(a.Tokens, b.Tokens);
            Assert.Equal(a.InputIds, b.InputIds);
            Assert.Equal(a.TokenTypeIds, b.TokenTypeIds);
            Assert.Equal(a.Offsets, b.Offsets);
            int[] ids = expected.Encode(text);
            Assert.Equal(ids, actual.Encode(text));
            Assert.Equal(expected.Decode(ids, skipSpecialTokens: true), actual.Decode(ids, skipSpecialTokens: true));
        }
    }

    [Fact]
    public void TokenizerJsonAndVocabTxtOfTheSameDirectoryEncodeAlike()
    {
        var fromJson = WordPieceTokenizer.FromTokenizerJson(Path.Combine(SmallVocab, "tokenizer.json"));
        Copy("vocab.txt");
        Copy("tokenizer_config.json");
        var fromVocab = WordPieceTokenizer.FromDirectory(temp.Path);
        AssertSameEncodings(fromJson, fromVocab);
        Assert.Equal(0, fromJson.PadTokenId);
        Assert.Equal(9, fromJson.MaskTokenId);
        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], fromJson.SpecialTokens.OrderBy(p => p.Value).Select(p => p.Key));
    }

    [Theory]
    [InlineData("bert-mlm")]
    [InlineData("bert-classify")]
    [InlineData("bert-pretraining")]
    [InlineData("distilbert-mlm")]
    public void ModelDirectoriesWithOnlyTokenizerJsonGiveTheExpectedIds(string name)
    {
        string directory = Path.Combine(Hf, "models", name);
        var tokenizer = Assert.IsType<WordPieceTokenizer>(AutoTokenizer.FromDirectory(directory));
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "expected.json")));
        int checkedCases = 0;
        foreach (JsonProperty group in expected.RootElement.EnumerateObject())
        {
            var cases = group.Value.ValueKind == JsonValueKind.Array ? group.Value.EnumerateArray().ToArray() : [group.Value];
            foreach (JsonElement c in cases.Where(c => c.TryGetProperty("input_ids", out _)))
            {
                int[] ids = [.. c.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32())];
                string text = c.GetProperty("text").GetString()!;
                if (c.TryGetProperty("text_pair", out JsonElement pair))
                {
                    EncodedText encoded = tokenizer.Encode(text, pair.GetString());
                    Assert.Equal(ids, encoded.InputIds);
                    Assert.Equal(c.GetProperty("token_type_ids").EnumerateArray().Select(e => e.GetInt32()), encoded.TokenTypeIds);
                }
                else
                {
                    Assert.Equal(ids, tokenizer.Encode(text));
                }
                checkedCases++;
            }
        }
        Assert.True(checkedCases > 0);
    }

    [Fact]
    public void SaveThenLoadGivesTheSameTokenizerThroughEitherFile()
    {
        var original = WordPieceTokenizer.FromTokenizerJson(Path.Combine(SmallVocab, "tokenizer.json"));
        original.Save(temp.Path);
        Assert.Equal(File.ReadAllLines(Path.Combine(SmallVocab, "vocab.txt")), File.ReadAllLines(Path.Combine(temp.Path, "vocab.txt")));
        AssertSameEncodings(original, WordPieceTokenizer.FromDirectory(temp.Path));
        File.Delete(Path.Combine(temp.Path, "tokenizer.json"));
        AssertSameEncodings(original, WordPieceTokenizer.FromDirectory(temp.Path));
    }

    [Fact]
    public void SavedSettingsSurviveTheRoundTrip()
    {
        var vocabulary = File.ReadAllLines(Path.Combine(SmallVocab, "vocab.txt")).Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id);
        var cased = new WordPieceTokenizer(vocabulary, new BertNormalizerOptions(Lowercase: false, StripAccents: true, HandleChineseChars: false))
        {
            ModelMaxLength = 512,
        };
        cased.Save(temp.Path);
        foreach (var loaded in new[] { WordPieceTokenizer.FromDirectory(temp.Path), WordPieceTokenizer.FromTokenizerJson(Path.Combine(temp.Path, "tokenizer.json")) })
        {
            Assert.Equal(cased.Normalizer, loaded.Normalizer);
            Assert.Equal(512, loaded.ModelMaxLength);
            Assert.Equal(cased.Tokenize("Héllo Paris 北京"), loaded.Tokenize("Héllo Paris 北京"));
        }
        File.Delete(Path.Combine(temp.Path, "tokenizer.json"));
        Assert.Equal(cased.Normalizer, WordPieceTokenizer.FromDirectory(temp.Path).Normalizer);
    }

    [Fact]
    public void AutoTokenizerPicksTheTypeOfEachLayout()
    {
        Assert.IsType<WordPieceTokenizer>(AutoTokenizer.FromDirectory(SmallVocab));
        Assert.IsType<WordPieceTokenizer>(AutoTokenizer.FromDirectory(Path.Combine(SmallVocab, "tokenizer.json")));
        Copy("vocab.txt");
        Assert.IsType<WordPieceTokenizer>(AutoTokenizer.FromDirectory(temp.Path));

        string bpe = Path.Combine(temp.Path, "bpe");
        new BpeTrainer().Train(["the whale the whale the sea"], 260, specialTokens: ["<|endoftext|>"]).Save(bpe);
        Assert.IsType<ByteLevelBpeTokenizer>(AutoTokenizer.FromDirectory(bpe));
        File.Delete(Path.Combine(bpe, "tokenizer.json"));
        Assert.IsType<ByteLevelBpeTokenizer>(AutoTokenizer.FromDirectory(bpe));

        var error = Assert.Throws<ForgeException>(() => AutoTokenizer.FromDirectory(Path.Combine(temp.Path, "missing")));
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty; expected a vocab.txt with one token per line")]
    [InlineData("[PAD]\n\n[UNK]\n", "line 2 is blank; expected one token per line")]
    [InlineData("[PAD]\n[UNK]\n[PAD]\n", "line 3 repeats the token '[PAD]' of line 1")]
    [InlineData("[PAD]\nthe\n", "has no unknown token '[UNK]'")]
    public void BadVocabTxtNamesWhatWasExpected(string content, string message)
    {
        string path = Copy("vocab.txt", content);
        var error = Assert.Throws<ForgeException>(() => WordPieceTokenizer.FromVocabFile(path));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"model\":{\"type\":\"WordPiece\"", "\"model\":{\"type\":\"BPE\"", "expected model type \"WordPiece\", found \"BPE\"")]
    [InlineData("{\"type\":\"BertPreTokenizer\"}", "{\"type\":\"Whitespace\"}", "expected a BertPreTokenizer pre_tokenizer, found Whitespace")]
    [InlineData("\"type\":\"BertNormalizer\"", "\"type\":\"NFC\"", "expected a BertNormalizer normalizer, found NFC")]
    [InlineData("\"unk_token\":\"[UNK]\"", "\"unk_token\":\"[NOPE]\"", "the unknown token '[NOPE]' (model.unk_token) is not in the vocabulary")]
    [InlineData("\"type\":\"TemplateProcessing\"", "\"type\":\"RobertaProcessing\"", "expected a TemplateProcessing or BertProcessing post_processor, found \"RobertaProcessing\"")]
    [InlineData("\"type_id\":1}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1", "\"type_id\":1}},{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":1", "expected BERT's templates")]
    public void BadTokenizerJsonNamesWhatWasExpectedAndFound(string find, string replace, string message)
    {
        string compact = JsonSerializer.Serialize(JsonDocument.Parse(File.ReadAllText(Path.Combine(SmallVocab, "tokenizer.json"))).RootElement);
        Assert.Contains(find, compact, StringComparison.Ordinal);
        string path = Copy("tokenizer.json", compact.Replace(find, replace, StringComparison.Ordinal));
        var error = Assert.Throws<ForgeException>(() => WordPieceTokenizer.FromTokenizerJson(path));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenizerJsonThatIsNotJsonIsAnError()
    {
        string path = Copy("tokenizer.json", "{ not json");
        var error = Assert.Throws<ForgeException>(() => WordPieceTokenizer.FromTokenizerJson(path));
        Assert.Contains("is not valid JSON", error.Message, StringComparison.Ordinal);
    }
}
