using Forge.Autograd;
using Forge.Models.Gpt2;
using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Tensors;

[Collection(MemoryPoolGroup.Name)]
public sealed class TensorScopeTests
{
    private const int Large = (int)(CpuMemoryPool.MinimumBytes / 4) * 2;

    [Fact]
    public void TemporariesAreReleasedAndThrowWhenRead()
    {
        Tensor kept = Tensor.Ones([Large]);
        Tensor temporary, small, survivor, smallSurvivor;
        using (TensorScope.Begin())
        {
            temporary = kept.Mul(2);
            small = kept.Narrow(0, 0, 4).Mul(3);
            survivor = TensorScope.Keep(kept.Add(1));
            smallSurvivor = TensorScope.Keep(small.Add(1));
        }
        Assert.True(temporary.Storage.IsReleased);
        Assert.Throws<ForgeException>(() => temporary.ToArray<float>());
        Assert.True(small.Storage.IsReleased);
        Assert.Throws<ForgeException>(() => small.Item());
        Assert.Equal(2f, survivor.ToArray<float>()[Large - 1]);
        Assert.Equal([4f, 4f, 4f, 4f], smallSurvivor.ToArray<float>());
        Assert.Equal(1f, kept.ToArray<float>()[0]);
    }

    [Fact]
    public void SmallTemporariesOfOneScopeAreReusedByTheNext()
    {
        Tensor source = Tensor.Ones([7, 5]);
        Tensor first;
        using (TensorScope.Begin()) first = source.Mul(2);
        Tensor second;
        using (TensorScope.Begin())
        {
            second = source.Mul(3);
            Assert.Same(first.Storage.Owner, second.Storage.Owner);
            Assert.Equal(3f * 35, second.Sum().Item());
        }
    }

    [Fact]
    public void BackwardGivesIntermediateGradientsBackBeforeTheScopeEnds()
    {
        Tensor x = Tensor.Ones([Large]);
        x.RequiresGrad = true;
        TensorScope scope = TensorScope.Begin();
        Tensor y = x.Mul(2), z = y.Mul(3);
        Tensor w = z.Add(y);
        w.Sum().Backward();
        Assert.False(z.Storage.IsReleased);
        scope.Dispose();
        // The scope releases y, z and w, the two scalar factors, the sum and its seed gradient of 1: y's gradient (the sum of two
        // contributions, built in place) went back as soon as x's gradient was computed from it, and x's gradient is kept.
        Assert.Equal(7, scope.ReleasedCount);
        Assert.Equal(8f, x.Grad!.ToArray<float>()[Large - 1]);
    }

    [Fact]
    public void ReleasedMemoryIsReusedByTheNextScope()
    {
        Tensor source = Tensor.Ones([Large + 13]);
        TensorScope first = TensorScope.Begin();
        source.Mul(2);
        first.Dispose();
        Assert.Equal(2, first.ReleasedCount);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        using (TensorScope.Begin()) Assert.Equal(4f * (Large + 13), source.Mul(4).Sum().Item());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < Large * 2L, "the second product reused the pooled array");
    }

    [Fact]
    public void ScopesMustBeClosedInnermostFirst()
    {
        TensorScope outer = TensorScope.Begin();
        TensorScope inner = TensorScope.Begin();
        Assert.Throws<ForgeException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
    }
}

/// <summary>Runs alone: tests running beside it would take the pooled arrays its steps reuse.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryPoolGroup
{
    public const string Name = "Memory pool";
}

[Collection(MemoryPoolGroup.Name)]
public sealed class SteadyStateTrainingTests
{
    [Fact]
    public void TrainingStepAfterWarmUpAllocatesNoTensorMemory()
    {
        var config = new Gpt2Config { VocabSize = 512, NPositions = 64, NEmbd = 128, NLayer = 2, NHead = 4, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0 };
        var model = new Gpt2LanguageModel(config, seed: 3);
        model.Train();
        var optimizer = new AdamW(model.Parameters(), learningRate: 1e-3);
        var generator = new Generator(5);
        Tensor inputs = Tensor.RandInt(0, config.VocabSize, [4, 64], generator);
        Tensor targets = Tensor.RandInt(0, config.VocabSize, [4, 64], generator);
        long parameterBytes = model.ParameterCount * 4;
        var losses = new List<float>();
        long[] allocated = new long[4];
        for (int step = 0; step < allocated.Length; step++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            using (TensorScope.Begin())
            {
                optimizer.ZeroGrad(setToNone: false);
                Tensor loss = model.Loss(inputs, targets);
                loss.Backward();
                GradientClipping.ClipGradNorm(model.Parameters(), 1.0f);
                optimizer.Step();
                losses.Add(loss.Item());
            }
            allocated[step] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.True(allocated[0] > parameterBytes, "the first step allocates the gradients and the optimizer state");
        for (int step = 2; step < allocated.Length; step++)
        {
            // Fresh gradients alone would be the parameters' size (1.9 MB), and small tensors' memory another 180 KB; what is left
            // (about 220 KB; 365 KB before the engine stopped building LINQ iterators and fresh collections) is tensor and
            // autograd bookkeeping objects.
            Assert.True(allocated[step] < 288 * 1024,
                $"step {step} allocated {allocated[step]:N0} bytes, the model has {parameterBytes:N0} bytes of parameters");
        }
        Assert.True(losses[^1] < losses[0], "the steps still train the model");
    }
}

[Collection(MemoryPoolGroup.Name)]
public sealed class SteadyStateDecodingTests
{
    [Fact]
    public void DecodingATokenAllocatesOnlyItsTensorObjects()
    {
        var config = new Gpt2Config { VocabSize = 512, NPositions = 64, NEmbd = 128, NLayer = 2, NHead = 4 };
        var model = new Gpt2LanguageModel(config, seed: 3);
        model.Eval();
        var cache = new KeyValueCache(capacity: 32);
        Tensor token = Tensor.FromArray(new long[] { 7 }, 1, 1);
        long[] allocated = new long[12];
        using (GradMode.NoGrad())
        {
            for (int step = 0; step < allocated.Length; step++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                using (TensorScope.Begin()) model.Logits(token, cache).Sum().Item();
                allocated[step] = GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
        Assert.Equal(allocated.Length, cache.Length);
        for (int step = 4; step < allocated.Length; step++)
        {
            // Tensor memory comes from the pool and the cache was allocated up front; what a token allocates is the tensor
            // objects (results and views), their shape arrays and storage handles: about 35 KB for two layers (80 KB before
            // operations stopped building backward closures, LINQ iterators and detached copies outside a graph).
            Assert.True(allocated[step] < 48 * 1024, $"token {step} allocated {allocated[step]:N0} bytes");
        }
    }
}
