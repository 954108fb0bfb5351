using System.Diagnostics;
using Forge.Backends;
using Forge.Models.Gpt2;
using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;

namespace Forge.Benchmarking;

/// <summary>
/// Times GPT-2 training steps as the Trainer runs them (forward, loss, backward, gradient clipping at 1.0, AdamW at lr 3e-4)
/// on random tokens, each step in a <see cref="TensorScope"/> with gradient buffers kept; or, with a step graph, the forward
/// and backward pass captured once into a <see cref="StepGraph"/> and replayed (clipping and AdamW run as they are).
/// </summary>
public sealed class TrainingBenchmark
{
    private readonly Tensor inputs, targets;
    private readonly IReadOnlyList<Parameter> parameters;
    private StepGraph? graph;
    private Tensor? graphLoss;

    /// <summary>
    /// A randomly initialized model of <paramref name="config"/> (seed 1) and random tokens of <paramref name="batch"/> × <paramref name="seq"/>;
    /// with <paramref name="useStepGraph"/>, the first step captures the forward and backward pass and later steps replay it.
    /// </summary>
    public TrainingBenchmark(Gpt2Config config, int batch, int seq, bool useStepGraph = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (batch < 1 || seq < 1) throw new ForgeException($"Batch and sequence length must be at least 1, found {batch} and {seq}.");
        if (seq > config.NPositions) throw new ForgeException($"Sequence length {seq} is longer than the model's {config.NPositions} positions.");
        Config = config;
        UsesStepGraph = useStepGraph;
        Batch = batch;
        Seq = seq;
        Model = new Gpt2LanguageModel(config, seed: 1);
        Model.Train();
        parameters = Model.Parameters();
        Optimizer = new AdamW(parameters, learningRate: 3e-4);
        var generator = new Generator(7);
        inputs = Tensor.RandInt(0, config.VocabSize, [batch, seq], generator);
        targets = Tensor.RandInt(0, config.VocabSize, [batch, seq], generator);
    }

    /// <summary>The model's configuration.</summary>
    public Gpt2Config Config { get; }

    /// <summary>Whether steps replay a captured <see cref="StepGraph"/> of the forward and backward pass.</summary>
    public bool UsesStepGraph { get; }

    /// <summary>Sequences per step.</summary>
    public int Batch { get; }

    /// <summary>Tokens per sequence.</summary>
    public int Seq { get; }

    /// <summary>The model being trained.</summary>
    public Gpt2LanguageModel Model { get; }

    /// <summary>Its optimizer.</summary>
    public AdamW Optimizer { get; }

    /// <summary>Floating-point operations of one step (see <see cref="TrainingFlops"/>).</summary>
    public double FlopsPerStep => TrainingFlops(Config, Batch, Seq);

    /// <summary>One training step; returns the loss.</summary>
    public double Step()
    {
        if (UsesStepGraph) return GraphStep();
        using var scope = TensorScope.Begin();
        Tensor loss = ForwardBackward();
        ClipAndUpdate();
        return loss.Item();
    }

    private double GraphStep()
    {
        if (graph is null) graph = StepGraph.Capture(() => graphLoss = ForwardBackward());
        else graph.Replay();
        ClipAndUpdate();
        return graphLoss!.Item();
    }

    /// <summary>Clears the gradients (keeping their buffers), computes the loss and its gradients; returns the loss.</summary>
    private Tensor ForwardBackward()
    {
        Optimizer.ZeroGrad(setToNone: false);
        Tensor loss = Model.Loss(inputs, targets);
        loss.Backward();
        return loss;
    }

    private void ClipAndUpdate() => Optimizer.Step(GradientClipping.ClipCoefficient(1.0f, GradientClipping.GetTotalNorm(parameters)));

    /// <summary>Runs <paramref name="warmup"/> untimed steps, then <paramref name="steps"/> timed ones.</summary>
    public TrainingResult Run(int steps, int warmup)
    {
        if (steps < 1 || warmup < 0) throw new ForgeException($"Need at least 1 timed step and no negative warm-up, found {steps} and {warmup}.");
        for (int i = 0; i < warmup; i++) Step();
        var times = new List<double>(steps);
        ProcessStats before = ProcessStats.Now();
        double loss = 0;
        for (int i = 0; i < steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            loss = Step();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        ProcessStats after = ProcessStats.Now();
        return new TrainingResult(times, (long)Batch * Seq, FlopsPerStep, loss, before, after, ProcessStats.PeakResidentMiB());
    }

    /// <summary>
    /// Runs <paramref name="steps"/> more steps through a <see cref="TimingBackend"/> keyed by operand shapes and returns each
    /// kernel's calls and milliseconds per step, slowest first (timing every call slows the steps a little).
    /// </summary>
    public IReadOnlyList<(string Kernel, double CallsPerStep, double MsPerStep)> Profile(int steps)
    {
        if (steps < 1) throw new ForgeException($"Need at least 1 profiled step, found {steps}.");
        var kernels = TimingBackend.Measure(() =>
        {
            for (int i = 0; i < steps; i++) Step();
        }, keyByShape: true);
        return [.. kernels.Select(k => (k.Kernel, k.Calls / (double)steps, k.Seconds * 1000 / steps))];
    }

    /// <summary>
    /// Floating-point operations of one training step: 6 per matmul weight per token (forward 2, backward 4) plus the attention
    /// products (query·keyᵀ and weights·value, 2·2·seq·width per token per layer forward, three times that with backward).
    /// </summary>
    public static double TrainingFlops(Gpt2Config config, int batch, int seq)
    {
        ArgumentNullException.ThrowIfNull(config);
        double width = config.NEmbd, inner = config.InnerSize;
        double perLayer = width * 3 * width + width * width + 2 * width * inner;
        double matmulParams = config.NLayer * perLayer + (double)config.VocabSize * width;
        double tokens = (double)batch * seq;
        return 6 * matmulParams * tokens + 12.0 * config.NLayer * seq * width * tokens;
    }
}

/// <summary>What <see cref="TrainingBenchmark.Run"/> measured.</summary>
public sealed class TrainingResult
{
    internal TrainingResult(List<double> stepMs, long tokensPerStep, double flopsPerStep, double loss, ProcessStats before, ProcessStats after, double peakResidentMiB)
    {
        int steps = stepMs.Count;
        StepMs = stepMs;
        MsPerStep = Timings.Median(stepMs);
        BestMsPerStep = stepMs.Min();
        TokensPerSecond = tokensPerStep / MsPerStep * 1000;
        Gflops = flopsPerStep / MsPerStep / 1e6;
        Loss = loss;
        CpuMsPerStep = (after.ProcessorTime - before.ProcessorTime).TotalMilliseconds / steps;
        KernelMsPerStep = (after.KernelTime - before.KernelTime).TotalMilliseconds / steps;
        AllocatedBytesPerStep = (after.AllocatedBytes - before.AllocatedBytes) / (double)steps;
        GcsPerStep = (after.Gen0 - before.Gen0) / (double)steps;
        Gen2GcsPerStep = (after.Gen2 - before.Gen2) / (double)steps;
        GcPauseMsPerStep = (after.GcPauses - before.GcPauses).TotalMilliseconds / steps;
        PageFaultsPerStep = (after.PageFaults - before.PageFaults) / (double)steps;
        PeakResidentMiB = peakResidentMiB;
    }

    /// <summary>Wall time of each timed step, ms.</summary>
    public IReadOnlyList<double> StepMs { get; }

    /// <summary>Median wall time per step, ms.</summary>
    public double MsPerStep { get; }

    /// <summary>Fastest step, ms.</summary>
    public double BestMsPerStep { get; }

    /// <summary>Tokens per second at the median step time.</summary>
    public double TokensPerSecond { get; }

    /// <summary>GFLOP/s at the median step time.</summary>
    public double Gflops { get; }

    /// <summary>The loss of the last step.</summary>
    public double Loss { get; }

    /// <summary>Processor time per step summed over threads, ms (less distorted by other work on the machine than wall time).</summary>
    public double CpuMsPerStep { get; }

    /// <summary>The part of <see cref="CpuMsPerStep"/> spent in the OS kernel (page faults on fresh memory), ms.</summary>
    public double KernelMsPerStep { get; }

    /// <summary>Managed bytes allocated per step.</summary>
    public double AllocatedBytesPerStep { get; }

    /// <summary>Garbage collections (of any generation) per step.</summary>
    public double GcsPerStep { get; }

    /// <summary>Full (generation 2) collections per step.</summary>
    public double Gen2GcsPerStep { get; }

    /// <summary>Time the collector paused the program per step, ms.</summary>
    public double GcPauseMsPerStep { get; }

    /// <summary>Minor page faults per step (Linux).</summary>
    public double PageFaultsPerStep { get; }

    /// <summary>Peak resident memory of the process, MiB.</summary>
    public double PeakResidentMiB { get; }

    /// <summary>Model FLOPs utilization: <see cref="Gflops"/> over <paramref name="peak"/>.</summary>
    public double Mfu(CpuPeak peak)
    {
        ArgumentNullException.ThrowIfNull(peak);
        return Gflops / peak.Gflops;
    }
}
