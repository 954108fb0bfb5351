using System.Text.Json;
using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

/// <summary>Every case of tests/fixtures/bert/hf/tokenizer-cases.json, made by Hugging Face transformers' BertTokenizer on the real
/// bert-base-uncased vocabulary, uncased and cased.</summary>
public sealed class WordPieceReferenceTests
{
    private static readonly Lazy<JsonElement> Cases = new(() =>
    {
        using var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "fixtures", "bert", "hf", "tokenizer-cases.json"));
        return JsonDocument.Parse(stream).RootElement.Clone();
    });

    private static readonly Lazy<WordPieceTokenizer> Uncased = new(() => Load(lowercase: true));
    private static readonly Lazy<WordPieceTokenizer> Cased = new(() => Load(lowercase: false));

    internal static string VocabPath => Path.Combine(AppContext.BaseDirectory, "fixtures", "bert", "vocab.txt");

    private static WordPieceTokenizer Load(bool lowercase) =>
        WordPieceTokenizer.FromVocabFile(VocabPath, new BertNormalizerOptions(Lowercase: lowercase));

    public static TheoryData<int> Variants()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases.Value.GetProperty("variants").GetArrayLength(); i++)
            data.Add(i);
        return data;
    }

    private static (JsonElement Variant, WordPieceTokenizer Tokenizer) Variant(int index)
    {
        JsonElement variant = Cases.Value.GetProperty("variants")[index];
        bool lower = variant.GetProperty("do_lower_case").GetBoolean();
        return (variant, lower ? Uncased.Value : Cased.Value);
    }

    private static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    private static string[] Strings(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetString()!)];

    /// <summary>Python offsets count code points; Forge's count UTF-16 chars.</summary>
    private static (int, int)[] Utf16Offsets(string text, JsonElement offsets)
    {
        var utf16 = new List<int>();
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
            utf16.Add(i);
        utf16.Add(text.Length);
        return [.. offsets.EnumerateArray().Select(o => (utf16[o[0].GetInt32()], utf16[o[1].GetInt32()]))];
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void SingleTextsMatchTokensIdsMasksOffsetsAndDecoding(int index)
    {
        var (variant, tokenizer) = Variant(index);
        foreach (JsonElement c in variant.GetProperty("single").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            Assert.Equal(Strings(c.GetProperty("tokens")), tokenizer.Tokenize(text));
            EncodedText encoded = tokenizer.Encode(text, null);
            int[] ids = Ints(c.GetProperty("input_ids"));
            Assert.Equal(ids, encoded.InputIds);
            Assert.Equal(ids, tokenizer.Encode(text));
            Assert.Equal(Ints(c.GetProperty("token_type_ids")), encoded.TokenTypeIds);
            Assert.Equal(Ints(c.GetProperty("attention_mask")), encoded.AttentionMask);
            Assert.Equal(Utf16Offsets(text, c.GetProperty("offsets")), encoded.Offsets);
            Assert.Equal(c.GetProperty("decoded").GetString(), tokenizer.Decode(ids));
            Assert.Equal(c.GetProperty("decoded_skip_special").GetString(), tokenizer.Decode(ids, skipSpecialTokens: true));
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void PairsMatchEveryTruncationStrategyAndLength(int index)
    {
        var (variant, tokenizer) = Variant(index);
        foreach (JsonElement pair in variant.GetProperty("pairs").EnumerateArray())
        {
            string a = pair.GetProperty("text").GetString()!, b = pair.GetProperty("text_pair").GetString()!;
            Assert.Equal(Ints(pair.GetProperty("plain")), tokenizer.EncodePair(a, b));
            foreach (JsonElement c in pair.GetProperty("cases").EnumerateArray())
            {
                var options = new EncodeOptions
                {
                    Truncation = c.GetProperty("truncation").GetString() switch
                    {
                        "longest_first" => TruncationStrategy.LongestFirst,
                        "only_first" => TruncationStrategy.OnlyFirst,
                        "only_second" => TruncationStrategy.OnlySecond,
                        var other => throw new InvalidDataException(other),
                    },
                    MaxLength = c.GetProperty("max_length").GetInt32(),
                    Padding = PaddingStrategy.MaxLength,
                };
                if (c.TryGetProperty("error", out _))
                {
                    var error = Assert.Throws<ForgeException>(() => tokenizer.Encode(a, b, options));
                    Assert.Contains("cannot reach", error.Message, StringComparison.Ordinal);
                    continue;
                }
                EncodedText encoded = tokenizer.Encode(a, b, options);
                Assert.Equal(Ints(c.GetProperty("input_ids")), encoded.InputIds);
                Assert.Equal(Ints(c.GetProperty("token_type_ids")), encoded.TokenTypeIds);
                Assert.Equal(Ints(c.GetProperty("attention_mask")), encoded.AttentionMask);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void PaddedTruncatedBatchMatches(int index)
    {
        var (variant, tokenizer) = Variant(index);
        JsonElement batch = variant.GetProperty("batch");
        var encoded = tokenizer.EncodeBatch(
            Strings(batch.GetProperty("texts")),
            new EncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = batch.GetProperty("max_length").GetInt32(), Padding = PaddingStrategy.Longest });
        Assert.Equal(batch.GetProperty("input_ids").EnumerateArray().Select(Ints), encoded.InputIds);
        Assert.Equal(batch.GetProperty("attention_mask").EnumerateArray().Select(Ints), encoded.AttentionMask);
        Assert.Equal(batch.GetProperty("token_type_ids").EnumerateArray().Select(Ints), encoded.TokenTypeIds!);
    }
}
