using Forge.Generation;
using Xunit;

namespace Forge.Tests.Generation;

public class TextGenerationTests
{
    /// <summary>
    /// Token 0 is end-of-sequence, 3 is the prompt. Greedy takes 1 (p 0.5) and then ends (p 0.3): 0.15 in all; beam search
    /// finds 2 then end: 0.4 · 0.9 = 0.36.
    /// </summary>
    private static BigramModel Trap(int contextLength = 64) => new(
    [
        [0.25, 0.25, 0.25, 0.25],
        [0.3, 0.3, 0.2, 0.2],
        [0.9, 0.05, 0.03, 0.02],
        [0.1, 0.5, 0.4, 1e-9],
    ], contextLength);

    /// <summary>After any token the most likely next token is 1, then 2.</summary>
    private static BigramModel Sticky() => new(
    [
        [0.1, 0.5, 0.3, 0.1],
        [0.1, 0.5, 0.3, 0.1],
        [0.1, 0.5, 0.3, 0.1],
        [0.1, 0.5, 0.3, 0.1],
    ]);

    [Fact]
    public void GreedyTakesTheLocallyBestTokenAndStopsAtEos()
    {
        int[] tokens = TextGeneration.Generate(Trap(), [3], new GenerationConfig { EosTokenId = 0, MaxNewTokens = 10 });
        Assert.Equal([1, 0], tokens);
    }

    [Fact]
    public void BeamSearchFindsTheMoreLikelySequence()
    {
        var config = new GenerationConfig { Strategy = DecodingStrategy.Beam, NumBeams = 2, EosTokenId = 0, MaxNewTokens = 10 };
        Assert.Equal([2, 0], TextGeneration.Generate(Trap(), [3], config));
        Assert.Equal([2, 0], TextGeneration.Generate(Trap(), [3], config with { UseCache = false }));
        Assert.Equal([2, 0], TextGeneration.Generate(Trap(), [3], config with { EarlyStopping = true }));
    }

    [Fact]
    public void BeamSearchWithOneBeamIsGreedy()
    {
        var config = new GenerationConfig { Strategy = DecodingStrategy.Beam, NumBeams = 1, EosTokenId = 0, MaxNewTokens = 10 };
        Assert.Equal([1, 0], TextGeneration.Generate(Trap(), [3], config));
    }

    [Fact]
    public void StrongLengthPenaltyPrefersTheLongerHypothesis()
    {
        // Without eos the hypotheses run to the limit; with eos and length penalty 0 the shortest complete one wins: ending at once (0.1)
        // loses to 2 then end (0.36), but a negative penalty rewards short outputs enough to pick the immediate end.
        var config = new GenerationConfig { Strategy = DecodingStrategy.Beam, NumBeams = 3, EosTokenId = 0, MaxNewTokens = 4, LengthPenalty = 0 };
        Assert.Equal([2, 0], TextGeneration.Generate(Trap(), [3], config));
        Assert.Equal([0], TextGeneration.Generate(Trap(), [3], config with { LengthPenalty = -4 }));
    }

    [Fact]
    public void WithoutEosGreedyRunsToMaxNewTokens()
    {
        Assert.Equal([1, 1, 1, 1, 1], TextGeneration.Generate(Sticky(), [0], new GenerationConfig { MaxNewTokens = 5 }));
    }

    [Fact]
    public void NoRepeatNgramBlocksARepeatedBigram()
    {
        int[] tokens = TextGeneration.Generate(Sticky(), [0], new GenerationConfig { MaxNewTokens = 4, NoRepeatNgramSize = 2 });
        // 0 1 | then (1,1) is new | (1,1) would repeat: 2 | (2,1) new: 1 | (1,1) and (1,2) seen: 3.
        Assert.Equal([1, 1, 2, 1], tokens[..4]);
        var bigrams = new HashSet<(int, int)>();
        int[] sequence = [0, .. TextGeneration.Generate(Sticky(), [0], new GenerationConfig { MaxNewTokens = 12, NoRepeatNgramSize = 2 })];
        for (int i = 0; i + 1 < sequence.Length; i++) Assert.True(bigrams.Add((sequence[i], sequence[i + 1])), $"bigram at {i} repeats");
    }

    [Fact]
    public void RepetitionPenaltyMovesAwayFromSeenTokens()
    {
        int[] tokens = TextGeneration.Generate(Sticky(), [1], new GenerationConfig { MaxNewTokens = 1, RepetitionPenalty = 10 });
        Assert.Equal([2], tokens);
    }

    [Fact]
    public void SamplingIsReproducibleForASeedAndFollowsTheDistribution()
    {
        var config = new GenerationConfig { Strategy = DecodingStrategy.Sample, MaxNewTokens = 4000, Seed = 11 };
        int[] first = TextGeneration.Generate(Sticky(), [0], config);
        Assert.Equal(first, TextGeneration.Generate(Sticky(), [0], config));
        Assert.NotEqual(first, TextGeneration.Generate(Sticky(), [0], config with { Seed = 12 }));
        double[] expected = [0.1, 0.5, 0.3, 0.1];
        for (int v = 0; v < 4; v++) Assert.InRange(first.Count(t => t == v) / 4000.0, expected[v] - 0.03, expected[v] + 0.03);
    }

    [Fact]
    public void TopKOfOneIsGreedy()
    {
        var config = new GenerationConfig { Strategy = DecodingStrategy.Sample, MaxNewTokens = 50, TopK = 1, Seed = 3 };
        Assert.All(TextGeneration.Generate(Sticky(), [0], config), t => Assert.Equal(1, t));
    }

    [Fact]
    public void LowTopPSamplesOnlyTheMostLikelyTokens()
    {
        var config = new GenerationConfig { Strategy = DecodingStrategy.Sample, MaxNewTokens = 300, TopP = 0.7, Seed = 5 };
        int[] tokens = TextGeneration.Generate(Sticky(), [0], config);
        Assert.All(tokens, t => Assert.Contains(t, new[] { 1, 2 }));
        Assert.Contains(2, tokens);
    }

    [Fact]
    public void LongOutputsSlideAWindowOverTheContext()
    {
        var model = Trap(contextLength: 4);
        int[] tokens = TextGeneration.Generate(model, [3], new GenerationConfig { MaxNewTokens = 10 });
        Assert.Equal(10, tokens.Length);
        Assert.Equal(4, model.LongestInput);
        var uncached = Trap(contextLength: 4);
        Assert.Equal(tokens, TextGeneration.Generate(uncached, [3], new GenerationConfig { MaxNewTokens = 10, UseCache = false }));
    }

    [Fact]
    public void TheCacheFeedsOnlyNewTokens()
    {
        var model = Sticky();
        TextGeneration.Generate(model, [0, 1, 2], new GenerationConfig { MaxNewTokens = 5 });
        Assert.Equal(5, model.Calls);
        Assert.Equal(3, model.LongestInput);
    }

    [Fact]
    public void OnTokenStreamsAndCanStop()
    {
        var seen = new List<int>();
        int[] tokens = TextGeneration.Generate(Sticky(), [0], new GenerationConfig { MaxNewTokens = 10 }, t =>
        {
            seen.Add(t);
            return seen.Count < 3;
        });
        Assert.Equal([1, 1, 1], tokens);
        Assert.Equal(tokens, seen);
    }

    [Fact]
    public void PromptLongerThanTheContextIsAnError()
    {
        var e = Assert.Throws<ForgeException>(() => TextGeneration.Generate(Trap(contextLength: 2), [3, 1, 2], new GenerationConfig()));
        Assert.Equal("The prompt has 3 tokens but the model's context holds 2.", e.Message);
    }

    [Fact]
    public void EmptyPromptAndUnknownTokensAreErrors()
    {
        Assert.Throws<ForgeException>(() => TextGeneration.Generate(Trap(), [], new GenerationConfig()));
        var e = Assert.Throws<ForgeException>(() => TextGeneration.Generate(Trap(), [7], new GenerationConfig()));
        Assert.Contains("outside the model's vocabulary of 4", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0, 0, 1.0, 1.0, 1)]
    [InlineData(1.0, -1, 1.0, 1.0, 1)]
    [InlineData(1.0, 0, 0.0, 1.0, 1)]
    [InlineData(1.0, 0, 1.0, 0.0, 1)]
    [InlineData(1.0, 0, 1.0, 1.0, 0)]
    public void BadSettingsAreErrors(double temperature, int topK, double topP, double repetitionPenalty, int numBeams)
    {
        var config = new GenerationConfig { Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = repetitionPenalty, NumBeams = numBeams };
        Assert.Throws<ForgeException>(() => TextGeneration.Generate(Trap(), [3], config));
    }
}
