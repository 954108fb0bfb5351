using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Forge.Backends;
using Forge.Backends.Cpu;
using Forge.Benchmarking;
using Forge.Tensors;
using Forge.Models.Gpt2;

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
        var bench = new TrainingBenchmark(config, batch, seq);
        long tokens = (long)batch * seq;
        double flopsPerStep = bench.FlopsPerStep;

        Console.WriteLine($"GPT training step: preset {preset} ({bench.Model.ParameterCount:N0} parameters, {config.NLayer} layers, {config.NEmbd} wide, " +
            $"{config.NHead} heads, vocab {config.VocabSize}, dropout {config.ResidPdrop}), batch {batch} x seq {seq} = {tokens} tokens");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, {CpuParallel.Threads} kernel threads, Vector512 {Vector512.IsHardwareAccelerated}, " +
            $"Vector256 {Vector256.IsHardwareAccelerated}; {flopsPerStep / 1e9:F2} GFLOP per step (6·matmul params·tokens + attention)");

        TrainingResult r = bench.Run(steps, warmup);
        double median = r.MsPerStep, best = r.BestMsPerStep;
        Console.WriteLine();
        Console.WriteLine($"ms/step      median {F(median)}, best {F(best)}, worst {F(r.StepMs.Max())} over {steps} steps (loss {r.Loss:F4})");
        Console.WriteLine($"tokens/s     median {F(tokens / median * 1000)}, best {F(tokens / best * 1000)}");
        Console.WriteLine($"CPU time     {F(r.CpuMsPerStep)} ms/step over {CpuParallel.Threads} threads (mean): {F(tokens / r.CpuMsPerStep * 1000)} tokens and " +
            $"{F(flopsPerStep / r.CpuMsPerStep / 1e6)} GFLOP per CPU-second, which a busy machine distorts less than wall time; " +
            $"{F(r.KernelMsPerStep)} ms/step in the OS kernel (page faults on fresh memory)");
        Console.WriteLine($"GFLOP/s      median {F(flopsPerStep / median / 1e6)}, best {F(flopsPerStep / best / 1e6)}");
        Console.WriteLine($"allocations  {r.AllocatedBytesPerStep / (1 << 20):F2} MiB/step; GCs per step {r.GcsPerStep:F2} (gen2 {r.Gen2GcsPerStep:F2}); " +
            $"GC pauses {F(r.GcPauseMsPerStep)} ms/step; {F(r.PageFaultsPerStep)} page faults/step; " +
            $"memory pool holds {CpuMemoryPool.PooledBytes >> 20} MiB; peak RSS {F(r.PeakResidentMiB)} MiB");

        if (profileSteps > 0) Profile(bench, profileSteps, cli.Flag("--shapes"), top);
        return 0;
    }

    /// <summary>Runs steps under a <see cref="TimingBackend"/> and prints the time per kernel and the time outside kernels.</summary>
    private static void Profile(TrainingBenchmark bench, int steps, bool shapes, int top)
    {
        double total = 0;
        var report = TimingBackend.Measure(() =>
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < steps; i++) bench.Step();
            total = Stopwatch.GetElapsedTime(start).TotalMilliseconds / steps;
        }, shapes);
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

    private static string F(double value) => value.ToString(value >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
}
