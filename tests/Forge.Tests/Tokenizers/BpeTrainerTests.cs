using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

public sealed class BpeTrainerTests
{
    [Fact]
    public void LearnsTheMergesOfAHandCheckedCorpus()
    {
        // Words: "aaab" x2, "ab", "ba". Counts: (a,a)=4 (a,b)=3 (b,a)=1 -> merge a+a; then (a,b)=3 -> a+b;
        // then (aa,ab)=2 -> aa+ab; the last pair (b,a) occurs once, under minFrequency 2.
        var tokenizer = new BpeTrainer().Train(["aaab", "aaab", "ab", "ba"], vocabSize: 1000);
        Assert.Equal([("a", "a"), ("a", "b"), ("aa", "ab")], tokenizer.Merges);
        Assert.Equal(259, tokenizer.VocabularySize);
        Assert.Equal(["aaab"], tokenizer.Encode("aaab").Select(id => tokenizer.IdToToken(id)));
    }

    [Fact]
    public void TiesGoToTheOrdinallySmallestPair()
    {
        var tokenizer = new BpeTrainer().Train(["cd", "ab", "cd", "ab"], vocabSize: 257);
        Assert.Equal([("a", "b")], tokenizer.Merges);
        tokenizer = new BpeTrainer().Train(["cd", "ab", "cd", "ab"], vocabSize: 258);
        Assert.Equal([("a", "b"), ("c", "d")], tokenizer.Merges);
    }

    [Fact]
    public void MinFrequencyOneAllowsSingletonPairs()
    {
        var tokenizer = new BpeTrainer().Train(["aaab", "aaab", "ab", "ba"], vocabSize: 1000, minFrequency: 1);
        Assert.Equal([("a", "a"), ("a", "b"), ("aa", "ab"), ("b", "a")], tokenizer.Merges);
    }

    [Fact]
    public void IdsAreSpecialTokensThenSortedBytesThenMerges()
    {
        var tokenizer = new BpeTrainer().Train(["x <|endoftext|> x x"], vocabSize: 300, specialTokens: ["<|endoftext|>", "<pad>"]);
        Assert.Equal(0, tokenizer.TokenToId("<|endoftext|>"));
        Assert.Equal(1, tokenizer.TokenToId("<pad>"));
        Assert.Equal(2, tokenizer.TokenToId("!"));
        Assert.Equal(257, tokenizer.TokenToId("Ń"));
        Assert.Equal(258, tokenizer.TokenToId("Ġx"));
        Assert.Equal([("Ġ", "x")], tokenizer.Merges);
        Assert.Equal(['x' - '!' + 2, 0, 258], tokenizer.Encode("x<|endoftext|> x"));
    }

    [Fact]
    public void ReachesTheRequestedVocabularySizeAndRoundTrips()
    {
        string corpus = Gpt2Corpus.Build();
        var tokenizer = new BpeTrainer().Train(corpus.Split('\n'), vocabSize: 800, specialTokens: ["<|endoftext|>"]);
        Assert.Equal(800, tokenizer.VocabularySize);
        Assert.Equal(corpus, tokenizer.Decode(tokenizer.Encode(corpus)));
        Assert.True(tokenizer.Encode(corpus).Length < System.Text.Encoding.UTF8.GetByteCount(corpus) / 2);
    }

    [Fact]
    public void TrainingIsDeterministic()
    {
        string[] lines = Gpt2Corpus.Build().Split('\n');
        var first = new BpeTrainer().Train(lines, vocabSize: 600);
        var second = new BpeTrainer().Train(lines.Reverse(), vocabSize: 600);
        Assert.Equal(first.Merges, second.Merges);
        Assert.Equal(first.Vocabulary.OrderBy(p => p.Value), second.Vocabulary.OrderBy(p => p.Value));
    }

    [Fact]
    public void SavedTrainedTokenizerReloadsWithTheSameEncoding()
    {
        string corpus = Gpt2Corpus.Build();
        var trained = new BpeTrainer().Train(corpus.Split('\n'), vocabSize: 700, specialTokens: ["<|endoftext|>"]);
        using var dir = new TempDirectory();
        trained.Save(dir.Path);
        string sample = corpus[..2000] + "<|endoftext|>" + corpus[^2000..];
        foreach (var loaded in new[]
        {
            ByteLevelBpeTokenizer.FromDirectory(dir.Path),
            ByteLevelBpeTokenizer.FromFiles(Path.Combine(dir.Path, "vocab.json"), Path.Combine(dir.Path, "merges.txt")),
        })
        {
            Assert.Equal(trained.Merges, loaded.Merges);
            Assert.Equal(trained.Encode(sample), loaded.Encode(sample));
        }
    }

    [Fact]
    public void MaxTokenLengthBoundsLearnedTokens()
    {
        var tokenizer = new BpeTrainer { MaxTokenLength = 2 }.Train(["abcd abcd abcd abcd"], vocabSize: 400);
        Assert.NotEmpty(tokenizer.Merges);
        Assert.All(tokenizer.Merges, m => Assert.True(m.Left.Length + m.Right.Length <= 2));
    }

    [Fact]
    public void TooSmallVocabularyOrBadSpecialTokensAreRejected()
    {
        var trainer = new BpeTrainer();
        Assert.Contains("at least 257", Assert.Throws<ForgeException>(() => trainer.Train(["a"], vocabSize: 256, specialTokens: ["<s>"])).Message);
        Assert.Throws<ForgeException>(() => trainer.Train(["a"], vocabSize: 300, specialTokens: ["<s>", "<s>"]));
        Assert.Throws<ForgeException>(() => trainer.Train(["a"], vocabSize: 300, minFrequency: -1));
    }
}
