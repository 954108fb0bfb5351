using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Forge.Backends;
using Forge.Backends.Cpu;
using Forge.Models.Gpt2;
using Forge.Optim;
using Forge.Tensors;

namespace Forge.Benchmarks;

/// <summary>
/// <c>gpt-step</c>: times full GPT-2 training steps (forward, loss, backward, gradient clipping, AdamW) on random tokens and
/// breaks the time down by kernel with <see cref="TimingBackend"/>.
/// </summary>
internal static class GptStepBenchmark
{
    private const string Usage = "gpt-step [--preset gpt-nano] [--vocab 4096] [--dropout P] [--batch 8] [--seq 128] [--steps 10] [--warmup 2] [--threads N] [--profile-steps 3] [--shapes] [--top 25]";

    public static int Run(string[] args)
    {
        var cli = new CommandLine(args, "--shapes", "--help");
        if (cli.Flag("--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        string preset = cli.Text("--preset", "gpt-nano");
        int batch = cli.Int("--batch", 8), seq = cli.Int("--seq", 128), steps = cli.Int("--steps", 10), warmup = cli.Int("--warmup", 2);
        int profileSteps = cli.Int("--profile-steps", 3), top = cli.Int("--top", 25);
        CpuParallel.Threads = cli.Int("--threads", CpuParallel.Threads);

        Gpt2Config config = Gpt2Config.Preset(preset) with { VocabSize = cli.Int("--vocab", 4096) };
        if (cli.Text("--dropout", "") is { Length: > 0 } dropoutText)
        {
            float dropout = float.Parse(dropoutText, CultureInfo.InvariantCulture);
            config = config with { ResidPdrop = dropout, EmbdPdrop = dropout, AttnPdrop = dropout };
        }
        var model = new Gpt2LanguageModel(config, seed: 1);
        model.Train();
        var optimizer = new AdamW(model.Parameters(), learningRate: 3e-4);
        var generator = new Generator(7);
        Tensor inputs = Tensor.RandInt(0, config.VocabSize, [batch, seq], generator);
        Tensor targets = Tensor.RandInt(0, config.VocabSize, [batch, seq], generator);
        long tokens = (long)batch * seq;
        double flopsPerStep = TrainingFlops(config, batch, seq);

        Console.WriteLine($"GPT training step: preset {preset} ({model.ParameterCount:N0} parameters, {config.NLayer} layers, {config.NEmbd} wide, " +
            $"{config.NHead} heads, vocab {config.VocabSize}, dropout {config.ResidPdrop}), batch {batch} x seq {seq} = {tokens} tokens");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, {CpuParallel.Threads} kernel threads, Vector512 {Vector512.IsHardwareAccelerated}, " +
            $"Vector256 {Vector256.IsHardwareAccelerated}; {flopsPerStep / 1e9:F2} GFLOP per step (6·matmul params·tokens + attention)");

        for (int i = 0; i < warmup; i++) Step(model, optimizer, inputs, targets);

        var times = new List<double>();
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        TimeSpan pauses = GC.GetTotalPauseDuration();
        long faults = MinorPageFaults();
        using var process = Process.GetCurrentProcess();
        TimeSpan cpuStart = process.TotalProcessorTime, kernelStart = process.PrivilegedProcessorTime;
        double loss = 0;
        for (int i = 0; i < steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            loss = Step(model, optimizer, inputs, targets);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        process.Refresh();
        double cpuPerStep = (process.TotalProcessorTime - cpuStart).TotalMilliseconds / steps;
        double kernelPerStep = (process.PrivilegedProcessorTime - kernelStart).TotalMilliseconds / steps;
        double allocatedPerStep = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)steps;
        double gcs0 = (GC.CollectionCount(0) - gen0) / (double)steps, gcs1 = (GC.CollectionCount(1) - gen1) / (double)steps;
        double gcs2 = (GC.CollectionCount(2) - gen2) / (double)steps;
        double pauseMs = (GC.GetTotalPauseDuration() - pauses).TotalMilliseconds / steps;
        double faultsPerStep = (MinorPageFaults() - faults) / (double)steps;

        times.Sort();
        double median = times[times.Count / 2], best = times[0];
        Console.WriteLine();
        Console.WriteLine($"ms/step      median {F(median)}, best {F(best)}, worst {F(times[^1])} over {steps} steps (loss {loss:F4})");
        Console.WriteLine($"tokens/s     median {F(tokens / median * 1000)}, best {F(tokens / best * 1000)}");
        Console.WriteLine($"CPU time     {F(cpuPerStep)} ms/step over {CpuParallel.Threads} threads (mean): {F(tokens / cpuPerStep * 1000)} tokens and " +
            $"{F(flopsPerStep / cpuPerStep / 1e6)} GFLOP per CPU-second, which a busy machine distorts less than wall time; " +
            $"{F(kernelPerStep)} ms/step in the OS kernel (page faults on fresh memory)");
        Console.WriteLine($"GFLOP/s      median {F(flopsPerStep / median / 1e6)}, best {F(flopsPerStep / best / 1e6)}");
        Console.WriteLine($"allocations  {allocatedPerStep / (1 << 20):F1} MiB/step; GCs per step: gen0 {gcs0:F2}, gen1 {gcs1:F2}, gen2 {gcs2:F2}; " +
            $"GC pauses {F(pauseMs)} ms/step; {F(faultsPerStep)} page faults/step; " +
            $"memory pool holds {CpuMemoryPool.PooledBytes >> 20} MiB");

        if (profileSteps > 0) Profile(model, optimizer, inputs, targets, profileSteps, cli.Flag("--shapes"), top);
        return 0;
    }

    /// <summary>One training step as the Trainer runs it; returns the loss.</summary>
    private static double Step(Gpt2LanguageModel model, AdamW optimizer, Tensor inputs, Tensor targets)
    {
        using var scope = TensorScope.Begin();
        optimizer.ZeroGrad(setToNone: false);
        Tensor loss = model.Loss(inputs, targets);
        loss.Backward();
        GradientClipping.ClipGradNorm(model.Parameters(), 1.0f);
        optimizer.Step();
        return loss.Item();
    }

    /// <summary>Runs steps under a <see cref="TimingBackend"/> and prints the time per kernel and the time outside kernels.</summary>
    private static void Profile(Gpt2LanguageModel model, AdamW optimizer, Tensor inputs, Tensor targets, int steps, bool shapes, int top)
    {
        IBackend timed = TimingBackend.Wrap(BackendRegistry.Cpu, shapes);
        IBackend previous = BackendRegistry.UseCpu(timed);
        double total;
        try
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < steps; i++) Step(model, optimizer, inputs, targets);
            total = Stopwatch.GetElapsedTime(start).TotalMilliseconds / steps;
        }
        finally
        {
            BackendRegistry.UseCpu(previous);
        }
        var report = ((TimingBackend)(object)timed).Report();
        double kernels = report.Sum(r => r.Seconds) * 1000 / steps;
        Console.WriteLine();
        Console.WriteLine($"Per-kernel time over {steps} profiled steps ({F(total)} ms/step with timing; kernels {F(kernels)} ms, outside kernels {F(total - kernels)} ms):");
        Console.WriteLine($"  {"kernel",-72} {"calls",7} {"ms/step",9} {"share",6}");
        foreach (var (kernel, calls, seconds) in report.Take(top))
        {
            double ms = seconds * 1000 / steps;
            Console.WriteLine($"  {kernel,-72} {calls / (double)steps,7:F0} {F(ms),9} {ms / total,6:P1}");
        }
        if (report.Count > top)
        {
            double rest = report.Skip(top).Sum(r => r.Seconds) * 1000 / steps;
            Console.WriteLine($"  {$"({report.Count - top} more)",-72} {"",7} {F(rest),9} {rest / total,6:P1}");
        }
    }

    /// <summary>
    /// Floating-point operations of one training step: 6 per matmul weight per token (forward 2, backward 4) plus the attention
    /// products (query·keyᵀ and weights·value, 2·2·seq·width per token per layer forward, three times that with backward).
    /// </summary>
    public static double TrainingFlops(Gpt2Config config, int batch, int seq)
    {
        double width = config.NEmbd, inner = config.InnerSize;
        double perLayer = width * 3 * width + width * width + 2 * width * inner;
        double matmulParams = config.NLayer * perLayer + (double)config.VocabSize * width;
        double tokens = (double)batch * seq;
        return 6 * matmulParams * tokens + 12.0 * config.NLayer * seq * width * tokens;
    }

    /// <summary>The process's minor page faults so far (Linux /proc/self/stat field 10; 0 elsewhere).</summary>
    private static long MinorPageFaults()
    {
        const string stat = "/proc/self/stat";
        if (!File.Exists(stat)) return 0;
        string text = File.ReadAllText(stat);
        string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }

    private static string F(double value) => value.ToString(value >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
}
