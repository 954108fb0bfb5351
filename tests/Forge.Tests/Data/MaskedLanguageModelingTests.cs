using Forge.Data;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Data;

public sealed class MaskedLanguageModelingTests
{
    private const int Vocabulary = 1000, Cls = 1, Sep = 2, Pad = 0, MaskId = 3;

    private static int[] Sentence(int length, int seed)
    {
        var random = new Generator((ulong)seed);
        return [Cls, .. Enumerable.Range(0, length).Select(_ => 10 + (int)random.NextInt64(Vocabulary - 10)), Sep];
    }

    [Fact]
    public void AboutFifteenPercentOfOrdinaryTokensAreChosenAndSplitEightyTenTen()
    {
        var masker = new LanguageModelMasker(Vocabulary, MaskId, [Cls, Sep, Pad, MaskId]);
        var generator = new Generator(4);
        int tokens = 0, chosen = 0, masked = 0, kept = 0, random = 0;
        for (int s = 0; s < 200; s++)
        {
            int[] ids = Sentence(200, s);
            (int[] input, int[] labels) = masker.Mask(ids, generator);
            Assert.Equal(LanguageModelMasker.IgnoreIndex, labels[0]);
            Assert.Equal(LanguageModelMasker.IgnoreIndex, labels[^1]);
            Assert.Equal(Cls, input[0]);
            Assert.Equal(Sep, input[^1]);
            for (int i = 1; i < ids.Length - 1; i++)
            {
                tokens++;
                if (labels[i] == LanguageModelMasker.IgnoreIndex)
                {
                    Assert.Equal(ids[i], input[i]);
                    continue;
                }
                Assert.Equal(ids[i], labels[i]);
                chosen++;
                if (input[i] == MaskId) masked++;
                else if (input[i] == ids[i]) kept++;
                else random++;
            }
        }
        Assert.InRange(chosen / (double)tokens, 0.14, 0.16);
        Assert.InRange(masked / (double)chosen, 0.78, 0.82);
        Assert.InRange(random / (double)chosen, 0.085, 0.115);
        Assert.InRange(kept / (double)chosen, 0.085, 0.115);
    }

    [Fact]
    public void TheSameGeneratorStateGivesTheSameMasking()
    {
        var masker = new LanguageModelMasker(Vocabulary, MaskId, [Cls, Sep]);
        int[] ids = Sentence(64, 1);
        Assert.Equal(masker.Mask(ids, new Generator(9)), masker.Mask(ids, new Generator(9)), (a, b) => a.InputIds.SequenceEqual(b.InputIds) && a.Labels.SequenceEqual(b.Labels));
        Assert.False(masker.Mask(ids, new Generator(9)).Labels.SequenceEqual(masker.Mask(ids, new Generator(10)).Labels));
    }

    [Fact]
    public void WholeWordMaskingChoosesEveryPieceOfAWordOrNone()
    {
        // Ids ≥ 500 are "##" continuations of the word before them.
        var masker = new LanguageModelMasker(Vocabulary, MaskId, [Cls, Sep], isContinuation: id => id >= 500);
        var generator = new Generator(2);
        int covered = 0, total = 0;
        for (int s = 0; s < 100; s++)
        {
            int[] ids = Sentence(120, s + 50);
            (_, int[] labels) = masker.Mask(ids, generator);
            for (int i = 1; i < ids.Length - 1; i++)
            {
                total++;
                if (labels[i] != LanguageModelMasker.IgnoreIndex) covered++;
                if (ids[i] >= 500 && ids[i - 1] != Cls)
                {
                    Assert.Equal(labels[i] == LanguageModelMasker.IgnoreIndex, labels[i - 1] == LanguageModelMasker.IgnoreIndex);
                }
            }
        }
        Assert.InRange(covered / (double)total, 0.13, 0.16);
    }

    [Fact]
    public void CollatePadsToTheLongestExampleWithMaskAndIgnoredLabels()
    {
        var masker = new LanguageModelMasker(Vocabulary, MaskId, [Cls, Sep, Pad]);
        PretrainingExample[] examples = [new(Sentence(5, 1), new int[7]), new(Sentence(2, 2), new int[4])];
        MaskedLanguageModelingBatch batch = masker.Collate(examples, Pad, new Generator(1));
        Assert.Equal([2, 7], batch.InputIds.Shape);
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0, 0 }, batch.AttentionMask.ToArray<long>()[7..]);
        Assert.Equal(new long[] { Pad, Pad, Pad }, batch.InputIds.ToArray<long>()[11..]);
        Assert.All(batch.Labels.ToArray<long>()[11..], l => Assert.Equal(LanguageModelMasker.IgnoreIndex, l));
        Assert.Equal(11, batch.TokenCount);
        Assert.Null(batch.NextSentenceLabels);
    }

    [Fact]
    public void BlocksWrapEveryChunkOfTheConcatenatedStreamInClsAndSep()
    {
        int[][] documents = [[.. Enumerable.Range(10, 7)], [.. Enumerable.Range(20, 7)]];
        var blocks = PretrainingExamples.Blocks(documents, 6, Cls, Sep);
        Assert.Equal(4, blocks.Count);
        Assert.Equal([Cls, 10, 11, 12, 13, Sep], blocks[0].InputIds);
        Assert.Equal([Cls, 14, 15, 16, 20, Sep], blocks[1].InputIds);
        Assert.Equal([Cls, 25, 26, Sep], blocks[3].InputIds);
        Assert.All(blocks, b => Assert.All(b.TokenTypeIds, t => Assert.Equal(0, t)));
    }

    [Fact]
    public void SentencePairsHaveSegmentsLabelsAndFitTheLength()
    {
        var documents = Enumerable.Range(0, 30).Select(d =>
            (IReadOnlyList<IReadOnlyList<int>>)[.. Enumerable.Range(0, 8).Select(s => (IReadOnlyList<int>)Sentence(4 + (d + s) % 9, d * 100 + s)[1..^1])]).ToList();
        var pairs = PretrainingExamples.SentencePairs(documents, 32, Cls, Sep, new Generator(3));
        Assert.True(pairs.Count > 30);
        foreach (PretrainingExample pair in pairs)
        {
            Assert.True(pair.InputIds.Length <= 32);
            Assert.Equal(Cls, pair.InputIds[0]);
            Assert.Equal(Sep, pair.InputIds[^1]);
            int firstSep = Array.IndexOf(pair.InputIds, Sep);
            Assert.True(firstSep > 1 && firstSep < pair.InputIds.Length - 2);
            Assert.All(pair.TokenTypeIds[..(firstSep + 1)], t => Assert.Equal(0, t));
            Assert.All(pair.TokenTypeIds[(firstSep + 1)..], t => Assert.Equal(1, t));
        }
        double random = pairs.Average(p => p.NextSentenceLabel!.Value);
        Assert.InRange(random, 0.35, 0.65);
        var masker = new LanguageModelMasker(Vocabulary, MaskId, [Cls, Sep, Pad]);
        Assert.Equal([4], masker.Collate(pairs.Take(4).ToList(), Pad, new Generator(1)).NextSentenceLabels!.Shape);
    }

    [Fact]
    public void BadSettingsAreClearErrors()
    {
        Assert.Throws<ForgeException>(() => new LanguageModelMasker(Vocabulary, Vocabulary, []));
        Assert.Throws<ForgeException>(() => new LanguageModelMasker(Vocabulary, MaskId, [], probability: 1.5));
        Assert.Throws<ForgeException>(() => PretrainingExamples.Blocks([[1, 2]], 2, Cls, Sep));
    }
}
