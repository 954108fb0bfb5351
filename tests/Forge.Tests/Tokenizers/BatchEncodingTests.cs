using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

public sealed class BatchEncodingTests
{
    private static ByteLevelBpeTokenizer Gpt2 => Gpt2Reference.Tokenizer;

    private static readonly string[] Texts = ["Hello world", "Hi", ""];

    [Fact]
    public void WithoutPaddingRowsKeepTheirLengths()
    {
        var batch = Gpt2.EncodeBatch(Texts);
        Assert.Equal([15496, 995], batch.InputIds[0]);
        Assert.Equal([17250], batch.InputIds[1]);
        Assert.Empty(batch.InputIds[2]);
        Assert.Equal([1, 1], batch.AttentionMask[0]);
    }

    [Fact]
    public void LongestPaddingOnTheRightUsesEndOfTextByDefault()
    {
        var batch = Gpt2.EncodeBatch(Texts, padding: PaddingStrategy.Longest);
        Assert.Equal([[15496, 995], [17250, 50256], [50256, 50256]], batch.InputIds);
        Assert.Equal([[1, 1], [1, 0], [0, 0]], batch.AttentionMask);
    }

    [Fact]
    public void LeftPaddingPutsPadTokensFirst()
    {
        var batch = Gpt2.EncodeBatch(Texts, padding: PaddingStrategy.Longest, padTokenId: 0, side: PaddingSide.Left);
        Assert.Equal([[15496, 995], [0, 17250], [0, 0]], batch.InputIds);
        Assert.Equal([[1, 1], [0, 1], [0, 0]], batch.AttentionMask);
    }

    [Fact]
    public void TruncationAndMaxLengthPaddingGiveEqualRows()
    {
        var batch = Gpt2.EncodeBatch(["one two three four five", "six"], maxLength: 3, truncation: true, padding: PaddingStrategy.MaxLength, padTokenId: 7);
        Assert.Equal([[505, 734, 1115], [19412, 7, 7]], batch.InputIds);
        Assert.Equal([[1, 1, 1], [1, 0, 0]], batch.AttentionMask);
    }

    [Fact]
    public void InconsistentBatchOptionsAreRejected()
    {
        Assert.Throws<ForgeException>(() => Gpt2.EncodeBatch(Texts, truncation: true));
        Assert.Throws<ForgeException>(() => Gpt2.EncodeBatch(Texts, padding: PaddingStrategy.MaxLength));
        Assert.Throws<ForgeException>(() => Gpt2.EncodeBatch(Texts, maxLength: 0));
        var noSpecials = new ByteLevelBpeTokenizer(TinyBpe.Vocabulary(), TinyBpe.Merges);
        Assert.Contains("padTokenId", Assert.Throws<ForgeException>(() => noSpecials.EncodeBatch(Texts, padding: PaddingStrategy.Longest)).Message);
    }
}
