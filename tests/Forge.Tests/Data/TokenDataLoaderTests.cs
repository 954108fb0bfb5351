using System.Text.Json.Nodes;
using Forge.Data;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Data;

public sealed class TokenDataLoaderTests
{
    // 101 tokens hold 25 windows of 4 (+1) tokens: 6 batches of 4 per epoch, one window left out.
    private static TokenDataset Range(int count = 101) => new(Enumerable.Range(0, count).ToArray());

    private static TokenDataLoader Loader(ulong seed = 7, bool shuffle = true, TokenDataset? dataset = null) =>
        new(dataset ?? Range(), batchSize: 4, sequenceLength: 4, shuffle, seed);

    private static long[] Take(TokenDataLoader loader, int count) =>
        [.. Enumerable.Range(0, count).SelectMany(_ => loader.Next().Input.ToArray<long>())];

    /// <summary>The window index of each row of a batch (rows start at window * sequenceLength in a Range dataset).</summary>
    private static int[] Windows(Tensor input) => [.. input.ToArray<long>().Chunk(4).Select(row => (int)row[0] / 4)];

    [Fact]
    public void BatchesAreInt64WindowsWhoseTargetsAreInputsShiftedByOne()
    {
        var loader = Loader();
        Assert.Equal(6, loader.BatchesPerEpoch);
        var (input, target) = loader.Next();
        Assert.Equal(DType.Int64, input.DType);
        Assert.Equal(DType.Int64, target.DType);
        Assert.Equal([4, 4], input.Shape);
        Assert.Equal([4, 4], target.Shape);
        long[] inputs = input.ToArray<long>(), targets = target.ToArray<long>();
        foreach (var (row, rowTarget) in inputs.Chunk(4).Zip(targets.Chunk(4)))
        {
            Assert.Equal(0, row[0] % 4);
            Assert.Equal(Enumerable.Range((int)row[0], 4).Select(v => (long)v), row);
            Assert.Equal(row.Select(v => v + 1), rowTarget);
        }
    }

    [Fact]
    public void UnshuffledLoaderVisitsWindowsInStreamOrderThenStartsOver()
    {
        var loader = Loader(shuffle: false);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            for (int batch = 0; batch < loader.BatchesPerEpoch; batch++)
            {
                Assert.Equal(Enumerable.Range(batch * 4, 4), Windows(loader.Next().Input));
                Assert.Equal((epoch, batch + 1), (loader.Epoch, loader.Position));
            }
        }
    }

    [Fact]
    public void EachEpochVisitsDistinctWindowsInANewOrder()
    {
        var loader = Loader();
        var epochs = new List<int[]>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            int[] windows = [.. Enumerable.Range(0, loader.BatchesPerEpoch).SelectMany(_ => Windows(loader.Next().Input))];
            Assert.Equal(24, windows.Distinct().Count());
            Assert.All(windows, w => Assert.InRange(w, 0, 24));
            epochs.Add(windows);
        }
        Assert.NotEqual(Enumerable.Range(0, 24), epochs[0]);
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(epochs[1], epochs[2]);
    }

    [Fact]
    public void OrderIsAFunctionOfTheSeed()
    {
        Assert.Equal(Take(Loader(seed: 3), 20), Take(Loader(seed: 3), 20));
        Assert.NotEqual(Take(Loader(seed: 3), 20), Take(Loader(seed: 4), 20));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(13)]
    public void ResumedLoaderSeesExactlyTheBatchesOfAnUninterruptedRun(int before)
    {
        const int total = 20;
        var uninterrupted = Loader(seed: 11);
        var all = Enumerable.Range(0, total).Select(_ => uninterrupted.Next()).ToList();

        var interrupted = Loader(seed: 11);
        for (int i = 0; i < before; i++) interrupted.Next();
        string saved = interrupted.StateDict().ToJsonString();

        var resumed = Loader(seed: 999);
        resumed.LoadStateDict(JsonNode.Parse(saved)!.AsObject());
        Assert.Equal(11UL, resumed.Seed);
        Assert.Equal((interrupted.Epoch, interrupted.Position), (resumed.Epoch, resumed.Position));
        for (int i = before; i < total; i++)
        {
            var (input, target) = resumed.Next();
            Assert.Equal(all[i].Input.ToArray<long>(), input.ToArray<long>());
            Assert.Equal(all[i].Target.ToArray<long>(), target.ToArray<long>());
        }
    }

    [Fact]
    public void StateDictObjectLoadsWithoutSerialization()
    {
        var loader = Loader(seed: 5);
        Take(loader, 8);
        var resumed = Loader(seed: 0);
        resumed.LoadStateDict(loader.StateDict());
        Assert.Equal(Take(loader, 5), Take(resumed, 5));
    }

    [Fact]
    public void GetBatchDoesNotMoveTheLoader()
    {
        var loader = Loader();
        var peek = loader.GetBatch(1, 2);
        Assert.Equal((0, 0), (loader.Epoch, loader.Position));
        Take(loader, 8);
        Assert.Equal(peek.Input.ToArray<long>(), loader.Next().Input.ToArray<long>());
    }

    [Theory]
    [InlineData("batch_size", 2)]
    [InlineData("sequence_length", 2)]
    [InlineData("tokens", 5)]
    [InlineData("fingerprint", 5)]
    public void StateOfADifferentConfigurationIsRejected(string key, int value)
    {
        JsonObject state = Loader().StateDict();
        state[key] = key == "fingerprint" ? "0123456789abcdef" : value;
        var error = Assert.Throws<ForgeException>(() => Loader().LoadStateDict(state));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StateOfOtherDataOrOutOfRangeIsRejected()
    {
        JsonObject other = new TokenDataLoader(new TokenDataset(Enumerable.Range(1, 101).ToArray()), 4, 4).StateDict();
        Assert.Contains("fingerprint", Assert.Throws<ForgeException>(() => Loader().LoadStateDict(other)).Message, StringComparison.Ordinal);
        JsonObject state = Loader().StateDict();
        state["position"] = 7;
        Assert.Contains("[0, 6]", Assert.Throws<ForgeException>(() => Loader().LoadStateDict(state)).Message, StringComparison.Ordinal);
        state.Remove("position");
        Assert.Contains("'position'", Assert.Throws<ForgeException>(() => Loader().LoadStateDict(state)).Message, StringComparison.Ordinal);
        state["type"] = "StepLR";
        Assert.Contains("StepLR", Assert.Throws<ForgeException>(() => Loader().LoadStateDict(state)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DatasetTooSmallForOneBatchIsAForgeException()
    {
        var error = Assert.Throws<ForgeException>(() => new TokenDataLoader(Range(16), batchSize: 4, sequenceLength: 4));
        Assert.Contains("3 windows", error.Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => new TokenDataLoader(Range(), batchSize: 0, sequenceLength: 4));
        Assert.Throws<ForgeException>(() => Loader().GetBatch(0, 6));
    }
}
