using System.Text;
using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

public sealed class Gpt2TokenizerTests
{
    private static ByteLevelBpeTokenizer Gpt2 => Gpt2Reference.Tokenizer;

    [Fact]
    public void EncodesHelloWorldToKnownIds()
    {
        Assert.Equal([15496, 995], Gpt2.Encode("Hello world"));
        Assert.Equal("Hello world", Gpt2.Decode([15496, 995]));
    }

    [Fact]
    public void VocabularyLookupsMatchGpt2()
    {
        Assert.Equal(50257, Gpt2.VocabularySize);
        Assert.Equal(50256, Gpt2.TokenToId("<|endoftext|>"));
        Assert.Equal(50256, Gpt2.EndOfTextId);
        Assert.Equal("Ġworld", Gpt2.IdToToken(995));
        Assert.Null(Gpt2.IdToToken(50257));
        Assert.Null(Gpt2.TokenToId("no such token"));
        Assert.Equal(50000, Gpt2.Merges.Count);
        Assert.Equal(new Dictionary<string, int> { ["<|endoftext|>"] = 50256 }, Gpt2.SpecialTokens);
    }

    [Fact]
    public void SpecialTokenInTextIsOneIdUnlessParsingIsOff()
    {
        Assert.Equal([15496, 50256, 6894], Gpt2.Encode("Hello<|endoftext|>world"));
        // As plain text (what gpt-3-encoder and OpenAI's encoder.py do), it is spelled out in pieces.
        int[] plain = [15496, 27, 91, 437, 1659, 5239, 91, 29, 6894];
        Assert.Equal(plain, Gpt2.Encode("Hello<|endoftext|>world", parseSpecialTokens: false));
        Assert.Equal(plain, Gpt2Reference.NodeEncode("Hello<|endoftext|>world"));
    }

    [Fact]
    public void DecodeKeepsOrSkipsSpecialTokens()
    {
        int[] ids = Gpt2.Encode("a<|endoftext|><|endoftext|> b");
        Assert.Equal("a<|endoftext|><|endoftext|> b", Gpt2.Decode(ids));
        Assert.Equal("a b", Gpt2.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void DecodeOfUnknownIdNamesIt()
    {
        var e = Assert.Throws<ForgeException>(() => Gpt2.Decode([1, 99999]));
        Assert.Contains("99999", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xE2, 0x82, 0x61 }, "\uFFFDa")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "\uFFFD\uFFFD\uFFFD")]
    [InlineData(new byte[] { 0xC0, 0x80, 0x42 }, "\uFFFD\uFFFDB")]
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 }, "\uFFFD\uFFFD\uFFFD\uFFFD")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0xE2, 0x82, 0xAC }, "\uFFFD\uFFFD€")]
    public void DecodeReplacesInvalidUtf8LikePythonErrorsReplace(byte[] bytes, string expected)
    {
        // Expected strings are Python's bytes(...).decode("utf-8", errors="replace").
        var ids = bytes.Select(b => Gpt2.TokenToId(ByteLevel.ByteToChar(b).ToString())!.Value);
        Assert.Equal(expected, Gpt2.Decode(ids));
    }

    [Fact]
    public void DecodeInvertsEncodeOnRandomUnicode()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 300; trial++)
        {
            var text = new StringBuilder();
            for (int i = random.Next(1, 40); i > 0; i--)
            {
                int cp = random.Next(4) switch
                {
                    0 => random.Next(0x20, 0x7F),
                    1 => random.Next(0, 0x100),
                    2 => random.Next(0x100, 0xD800),
                    _ => random.Next(0x10000, 0x110000),
                };
                text.Append(char.ConvertFromUtf32(cp));
            }
            string s = text.ToString();
            Assert.Equal(s, Gpt2.Decode(Gpt2.Encode(s)));
        }
    }

    [Fact]
    public void AstralLettersStayInTheirWordsAsInPython()
    {
        // Python's regex (and the JavaScript /u pattern) treat 𝐀 and 𠀀 as letters and 𝟏 as a digit; UTF-16 surrogates must not split them off.
        Assert.Equal(["a𝐀b", " x𠀀y", " 𝟏𝟐3"], Gpt2PreTokenizer.Split("a𝐀b x𠀀y 𝟏𝟐3"));
        Assert.Equal(Gpt2Reference.NodeEncode("a𝐀b x𠀀y 𝟏𝟐3 hi😀! 👍🏽ok"), Gpt2.Encode("a𝐀b x𠀀y 𝟏𝟐3 hi😀! 👍🏽ok"));
    }

    [Fact]
    public void NextLineAndByteOrderMarkFollowPythonWhereTheJavaScriptEncoderDeviates()
    {
        // gpt-3-encoder's JavaScript \s lacks U+0085 (NEL) and includes U+FEFF (BOM); Python's regex module, which GPT-2 uses,
        // has \s = Unicode White_Space: U+0085 yes, U+FEFF no. The expected ids come from OpenAI's encoder.py with regex.
        string[] texts = [" \u0085a", " \uFEFF中", "\uFEFF's", "\u0085's"];
        int[][] python = [[220, 126, 227, 64], [27332, 119, 123, 40792], [171, 119, 123, 6, 82], [126, 227, 338]];
        int[][] javaScript = Gpt2Reference.NodeEncodeLines(string.Join('\n', texts));
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(python[i], Gpt2.Encode(texts[i]));
            Assert.NotEqual(python[i], javaScript[i]);
        }
    }

    [Fact]
    public void AddPrefixSpaceEncodesLikeALeadingSpace()
    {
        var prefixed = new ByteLevelBpeTokenizer(Gpt2.Vocabulary, Gpt2.Merges, Gpt2.AddedTokens, addPrefixSpace: true);
        Assert.Equal([995], prefixed.Encode("world"));
        Assert.Equal([995], prefixed.Encode(" world"));
    }
}
