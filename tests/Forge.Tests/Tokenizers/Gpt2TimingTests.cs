using System.Diagnostics;
using System.Text;
using Forge.Tokenizers;
using Xunit;

namespace Forge.Tests.Tokenizers;

/// <summary>Runs the timed tests alone, after the parallel ones, so that other tests do not share their cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TokenizerTimingGroup
{
    public const string Name = "Tokenizer timing";
}

[Collection(TokenizerTimingGroup.Name)]
public sealed class Gpt2TimingTests
{
    [Fact]
    public void EncodesAMegabyteOfProseWellUnderTwoSeconds()
    {
        var random = new Random(3);
        string[] words = ["whale", "sea", "ship", "captain", "Ahab", "harpoon", "the", "of", "and", "a", "to", "in", "Queequeg", "Pequod", "oil", "boat"];
        var text = new StringBuilder();
        while (text.Length < 1_200_000)
        {
            text.Append(words[random.Next(words.Length)]).Append(random.Next(10) switch { 0 => ", ", 1 => ".\n", _ => " " });
            if (random.Next(50) == 0)
            {
                text.Append(random.Next(100_000));
            }
        }
        var gpt2 = Gpt2Reference.Tokenizer;
        var fresh = new ByteLevelBpeTokenizer(gpt2.Vocabulary, gpt2.Merges, gpt2.AddedTokens);
        var watch = Stopwatch.StartNew();
        int[] ids = fresh.Encode(text.ToString());
        watch.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"Encoding 1.2 MB took {watch.Elapsed.TotalMilliseconds:F0} ms.");
        Assert.Equal(text.ToString(), fresh.Decode(ids));
    }
}
