using Forge.Models.Gpt2;
using Forge.Nn;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Nn;

public sealed class KeyValueCacheTests
{
    [Fact]
    public void AFixedCacheReservesPositionsWithAMaskHidingThoseNotFilled()
    {
        var cache = new KeyValueCache(5, fixedShapes: true);
        Assert.True(cache.FixedShapes);
        TensorAssert.Equal(new long[] { 0, 1 }, cache.Reserve(2));
        float inf = float.NegativeInfinity;
        TensorAssert.Equal(new float[] { 0, inf, inf, inf, inf, 0, 0, inf, inf, inf }, cache.Mask);
        Assert.Equal(2, cache.Length);
        TensorAssert.Equal(new long[] { 2 }, cache.Reserve(1));
        TensorAssert.Equal(new float[] { 0, 0, 0, inf, inf }, cache.Mask);
        Assert.Equal(3, cache.Length);
        cache.Clear();
        Assert.Equal(0, cache.Length);
        TensorAssert.Equal(new long[] { 0 }, cache.Reserve(1));
    }

    [Fact]
    public void AFixedCacheWritesAtTheReservedPositionsAndHandsOutItsWholeBuffers()
    {
        var cache = new KeyValueCache(4, fixedShapes: true);
        cache.Reserve(2);
        Tensor first = Tensor.Arange(1, 5).To(DType.Float32).Reshape(1, 1, 2, 2);
        var (keys, _) = cache.Append(0, first, first.Neg());
        Assert.Equal([1, 1, 4, 2], keys.Shape);
        cache.Reserve(1);
        var (_, values) = cache.Append(0, Tensor.Full([1, 1, 1, 2], 9), Tensor.Full([1, 1, 1, 2], -9));
        TensorAssert.Equal(new float[] { -1, -2, -3, -4, -9, -9, 0, 0 }, values);
    }

    [Fact]
    public void AFixedCacheRejectsWhatItCannotDo()
    {
        var cache = new KeyValueCache(3, fixedShapes: true);
        Tensor one = Tensor.Zeros(1, 1, 1, 2);
        Assert.Contains("Reserve", Assert.Throws<ForgeException>(() => cache.Append(0, one, one)).Message, StringComparison.Ordinal);
        cache.Reserve(2);
        Assert.Contains("do not fit", Assert.Throws<ForgeException>(() => cache.Reserve(2)).Message, StringComparison.Ordinal);
        Assert.Throws<ForgeException>(() => cache.Reorder([0]));
        Assert.Throws<ForgeException>(() => new KeyValueCache().Reserve(1));
    }

    [Fact]
    public void AStepCannotBeCapturedBeforeTheFixedCacheHoldsItsBuffers()
    {
        var model = new Gpt2LanguageModel(new Gpt2Config { VocabSize = 11, NPositions = 8, NEmbd = 8, NLayer = 1, NHead = 2 }, seed: 1);
        model.Eval();
        var cache = new KeyValueCache(8, fixedShapes: true);
        Tensor ids = Tensor.Zeros([1, 1], DType.Int64);
        var error = Assert.Throws<StepGraphCaptureException>(() => StepGraph.Capture(() => model.Logits(ids, cache)));
        Assert.Contains("run one step", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AReplayedStepFillsItsOwnPositionsAfterAReservationOfAnotherCount()
    {
        var model = new Gpt2LanguageModel(new Gpt2Config { VocabSize = 11, NPositions = 8, NEmbd = 8, NLayer = 1, NHead = 2 }, seed: 1);
        model.Eval();
        var replayed = new KeyValueCache(8, fixedShapes: true);
        var growing = new KeyValueCache(8);
        Tensor Feed(KeyValueCache cache, params long[] ids) => model.Logits(Tensor.FromArray(ids, 1, ids.Length), cache);
        Feed(replayed, 1, 2);
        Feed(growing, 1, 2);
        Tensor one = Tensor.FromArray(new long[] { 3 }, 1, 1), logits = null!;
        using var graph = StepGraph.Capture(() => logits = model.Logits(one, replayed));
        Feed(growing, 3);
        // Two positions reserved eagerly in between replace the cache's one-position tensors; the replay keeps its own.
        Feed(replayed, 4, 5);
        Feed(growing, 4, 5);
        one.CopyFrom(Tensor.FromArray(new long[] { 6 }, 1, 1));
        graph.Replay();
        TensorAssert.Close(Feed(growing, 6), logits, rtol: 1e-5, atol: 1e-5);
        Assert.Equal(6, replayed.Length);
    }
}
