using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

/// <summary>Forge's GPT-2 tokenizer against the reference JavaScript encoder of the npm package gpt-3-encoder, on a mixed corpus.</summary>
public sealed class Gpt2ReferenceTests
{
    private static readonly Lazy<string> Corpus = new(Gpt2Corpus.Build);
    private static readonly Lazy<int[]> Expected = new(() => Gpt2Reference.NodeEncode(Corpus.Value));

    [Fact]
    public void CorpusIsLargeAndMixed()
    {
        string corpus = Corpus.Value;
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(corpus) >= 20_000);
        Assert.Contains("\t", corpus);
        Assert.Contains("👨‍👩‍👧‍👦", corpus);
        Assert.Contains("𠀀", corpus);
        Assert.DoesNotContain("<|endoftext|>", corpus);
    }

    [Fact]
    public void OpenAiFilesEncodeCorpusLikeReferenceEncoder()
    {
        Assert.Equal(Expected.Value, Gpt2Reference.Tokenizer.Encode(Corpus.Value));
    }

    [Fact]
    public void SavedTokenizerJsonEncodesCorpusLikeReferenceEncoder()
    {
        using var dir = new TempDirectory();
        Gpt2Reference.Tokenizer.Save(dir.Path);
        var loaded = ByteLevelBpeTokenizer.FromTokenizerJson(Path.Combine(dir.Path, "tokenizer.json"));
        Assert.Equal(Expected.Value, loaded.Encode(Corpus.Value));
    }

    [Fact]
    public void VocabJsonAndMergesTxtEncodeCorpusLikeReferenceEncoder()
    {
        using var dir = new TempDirectory();
        Gpt2Reference.Tokenizer.Save(dir.Path);
        var loaded = ByteLevelBpeTokenizer.FromFiles(Path.Combine(dir.Path, "vocab.json"), Path.Combine(dir.Path, "merges.txt"));
        Assert.Equal(Expected.Value, loaded.Encode(Corpus.Value));
    }

    [Fact]
    public void EveryLineEncodesLikeReferenceEncoder()
    {
        string[] lines = Corpus.Value.Split('\n');
        int[][] expected = Gpt2Reference.NodeEncodeLines(Corpus.Value);
        Assert.Equal(expected.Length, lines.Length);
        var tokenizer = Gpt2Reference.Tokenizer;
        for (int i = 0; i < lines.Length; i++)
        {
            Assert.True(expected[i].SequenceEqual(tokenizer.Encode(lines[i])), $"Line {i} differs: {lines[i]}");
        }
    }

    [Fact]
    public void DecodingReferenceIdsGivesCorpusBack()
    {
        Assert.Equal(Corpus.Value, Gpt2Reference.Tokenizer.Decode(Expected.Value));
    }
}
