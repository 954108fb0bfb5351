using Forge.Generation;
using Forge.Models.Gpt2;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Generation;

public class PerplexityTests
{
    private static Gpt2LanguageModel Tiny() =>
        Gpt2LanguageModel.FromPretrained(Path.Combine(AppContext.BaseDirectory, "fixtures", "gpt2-tiny"));

    [Fact]
    public void LossMatchesPyTorchOnAHuggingFaceDirectory()
    {
        var fixture = Fixture.Load("gpt2_tiny");
        long[] ids = fixture.Tensor("input_ids").ToArray<long>();
        var model = Tiny();
        double mean = Enumerable.Range(0, 2).Average(row => Perplexity.Evaluate(model, [.. ids.Skip(12 * row).Take(12).Select(t => (int)t)]).Loss);
        double expected = fixture.Number("loss");
        Assert.True(Math.Abs(mean - expected) <= 5e-5 * expected, $"loss {mean}, PyTorch {expected}");
    }

    [Fact]
    public void ShortTextScoresEveryTokenAfterTheFirst()
    {
        var model = Tiny();
        int[] tokens = [4, 8, 15, 16, 23, 42, 7];
        PerplexityResult result = Perplexity.Evaluate(model, tokens);
        Assert.Equal(6, result.Tokens);
        Tensor ids = Tensor.FromArray(tokens.Select(t => (long)t).ToArray(), 1, 7);
        double loss = model.Loss(ids.Narrow(1, 0, 6), ids.Narrow(1, 1, 6)).Item();
        Assert.Equal(loss, result.Loss, 1e-5);
        Assert.Equal(Math.Exp(result.Loss), result.Perplexity, 1e-9);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(8)]
    [InlineData(5)]
    [InlineData(1)]
    public void LongTextSlidesWindowsScoringEachTokenOnceWithItsWindowPrefix(int stride)
    {
        var model = Tiny();
        int[] tokens = [.. Enumerable.Range(0, 40).Select(i => i * 17 % 61)];
        PerplexityResult result = Perplexity.Evaluate(model, tokens, stride);

        double total = 0;
        int count = 0, previousEnd = 0;
        for (int begin = 0; begin < tokens.Length; begin += stride)
        {
            int end = Math.Min(begin + 16, tokens.Length);
            float[] logits = model.Logits(Tensor.FromArray(tokens[begin..end].Select(t => (long)t).ToArray(), 1, end - begin)).ToArray<float>();
            for (int position = Math.Max(previousEnd, begin + 1); position < end; position++)
            {
                var row = logits.AsSpan((position - 1 - begin) * 61, 61).ToArray();
                double max = row.Max(), logSum = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
                total += logSum - row[tokens[position]];
                count++;
            }
            previousEnd = end;
            if (end == tokens.Length) break;
        }
        Assert.Equal(count, result.Tokens);
        Assert.Equal(total / count, result.Loss, 1e-5);
        if (stride == 16) Assert.Equal(39 - 2, result.Tokens);
        else Assert.Equal(39, result.Tokens);
    }

    [Fact]
    public void FewerThanTwoTokensOrABadStrideAreErrors()
    {
        var model = Tiny();
        Assert.Throws<ForgeException>(() => Perplexity.Evaluate(model, [3]));
        Assert.Throws<ForgeException>(() => Perplexity.Evaluate(model, [3, 4, 5], stride: 0));
        Assert.Throws<ForgeException>(() => Perplexity.Evaluate(model, [3, 4, 5], stride: 17));
    }
}
