using Forge.Data;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Data;

public sealed class ExampleBatchSourceTests
{
    private static ExampleBatchSource<(int[] Indices, ulong Draw)> Source(int count = 10, int batch = 3, bool shuffle = true, bool dropLast = true) =>
        new(count, batch, (indices, generator) => ([.. indices], generator.NextUInt64()), shuffle, seed: 7, dropLast);

    [Fact]
    public void AnEpochVisitsEveryExampleAtMostOnceInAnOrderThatChangesPerEpoch()
    {
        var source = Source(count: 12, batch: 3);
        int[] first = [.. Enumerable.Range(0, 4).SelectMany(_ => source.NextBatch().Indices)];
        int[] second = [.. Enumerable.Range(0, 4).SelectMany(_ => source.NextBatch().Indices)];
        Assert.Equal(Enumerable.Range(0, 12), first.Order());
        Assert.Equal(Enumerable.Range(0, 12), second.Order());
        Assert.NotEqual(first, second);
        Assert.Equal(1, source.Epoch);
    }

    [Fact]
    public void WithoutDropLastTheShortLastBatchIsKeptInOrder()
    {
        var source = Source(count: 10, batch: 3, shuffle: false, dropLast: false);
        Assert.Equal(4, source.BatchesPerEpoch);
        Assert.Equal([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]], source.EpochBatches().Select(b => b.Indices));
    }

    [Fact]
    public void AResumedSourceGivesTheSameBatchesAndDraws()
    {
        var straight = Source();
        var expected = Enumerable.Range(0, 8).Select(_ => straight.NextBatch()).ToList();

        var first = Source();
        for (int i = 0; i < 5; i++) first.NextBatch();
        var resumed = Source();
        resumed.LoadStateDict(first.StateDict());
        var rest = Enumerable.Range(0, 3).Select(_ => resumed.NextBatch()).ToList();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[5 + i].Indices, rest[i].Indices);
            Assert.Equal(expected[5 + i].Draw, rest[i].Draw);
        }
    }

    [Fact]
    public void AStateFromDifferentDataIsRefused()
    {
        var state = Source(count: 10).StateDict();
        var error = Assert.Throws<ForgeException>(() => Source(count: 11).LoadStateDict(state));
        Assert.Contains("count", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => Source(count: 2, batch: 3));
    }
}
