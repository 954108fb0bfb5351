using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Tensors;

public class GeneratorTests
{
    [Theory]
    [InlineData(0UL, 0x99EC5F36CB75F2B4UL, 0xBF6E1F784956452AUL, 0x1A5F849D4933E6E0UL)]
    [InlineData(42UL, 0x15780B2E0C2EC716UL, 0x6104D9866D113A7EUL, 0xAE17533239E499A1UL)]
    public void StreamIsXoshiro256StarStarSeededBySplitMix64(ulong seed, ulong first, ulong second, ulong third)
    {
        var g = new Generator(seed);
        Assert.Equal(first, g.NextUInt64());
        Assert.Equal(second, g.NextUInt64());
        Assert.Equal(third, g.NextUInt64());
    }

    [Fact]
    public void SameSeedGivesTheSameTensors()
    {
        Assert.Equal(Tensor.Randn([50], new Generator(7)).ToArray<float>(), Tensor.Randn([50], new Generator(7)).ToArray<float>());
        Assert.Equal(Tensor.Rand([50], new Generator(7)).ToArray<float>(), Tensor.Rand([50], new Generator(7)).ToArray<float>());
        Assert.Equal(Tensor.RandInt(-5, 5, [50], new Generator(7)).ToArray<long>(), Tensor.RandInt(-5, 5, [50], new Generator(7)).ToArray<long>());
    }

    [Fact]
    public void DifferentSeedsGiveDifferentTensors()
    {
        Assert.NotEqual(Tensor.Randn([20], new Generator(1)).ToArray<float>(), Tensor.Randn([20], new Generator(2)).ToArray<float>());
    }

    [Fact]
    public void SetStateResumesTheSequenceWhereGetStateLeftIt()
    {
        var g = new Generator(11);
        Tensor.Randn([7], g);
        ulong[] state = g.GetState();
        float[] expected = Tensor.Randn([9], g).ToArray<float>();
        long[] expectedInts = Tensor.RandInt(0, 100, [5], g).ToArray<long>();
        var resumed = new Generator(999);
        resumed.SetState(state);
        Assert.Equal(expected, Tensor.Randn([9], resumed).ToArray<float>());
        Assert.Equal(expectedInts, Tensor.RandInt(0, 100, [5], resumed).ToArray<long>());
        Assert.Equal(g.GetState(), resumed.GetState());
    }

    [Fact]
    public void GetStateIsACopyThatLaterDrawsDoNotChange()
    {
        var g = new Generator(3);
        ulong[] state = g.GetState();
        ulong[] copy = (ulong[])state.Clone();
        g.NextUInt64();
        Assert.Equal(copy, state);
        Assert.NotEqual(state, g.GetState());
    }

    [Fact]
    public void ManualSeedRestartsTheStream()
    {
        var g = new Generator(5);
        ulong first = g.NextUInt64();
        g.NextUInt64();
        g.ManualSeed(5);
        Assert.Equal(first, g.NextUInt64());
    }

    [Fact]
    public void SetStateRejectsAStateOfTheWrongLength()
    {
        var error = Assert.Throws<ForgeException>(() => new Generator().SetState([1UL, 2UL]));
        Assert.Contains("4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UniformAndNormalSamplesHaveTheExpectedMoments()
    {
        float[] uniform = Tensor.Rand([20000], new Generator(21)).ToArray<float>();
        Assert.All(uniform, v => Assert.InRange(v, 0f, 0.99999994f));
        Assert.InRange(uniform.Average(), 0.49, 0.51);
        float[] normal = Tensor.Randn([20000], new Generator(22)).ToArray<float>();
        double mean = normal.Average();
        double variance = normal.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(variance, 0.97, 1.03);
    }

    [Fact]
    public void RandIntStaysInItsRangeAndHitsEveryValue()
    {
        long[] values = Tensor.RandInt(-3, 4, [2000], new Generator(23)).ToArray<long>();
        Assert.All(values, v => Assert.InRange(v, -3, 3));
        Assert.Equal(7, values.Distinct().Count());
        Assert.Throws<ForgeException>(() => Tensor.RandInt(2, 2, [1]));
    }

    [Fact]
    public void ShuffleIsAReproduciblePermutation()
    {
        int[] a = Enumerable.Range(0, 30).ToArray();
        int[] b = Enumerable.Range(0, 30).ToArray();
        new Generator(8).Shuffle(a);
        new Generator(8).Shuffle(b);
        Assert.Equal(a, b);
        Assert.Equal(Enumerable.Range(0, 30), a.Order());
        Assert.NotEqual(Enumerable.Range(0, 30), a);
    }
}
