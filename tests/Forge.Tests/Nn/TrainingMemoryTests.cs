using System.Diagnostics;
using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;
using Xunit;
using Xunit.Abstractions;
using F = Forge.Nn.Functional;

namespace Forge.Tests.Nn;

/// <summary>Runs the memory measurement alone, after the parallel tests, so that no other test changes the process's memory meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingMemoryGroup
{
    public const string Name = "Training memory";
}

/// <summary>
/// A training loop written the way users write it (no Dispose, no using on tensors) must reach a steady state: tensors, graphs
/// and gradients of finished steps are reclaimed by the garbage collector.
/// </summary>
[Collection(TrainingMemoryGroup.Name)]
public sealed class TrainingMemoryTests(ITestOutputHelper output)
{
    private const long JitAllowance = 16 << 20;

    private sealed class SmallModel(Generator generator) : Module<Tensor, Tensor>
    {
        public Linear Input { get; } = new(16, 32, generator: generator);

        public TransformerEncoderLayer Block { get; } = new(32, 4, 64, dropout: 0.1f, normFirst: true, generator: generator);

        public Linear Output { get; } = new(32, 8, generator: generator);

        protected override Tensor ForwardCore(Tensor input) => Output.Forward(Block.Forward(Input.Forward(input)));
    }

    /// <summary>
    /// The managed heap must stay within 5%. The working set may also grow by the code the JIT's tiering recompiles after step 100
    /// (5-15 MB, depending on the machine's load), so it gets 16 MB on top of 5%: a graph leaked every step would add far more over 900 steps.
    /// </summary>
    [Fact]
    public void MemoryAtStepThousandIsWithinFivePercentOfStepHundred()
    {
        var generator = new Generator(21);
        var model = new SmallModel(generator);
        var optimizer = new AdamW(model.Parameters(), learningRate: 1e-3);
        var clock = Stopwatch.StartNew();
        long workingSetAt100 = 0, managedAt100 = 0;
        for (int step = 1; step <= 1000; step++)
        {
            Tensor x = Tensor.Randn([4, 6, 16], generator);
            Tensor target = Tensor.RandInt(0, 8, [24], generator);
            Tensor loss = F.CrossEntropy(model.Forward(x).Reshape(-1, 8), target);
            model.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (step == 100) (workingSetAt100, managedAt100) = Measure();
        }
        var (workingSetAt1000, managedAt1000) = Measure();
        output.WriteLine($"working set {workingSetAt100 / 1e6:F1} MB → {workingSetAt1000 / 1e6:F1} MB; managed heap {managedAt100 / 1e6:F2} MB → {managedAt1000 / 1e6:F2} MB; {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(workingSetAt1000 < workingSetAt100 * 1.05 + JitAllowance, $"working set grew from {workingSetAt100} to {workingSetAt1000} bytes");
        Assert.True(managedAt1000 < managedAt100 * 1.05, $"managed heap grew from {managedAt100} to {managedAt1000} bytes");
    }

    /// <summary>
    /// The process's resident memory and the managed heap's size after full collections. The last collection is aggressive: it
    /// returns free heap memory to the system, which an ordinary one keeps committed in amounts that vary by several percent of
    /// the working set from one collection to the next.
    /// </summary>
    private static (long WorkingSet, long Managed) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return (process.WorkingSet64, managed);
    }
}
