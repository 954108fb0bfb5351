using Forge.Backends;
using Forge.Models.Gpt2;
using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Tensors;

[Collection(MemoryPoolGroup.Name)]
public sealed class StepGraphTests
{
    /// <summary>A two-layer GPT-2 with dropout on (0.1 everywhere), so replays must draw new masks and attention seeds.</summary>
    private static readonly Gpt2Config Config = new() { VocabSize = 256, NPositions = 32, NEmbd = 64, NLayer = 2, NHead = 4 };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ReplayedStepsTrainExactlyAsEagerStepsOnChangingBatches(int microBatches)
    {
        var generator = new Generator(11);
        var batches = Enumerable.Range(0, 4)
            .Select(_ => (Tensor.RandInt(0, Config.VocabSize, [2, 32], generator), Tensor.RandInt(0, Config.VocabSize, [2, 32], generator))).ToList();
        (List<float> eagerLosses, List<float[]> eagerParameters) = Train(batches, microBatches, useGraph: false);
        (List<float> graphLosses, List<float[]> graphParameters) = Train(batches, microBatches, useGraph: true);
        Assert.Equal(eagerLosses, graphLosses);
        Assert.Equal(eagerParameters.Count, graphParameters.Count);
        for (int i = 0; i < eagerParameters.Count; i++) Assert.Equal(eagerParameters[i], graphParameters[i]);
    }

    /// <summary>
    /// Steps of <paramref name="microBatches"/> forward and backward passes over each batch (accumulated, with new dropout masks):
    /// with two, the second pass's temporaries reuse the first's memory, including the position ids the host wrote.
    /// </summary>
    private static (List<float> Losses, List<float[]> Parameters) Train(List<(Tensor Inputs, Tensor Targets)> batches, int microBatches, bool useGraph)
    {
        var model = new Gpt2LanguageModel(Config, seed: 3);
        model.Train();
        var parameters = model.Parameters();
        var optimizer = new AdamW(parameters, learningRate: 1e-3);
        Tensor inputs = batches[0].Inputs.Clone(), targets = batches[0].Targets.Clone();
        var losses = new List<float>();
        Tensor? loss = null;
        StepGraph? graph = null;
        void ForwardBackward()
        {
            optimizer.ZeroGrad(setToNone: false);
            for (int i = 0; i < microBatches; i++)
            {
                loss = model.Loss(inputs, targets);
                loss.Div(microBatches).Backward();
            }
        }
        foreach ((Tensor batchInputs, Tensor batchTargets) in batches)
        {
            inputs.CopyFrom(batchInputs);
            targets.CopyFrom(batchTargets);
            if (!useGraph)
            {
                using (TensorScope.Begin())
                {
                    ForwardBackward();
                    optimizer.Step(GradientClipping.ClipCoefficient(1f, GradientClipping.GetTotalNorm(parameters)));
                    losses.Add(loss!.Item());
                }
                continue;
            }
            if (graph is null)
            {
                graph = StepGraph.Capture(ForwardBackward);
            }
            else
            {
                // Gradients set to none between replays are set again by the replay.
                optimizer.ZeroGrad(setToNone: true);
                graph.Replay();
            }
            optimizer.Step(GradientClipping.ClipCoefficient(1f, GradientClipping.GetTotalNorm(parameters)));
            losses.Add(loss!.Item());
        }
        graph?.Dispose();
        return (losses, [.. parameters.Select(p => p.ToArray<float>())]);
    }

    [Fact]
    public void ReplayedStepAndOptimizerStepAllocateNothing()
    {
        var model = new Gpt2LanguageModel(Config, seed: 3);
        model.Train();
        var parameters = model.Parameters();
        var optimizer = new AdamW(parameters, learningRate: 1e-3);
        var generator = new Generator(5);
        Tensor inputs = Tensor.RandInt(0, Config.VocabSize, [2, 32], generator), targets = Tensor.RandInt(0, Config.VocabSize, [2, 32], generator);
        Tensor? loss = null;
        using var graph = StepGraph.Capture(() =>
        {
            optimizer.ZeroGrad(setToNone: false);
            loss = model.Loss(inputs, targets);
            loss.Backward();
        });
        var allocated = new long[5];
        var losses = new float[allocated.Length];
        for (int step = 0; step < allocated.Length; step++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            graph.Replay();
            optimizer.Step(GradientClipping.ClipCoefficient(1f, GradientClipping.GetTotalNorm(parameters)));
            losses[step] = loss!.Item();
            allocated[step] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        // The first replays compile and cache the reflection invokers; after that a step allocates nothing at all.
        Assert.All(allocated[3..], bytes => Assert.Equal(0, bytes));
        Assert.True(losses[^1] < losses[0], "the replayed steps train the model");
        Assert.True(graph.KernelCount > 50, $"the step recorded {graph.KernelCount} kernels");
    }

    [Fact]
    public void AStepCapturedBeforeAnyGradientExistsRecordsNoMoreKernelsThanOneCapturedLater()
    {
        var generator = new Generator(4);
        Tensor inputs = Tensor.RandInt(0, Config.VocabSize, [2, 16], generator), targets = Tensor.RandInt(0, Config.VocabSize, [2, 16], generator);
        int Capture(bool afterAnEagerStep)
        {
            var model = new Gpt2LanguageModel(Config, seed: 3);
            var optimizer = new AdamW(model.Parameters());
            void ForwardBackward()
            {
                optimizer.ZeroGrad(setToNone: false);
                model.Loss(inputs, targets).Backward();
            }
            if (afterAnEagerStep)
            {
                using (TensorScope.Begin()) ForwardBackward();
            }
            using var graph = StepGraph.Capture(ForwardBackward);
            return graph.KernelCount;
        }
        // A first gradient the engine would free next is kept as it is, not copied: a copy would be replayed at every step.
        Assert.Equal(Capture(afterAnEagerStep: true), Capture(afterAnEagerStep: false));
    }

    [Fact]
    public void CaptureRefusesHostReadsAndRestoresTheBackend()
    {
        IBackend backend = BackendRegistry.Cpu;
        Tensor x = Tensor.Ones([4]);
        var error = Assert.Throws<StepGraphCaptureException>(() => StepGraph.Capture(() => x.Mul(2f).Sum().Item()));
        Assert.Contains("host", error.Message);
        Assert.Same(backend, BackendRegistry.Cpu);
        Assert.Throws<StepGraphCaptureException>(() => StepGraph.Capture(() => Tensor.Rand([3])));
        using StepGraph graph = StepGraph.Capture(() => x.MulInPlace(2f));
        graph.Replay();
        Assert.Equal([4f, 4f, 4f, 4f], x.ToArray<float>());
    }

    [Fact]
    public void CaptureRefusesKernelsThatReturnAValueToTheHost()
    {
        var parameter = new Parameter(Tensor.Ones([3]));
        parameter.Grad = Tensor.Ones([3]);
        var error = Assert.Throws<StepGraphCaptureException>(() => StepGraph.Capture(() => GradientClipping.GetTotalNorm([parameter])));
        Assert.Contains("Norm", error.Message);
    }

    [Fact]
    public void ReplayWithBadInputsThrowsTheKernelsOwnErrors()
    {
        var embedding = new Parameter(Tensor.Ones([5, 2]));
        Tensor tokens = Tensor.FromArray(new long[] { 1, 2 });
        Tensor targets = Tensor.FromArray(new long[] { 0, 1 });
        using StepGraph graph = StepGraph.Capture(() =>
            Forge.Nn.Functional.CrossEntropy(Forge.Nn.Functional.Embedding(tokens, embedding), targets).Backward());
        graph.Replay();
        targets.CopyFrom(Tensor.FromArray(new long[] { 0, 7 }));
        Assert.Throws<ForgeException>(graph.Replay);
        targets.CopyFrom(Tensor.FromArray(new long[] { 0, 1 }));
        tokens.CopyFrom(Tensor.FromArray(new long[] { 1, 9 }));
        var error = Assert.Throws<ForgeException>(graph.Replay);
        Assert.Contains("Embedding index 9", error.Message);
    }

    [Fact]
    public void DisposingReleasesTheStepsTemporariesButKeepsGradients()
    {
        var weight = new Parameter(Tensor.Ones([3]));
        Tensor input = Tensor.FromArray(new[] { 1f, 2f, 3f });
        Tensor? product = null;
        StepGraph graph = StepGraph.Capture(() =>
        {
            product = weight.Mul(input);
            product.Sum().Backward();
        });
        input.CopyFrom(Tensor.FromArray(new[] { 4f, 5f, 6f }));
        weight.Grad = null;
        graph.Replay();
        Assert.Equal([4f, 5f, 6f], weight.Grad!.ToArray<float>());
        graph.Dispose();
        Assert.Throws<ForgeException>(() => product!.ToArray<float>());
        Assert.Equal([4f, 5f, 6f], weight.Grad!.ToArray<float>());
        Assert.Throws<ObjectDisposedException>(graph.Replay);
    }
}
