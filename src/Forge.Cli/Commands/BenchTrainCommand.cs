using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Forge.Backends.Cpu;
using Forge.Benchmarking;
using Forge.Models.Gpt2;

namespace Forge.Cli.Commands;

/// <summary><c>forge bench train</c>: GPT-2 training steps (forward, backward, clipping, AdamW) on random tokens.</summary>
internal sealed class BenchTrainCommand : CliCommand
{
    private readonly Option<string> preset = new("--preset") { Description = "Model preset: " + string.Join(", ", Gpt2Config.Presets.Keys) + ".", DefaultValueFactory = _ => "gpt2" };
    private readonly Option<int> batch = new("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 4 };
    private readonly Option<int> sequence = new("--seq") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 64 };
    private readonly Option<int> steps = new("--steps") { Description = "Timed steps (the median is reported).", DefaultValueFactory = _ => 5 };
    private readonly Option<int> warmup = new("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 2 };
    private readonly Option<int?> vocab = new("--vocab") { Description = "Vocabulary size (default: the preset's)." };
    private readonly Option<bool> json = new("--json") { Description = "Print the result as JSON." };

    public BenchTrainCommand() : base("bench train", "Measure GPT-2 training steps per second, GFLOP/s, MFU and peak memory on random tokens.") { }

    protected override IEnumerable<Option> Options => [preset, batch, sequence, steps, warmup, vocab, json];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        Gpt2Config config = Gpt2Config.Preset(p.GetValue(preset) ?? "gpt2");
        if (p.GetValue(vocab) is int v) config = config with { VocabSize = v };
        var bench = new TrainingBenchmark(config, p.GetValue(batch), p.GetValue(sequence));
        TrainingResult result = bench.Run(p.GetValue(steps), p.GetValue(warmup));
        CpuPeak peak = CpuPeak.Measure();
        double mfu = result.Mfu(peak);
        if (p.GetValue(json))
        {
            var report = new JsonObject
            {
                ["preset"] = p.GetValue(preset), ["parameters"] = bench.Model.ParameterCount, ["batch"] = bench.Batch, ["seq"] = bench.Seq,
                ["threads"] = CpuParallel.Threads,
                ["ms_per_step"] = BenchReport.Round(result.MsPerStep, 2), ["best_ms_per_step"] = BenchReport.Round(result.BestMsPerStep, 2),
                ["tokens_per_s"] = BenchReport.Round(result.TokensPerSecond, 2), ["gflops"] = BenchReport.Round(result.Gflops, 2),
                ["mfu"] = BenchReport.Round(mfu, 4), ["peak_gflops"] = BenchReport.Round(peak.Gflops, 1), ["clock_ghz"] = BenchReport.Round(peak.ClockGHz, 2),
                ["peak_rss_mb"] = BenchReport.Round(result.PeakResidentMiB, 1), ["cpu_ms_per_step"] = BenchReport.Round(result.CpuMsPerStep, 1),
                ["allocated_mb_per_step"] = BenchReport.Round(result.AllocatedBytesPerStep / (1 << 20), 2),
                ["gcs_per_step"] = BenchReport.Round(result.GcsPerStep, 3), ["loss"] = BenchReport.Round(result.Loss, 4),
            };
            context.Output.WriteLine(report.ToJsonString(BenchReport.JsonOptions));
            return ForgeCli.Success;
        }
        TextWriter o = context.Output;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GPT-2 {p.GetValue(preset)} ({bench.Model.ParameterCount:N0} parameters), batch {bench.Batch} × seq {bench.Seq}, {CpuParallel.Threads} threads"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.MsPerStep:F1} ms/step (median of {result.StepMs.Count}; best {result.BestMsPerStep:F1}), {result.TokensPerSecond:F1} tokens/s, {result.Gflops:F1} GFLOP/s"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"MFU {mfu:P1} of an estimated {peak.Gflops:F0} GFLOP/s ({peak.Threads} cores × {peak.ClockGHz:F2} GHz × {peak.FlopsPerCycle} flops/cycle)"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.CpuMsPerStep:F0} CPU ms/step, {result.AllocatedBytesPerStep / (1 << 20):F2} MiB allocated and {result.GcsPerStep:F2} GCs per step, peak RSS {result.PeakResidentMiB:F0} MiB"));
        return ForgeCli.Success;
    }
}
