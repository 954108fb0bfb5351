using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

public sealed class CharTokenizerTests
{
    [Fact]
    public void VocabularyIsTheSortedDistinctCharacters()
    {
        var tokenizer = CharTokenizer.FromText("hello");
        Assert.Equal(["e", "h", "l", "o"], tokenizer.Characters);
        Assert.Equal(4, tokenizer.VocabularySize);
        Assert.Equal([1, 3, 2, 0], tokenizer.Encode("hole"));
        Assert.Equal("hole", tokenizer.Decode([1, 3, 2, 0]));
        Assert.Equal(2, tokenizer.TokenToId("l"));
        Assert.Null(tokenizer.TokenToId("z"));
        Assert.Null(tokenizer.IdToToken(4));
    }

    [Fact]
    public void AstralCharactersAreSingleTokens()
    {
        var tokenizer = CharTokenizer.FromText("a😀b");
        Assert.Equal(3, tokenizer.VocabularySize);
        Assert.Equal([0, 2, 1], tokenizer.Encode("a😀b"));
        Assert.Equal("b😀", tokenizer.Decode([1, 2]));
        Assert.Equal("😀ab", RoundTrip(tokenizer, "😀ab"));
        Assert.Equal("😀ab", RoundTrip(new ByteLevelBpeTokenizer(TinyBpe.Vocabulary(), TinyBpe.Merges), "😀ab"));
    }

    private static string RoundTrip(ITokenizer tokenizer, string text)
    {
        Assert.Empty(tokenizer.SpecialTokens);
        return tokenizer.Decode(tokenizer.Encode(text));
    }

    [Fact]
    public void UnknownCharacterIsNamedInTheError()
    {
        var tokenizer = CharTokenizer.FromText("abc");
        var e = Assert.Throws<ForgeException>(() => tokenizer.Encode("abz"));
        Assert.Contains("'z'", e.Message);
        Assert.Contains("U+007A", e.Message);
        Assert.Throws<ForgeException>(() => tokenizer.Decode([3]));
    }

    [Fact]
    public void SaveAndLoadKeepTheVocabulary()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "chars.json");
        var tokenizer = CharTokenizer.FromText("To be, or not to be:\n\t😀 é");
        tokenizer.Save(path);
        var loaded = CharTokenizer.Load(path);
        Assert.Equal(tokenizer.Characters, loaded.Characters);
        Assert.Equal(tokenizer.Encode("be not 😀"), loaded.Encode("be not 😀"));

        File.WriteAllText(path, """{"type": "bpe"}""");
        Assert.Throws<ForgeException>(() => CharTokenizer.Load(path));
    }

    [Fact]
    public void DuplicateOrMultiCharacterEntriesAreRejected()
    {
        Assert.Throws<ForgeException>(() => new CharTokenizer(["a", "a"]));
        Assert.Throws<ForgeException>(() => new CharTokenizer(["ab"]));
    }
}
