using Forge.Data;
using Forge.Tests.Serialization;
using Xunit;

namespace Forge.Tests.Data;

public sealed class BpeTokenizerCacheTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static readonly string[] Corpus = ["the whale, the whale! the white whale", "thar she blows, the whale"];

    [Fact]
    public void TrainsOnceThenLoadsTheSavedVocabulary()
    {
        string directory = temp.File("bpe-262");
        var trained = BpeTokenizerCache.LoadOrTrain(directory, () => Corpus, vocabSize: 262);
        Assert.True(File.Exists(Path.Combine(directory, "vocab.json")));
        Assert.True(File.Exists(Path.Combine(directory, "merges.txt")));
        Assert.Equal(["bpe-262"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
        Assert.Equal(0, trained.TokenToId(BpeTokenizerCache.EndOfText));
        Assert.Equal(262, trained.VocabularySize);

        var loaded = BpeTokenizerCache.LoadOrTrain(directory, () => throw new InvalidOperationException("must not retrain"), vocabSize: 262);
        Assert.Equal(trained.Merges, loaded.Merges);
        Assert.Equal(trained.Vocabulary, loaded.Vocabulary);
        Assert.Equal(trained.Encode("the white whale<|endoftext|>"), loaded.Encode("the white whale<|endoftext|>"));
        Assert.Equal(0, loaded.EndOfTextId);
    }

    [Fact]
    public void CorpusTokenizerIsCachedBesideTheText()
    {
        Directory.CreateDirectory(temp.File("cache"));
        File.WriteAllText(temp.File("cache/moby-dick.txt"), string.Join("\n", Corpus));
        var corpus = new MobyDickCorpus(temp.File("cache"));
        var tokenizer = corpus.EnsureTokenizer(265);
        Assert.Equal(temp.File("cache/moby-dick-bpe-265"), corpus.TokenizerDirectory(265));
        Assert.True(File.Exists(temp.File("cache/moby-dick-bpe-265/merges.txt")));
        Assert.Equal(265, tokenizer.VocabularySize);
        Assert.Equal("the white whale", tokenizer.Decode(tokenizer.Encode("the white whale")));
    }
}
