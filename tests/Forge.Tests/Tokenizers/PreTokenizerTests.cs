using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

public sealed class PreTokenizerTests
{
    // Expected pieces are Python regex.findall with GPT-2's pattern.
    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("I'm here  now\n\n", new[] { "I", "'m", " here", " ", " now", "\n\n" })]
    [InlineData("  a\tb \n c", new[] { " ", " a", "\t", "b", " \n", " c" })]
    [InlineData("THEY'RE 'll'S", new[] { "THEY", "'", "RE", " '", "ll", "'", "S" })]
    [InlineData("hi😀! 👍🏽ok", new[] { "hi", "😀!", " 👍🏽", "ok" })]
    [InlineData("end   ", new[] { "end", "   " })]
    [InlineData("x\u00a0\u00a0y", new[] { "x", "\u00a0", "\u00a0", "y" })]
    [InlineData("12abc", new[] { "12", "abc" })]
    [InlineData("e\u0301t\u00e9", new[] { "e", "\u0301", "t\u00e9" })]
    public void SplitsLikeGpt2Pattern(string text, string[] expected)
    {
        Assert.Equal(expected, Gpt2PreTokenizer.Split(text));
    }

    [Fact]
    public void ByteLevelAlphabetIsGpt2Table()
    {
        Assert.Equal('Ġ', ByteLevel.ByteToChar((byte)' '));
        Assert.Equal('Ċ', ByteLevel.ByteToChar((byte)'\n'));
        Assert.Equal('!', ByteLevel.ByteToChar((byte)'!'));
        Assert.Equal('Ń', ByteLevel.ByteToChar(0xAD));
        Assert.Equal(256, ByteLevel.Alphabet.Distinct().Count());
        for (int b = 0; b < 256; b++)
        {
            Assert.Equal(b, ByteLevel.CharToByte(ByteLevel.ByteToChar((byte)b)));
        }
        Assert.Equal(-1, ByteLevel.CharToByte(' '));
    }
}
