using Forge.Data;
using Xunit;

namespace Forge.Tests.Data;

public sealed class ConllDatasetTests
{
    [Fact]
    public void ReadsSentencesSkippingDocstartWithTagsOFirst()
    {
        const string text = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\r\n\n\nPeter\tB-PER\nBlackburn\tI-PER\n";
        var data = ConllDataset.Parse(text);
        Assert.Equal(2, data.Sentences.Count);
        Assert.Equal(["EU", "rejects", "German"], data.Sentences[0].Tokens);
        Assert.Equal(["B-ORG", "O", "B-MISC"], data.Sentences[0].Tags);
        Assert.Equal(["B-PER", "I-PER"], data.Sentences[1].Tags);
        Assert.Equal(["O", "B-MISC", "B-ORG", "B-PER", "I-PER"], data.Tags);
        Assert.Equal(3, data.TagId("B-PER"));
        Assert.Throws<ForgeException>(() => data.TagId("I-ORG"));
    }

    [Fact]
    public void MalformedLinesAreForgeExceptionsWithTheLine()
    {
        Assert.Contains("line 2: expected a token and a tag", Assert.Throws<ForgeException>(() => ConllDataset.Parse("a O\nlonely\n", "f.conll")).Message, StringComparison.Ordinal);
        Assert.Contains("line 1: expected a BIO tag", Assert.Throws<ForgeException>(() => ConllDataset.Parse("a PER\n")).Message, StringComparison.Ordinal);
        Assert.Contains("holds no sentences", Assert.Throws<ForgeException>(() => ConllDataset.Parse("-DOCSTART- O\n\n")).Message, StringComparison.Ordinal);
    }
}
