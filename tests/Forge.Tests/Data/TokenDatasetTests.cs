using Forge.Data;
using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Data;

public sealed class TokenDatasetTests
{
    private static TokenDataset Range(int count) => new(Enumerable.Range(0, count).ToArray());

    [Fact]
    public void DocumentsArePrecededByTheEndOfTextId()
    {
        var tokenizer = new CharTokenizer(["a", "b", "c"]);
        var dataset = TokenDataset.FromDocuments(["ab", "c", "", "ba"], tokenizer, endOfTextId: 3);
        Assert.Equal([3, 0, 1, 3, 2, 3, 3, 1, 0], dataset.Tokens.ToArray());
        Assert.Equal([0, 1, 2, 1, 0], TokenDataset.FromDocuments(["ab", "c", "", "ba"], tokenizer).Tokens.ToArray());
    }

    [Fact]
    public void ManyDocumentsKeepTheirOrder()
    {
        var tokenizer = new CharTokenizer(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
        string[] documents = [.. Enumerable.Range(0, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        int[] expected = [.. documents.SelectMany(d => d.Select(c => c - '0'))];
        Assert.Equal(expected, TokenDataset.FromDocuments(documents, tokenizer).Tokens.ToArray());
    }

    [Fact]
    public void WindowsShareOneTokenAndTargetsAreInputsShiftedByOne()
    {
        var dataset = Range(10);
        Assert.Equal(3, dataset.WindowCount(3));
        Assert.Equal(4, dataset.WindowCount(2));
        Assert.Equal(0, dataset.WindowCount(10));
        Assert.Equal(1, dataset.WindowCount(9));
        var input = new long[3];
        var target = new long[3];
        dataset.CopyWindow(2, 3, input, target);
        Assert.Equal([6L, 7, 8], input);
        Assert.Equal([7L, 8, 9], target);
    }

    [Theory]
    [InlineData(100, 0.1, 90)]
    [InlineData(100, 0.0, 100)]
    [InlineData(7, 0.5, 3)]
    public void SplitTakesTheValidationSetFromTheTail(int count, double fraction, int trainCount)
    {
        var (train, validation) = Range(count).Split(fraction);
        Assert.Equal(Enumerable.Range(0, trainCount), train.Tokens.ToArray());
        Assert.Equal(Enumerable.Range(trainCount, count - trainCount), validation.Tokens.ToArray());
    }

    [Fact]
    public void FingerprintDependsOnTheTokens()
    {
        Assert.Equal(Range(50).Fingerprint, new TokenDataset(Enumerable.Range(0, 50).ToArray()).Fingerprint);
        Assert.NotEqual(Range(50).Fingerprint, Range(51).Fingerprint);
        Assert.NotEqual(Range(50).Fingerprint, new TokenDataset(Enumerable.Range(0, 50).Reverse().ToArray()).Fingerprint);
        Assert.Matches("^[0-9a-f]{16}$", Range(3).Fingerprint);
    }

    [Fact]
    public void InvalidArgumentsAreForgeExceptions()
    {
        Assert.Contains("non-negative", Assert.Throws<ForgeException>(() => new TokenDataset(new[] { 1, -2 })).Message, StringComparison.Ordinal);
        Assert.Contains("[0, 1)", Assert.Throws<ForgeException>(() => Range(10).Split(1.0)).Message, StringComparison.Ordinal);
        Assert.Contains("[0, 1)", Assert.Throws<ForgeException>(() => Range(10).Split(double.NaN)).Message, StringComparison.Ordinal);
        Assert.Contains("at least 1", Assert.Throws<ForgeException>(() => Range(10).WindowCount(0)).Message, StringComparison.Ordinal);
    }
}
