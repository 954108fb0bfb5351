using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

public sealed class WordPieceTrainerTests
{
    private static readonly string[] Corpus =
    [
        "The whale swam on. The whale dove deep, and the sea was calm; the whale rose again.",
        "Whales and whaling: the whaler hunted whales on the sea.",
        "Call me Ishmael. [MASK] is not counted.",
    ];

    private static WordPieceTokenizer Train(int vocabSize = 90) =>
        new WordPieceTrainer { VocabSize = vocabSize, MinFrequency = 2 }.Train(Enumerable.Repeat(Corpus, 5).SelectMany(t => t));

    [Fact]
    public void LearnsWholeFrequentWordsAndContinuationPieces()
    {
        var tokenizer = Train();
        Assert.Equal(90, tokenizer.VocabularySize);
        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], Enumerable.Range(0, 5).Select(i => tokenizer.IdToToken(i)));
        Assert.Equal(["the", "whale"], tokenizer.Tokenize("The whale"));
        Assert.Contains(tokenizer.Vocabulary.Keys, t => t.StartsWith("##", StringComparison.Ordinal) && t.Length > 3);
        Assert.DoesNotContain("[mask]", tokenizer.Vocabulary.Keys);
        string[] pieces = tokenizer.Tokenize("whalers");
        Assert.Equal("whale", pieces[0]);
        Assert.All(pieces.Skip(1), p => Assert.StartsWith("##", p, StringComparison.Ordinal));
    }

    [Fact]
    public void TrainedTokenizerRoundTripsTextAndFiles()
    {
        var tokenizer = Train();
        const string text = "the whale rose again, and the sea was calm.";
        int[] ids = tokenizer.Encode(text);
        Assert.Equal(tokenizer.ClsTokenId, ids[0]);
        Assert.Equal(tokenizer.SepTokenId, ids[^1]);
        Assert.DoesNotContain(tokenizer.UnknownTokenId, ids);
        Assert.Equal(text, tokenizer.Decode(ids, skipSpecialTokens: true));

        using var temp = new TempDirectory();
        tokenizer.Save(temp.Path);
        Assert.Equal(ids, WordPieceTokenizer.FromDirectory(temp.Path).Encode(text));
        File.Delete(Path.Combine(temp.Path, "tokenizer.json"));
        Assert.Equal(ids, WordPieceTokenizer.FromDirectory(temp.Path).Encode(text));
    }

    [Fact]
    public void CharactersOutsideTheCorpusAreUnknownUnlessInTheInitialAlphabet()
    {
        Assert.Equal(["[UNK]"], Train().Tokenize("z"));
        var tokenizer = new WordPieceTrainer { VocabSize = 100, InitialAlphabet = ['z'] }.Train(Corpus);
        Assert.Equal(["z"], tokenizer.Tokenize("z"));
    }

    [Fact]
    public void TooSmallVocabularyAndMissingUnknownTokenAreErrors()
    {
        var error = Assert.Throws<ForgeException>(() => Train(vocabSize: 10));
        Assert.Contains("VocabSize must be at least", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ForgeException>(() => new WordPieceTrainer { SpecialTokens = ["[PAD]"] }.Train(Corpus));
        Assert.Contains("unknown token '[UNK]'", error.Message, StringComparison.Ordinal);
    }
}
