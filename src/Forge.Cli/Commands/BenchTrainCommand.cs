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
    private readonly Option<bool> eager = new("--eager") { Description = "Run every step eagerly instead of replaying the first step's forward and backward pass captured as a step graph (as forge train gpt --eager)." };
    private readonly Option<bool> json = new("--json") { Description = "Print the result as JSON." };
    private readonly Option<bool> profile = new("--profile") { Description = "After the timed steps, time every kernel of as many more steps by operand shapes and print the slowest." };

    /// <summary>Kernels listed by <c>--profile</c> in the text output.</summary>
    private const int ProfileLines = 40;

    public BenchTrainCommand() : base("bench train", "Measure GPT-2 training steps per second, GFLOP/s, MFU and peak memory on random tokens.") { }

    protected override IEnumerable<Option> Options => [preset, batch, sequence, steps, warmup, vocab, eager, json, profile];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        Gpt2Config config = Gpt2Config.Preset(p.GetValue(preset) ?? "gpt2");
        if (p.GetValue(vocab) is int v) config = config with { VocabSize = v };
        var bench = new TrainingBenchmark(config, p.GetValue(batch), p.GetValue(sequence), useStepGraph: !p.GetValue(eager));
        TrainingResult result = bench.Run(p.GetValue(steps), p.GetValue(warmup));
        IReadOnlyList<(string Kernel, double CallsPerStep, double MsPerStep)> kernels = p.GetValue(profile) ? bench.Profile(p.GetValue(steps)) : [];
        CpuPeak peak = CpuPeak.Measure();
        double mfu = result.Mfu(peak);
        if (p.GetValue(json))
        {
            var report = new JsonObject
            {
                ["preset"] = p.GetValue(preset), ["parameters"] = bench.Model.ParameterCount, ["batch"] = bench.Batch, ["seq"] = bench.Seq,
                ["threads"] = CpuParallel.Threads, ["step_graph"] = bench.UsesStepGraph,
                ["ms_per_step"] = BenchReport.Round(result.MsPerStep, 2), ["best_ms_per_step"] = BenchReport.Round(result.BestMsPerStep, 2),
                ["tokens_per_s"] = BenchReport.Round(result.TokensPerSecond, 2), ["gflops"] = BenchReport.Round(result.Gflops, 2),
                ["mfu"] = BenchReport.Round(mfu, 4), ["peak_gflops"] = BenchReport.Round(peak.Gflops, 1), ["clock_ghz"] = BenchReport.Round(peak.ClockGHz, 2),
                ["peak_rss_mb"] = BenchReport.Round(result.PeakResidentMiB, 1), ["cpu_ms_per_step"] = BenchReport.Round(result.CpuMsPerStep, 1),
                ["allocated_mb_per_step"] = BenchReport.Round(result.AllocatedBytesPerStep / (1 << 20), 2),
                ["gcs_per_step"] = BenchReport.Round(result.GcsPerStep, 3), ["loss"] = BenchReport.Round(result.Loss, 4),
            };
            if (kernels.Count > 0)
            {
                report["kernels"] = new JsonArray([.. kernels.Select(k => (JsonNode)new JsonObject
                {
                    ["kernel"] = k.Kernel, ["calls_per_step"] = BenchReport.Round(k.CallsPerStep, 2), ["ms_per_step"] = BenchReport.Round(k.MsPerStep, 3),
                })]);
            }
            context.Output.WriteLine(report.ToJsonString(BenchReport.JsonOptions));
            return ForgeCli.Success;
        }
        TextWriter o = context.Output;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GPT-2 {p.GetValue(preset)} ({bench.Model.ParameterCount:N0} parameters), batch {bench.Batch} × seq {bench.Seq}, {CpuParallel.Threads} threads{(bench.UsesStepGraph ? ", replaying a step graph" : "")}"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.MsPerStep:F1} ms/step (median of {result.StepMs.Count}; best {result.BestMsPerStep:F1}), {result.TokensPerSecond:F1} tokens/s, {result.Gflops:F1} GFLOP/s"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"MFU {mfu:P1} of an estimated {peak.Gflops:F0} GFLOP/s ({peak.Threads} cores × {peak.ClockGHz:F2} GHz × {peak.FlopsPerCycle} flops/cycle)"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.CpuMsPerStep:F0} CPU ms/step, {result.AllocatedBytesPerStep / (1 << 20):F2} MiB allocated and {result.GcsPerStep:F2} GCs per step, peak RSS {result.PeakResidentMiB:F0} MiB"));
        if (kernels.Count > 0)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"kernels: {kernels.Sum(k => k.MsPerStep):F1} ms/step while profiled"));
            foreach ((string kernel, double calls, double ms) in kernels.Take(ProfileLines))
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ms,9:F2} ms/step {calls,7:F0} calls  {kernel}"));
        }
        return ForgeCli.Success;
    }
}
