using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Forge.Backends.Cpu;
using Forge.Benchmarking;
using Forge.Models.Gpt2;

namespace Forge.Cli.Commands;

/// <summary><c>forge bench generate</c>: greedy decoding speed with the key-value cache on a randomly initialized GPT-2.</summary>
internal sealed class BenchGenerateCommand : CliCommand
{
    private readonly Option<string> preset = new("--preset") { Description = "Model preset: " + string.Join(", ", Gpt2Config.Presets.Keys) + ".", DefaultValueFactory = _ => "gpt2" };
    private readonly Option<int> tokens = new("--tokens") { Description = "Tokens to generate after a one-token prompt.", DefaultValueFactory = _ => 128 };
    private readonly Option<bool> eager = new("--eager") { Description = "Run every decoding step eagerly over a growing cache instead of replaying one captured step over a cache of fixed shapes." };
    private readonly Option<bool> json = new("--json") { Description = "Print the result as JSON." };
    private readonly Option<bool> profile = new("--profile") { Description = "Time every kernel by operand shapes and print the slowest." };

    /// <summary>Kernels listed by <c>--profile</c> in the text output.</summary>
    private const int ProfileLines = 25;

    public BenchGenerateCommand() : base("bench generate", "Measure greedy fp32 generation tokens/s with the key-value cache (random weights).") { }

    protected override IEnumerable<Option> Options => [preset, tokens, eager, json, profile];

    protected override int Execute(CommandContext context)
    {
        ParseResult p = context.Parse;
        Gpt2Config config = Gpt2Config.Preset(p.GetValue(preset) ?? "gpt2");
        GenerationResult result = GenerationBenchmark.Run(config, p.GetValue(tokens), p.GetValue(profile), useStepGraph: !p.GetValue(eager));
        if (p.GetValue(json))
        {
            var report = new JsonObject
            {
                ["preset"] = p.GetValue(preset), ["tokens"] = result.Tokens, ["threads"] = CpuParallel.Threads,
                ["tokens_per_s"] = BenchReport.Round(result.TokensPerSecond, 2), ["ms_per_token"] = BenchReport.Round(result.MsPerToken, 3),
                ["first_token_ms"] = BenchReport.Round(result.FirstTokenMs, 2), ["cpu_seconds"] = BenchReport.Round(result.CpuSeconds, 3),
                ["allocated_mb"] = BenchReport.Round(result.AllocatedBytes / (1024.0 * 1024.0), 2),
                ["allocated_bytes_per_token"] = double.IsNaN(result.AllocatedBytesPerToken) ? null : BenchReport.Round(result.AllocatedBytesPerToken, 1),
                ["step_graph"] = !p.GetValue(eager), ["peak_rss_mb"] = BenchReport.Round(result.PeakResidentMiB, 1),
            };
            if (result.Kernels.Count > 0)
            {
                report["kernels"] = new JsonArray([.. result.Kernels.Select(k => (JsonNode)new JsonObject
                {
                    ["kernel"] = k.Kernel, ["calls"] = k.Calls, ["ms_per_token"] = BenchReport.Round(k.Seconds * 1000 / result.Tokens, 3),
                })]);
            }
            context.Output.WriteLine(report.ToJsonString(BenchReport.JsonOptions));
            return ForgeCli.Success;
        }
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{p.GetValue(preset)}: {result.Tokens} tokens in {result.Seconds:F2} s, {result.TokensPerSecond:F1} tokens/s ({result.MsPerToken:F2} ms/token, first {result.FirstTokenMs:F1} ms), " +
            $"{result.AllocatedBytes / (1024.0 * 1024.0):F1} MiB allocated ({result.AllocatedBytesPerToken:F0} bytes per token after the second), peak RSS {result.PeakResidentMiB:F0} MiB{(p.GetValue(eager) ? ", eager steps" : "")}"));
        if (result.Kernels.Count > 0)
        {
            double kernelSeconds = result.Kernels.Sum(k => k.Seconds);
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"kernels: {kernelSeconds * 1000 / result.Tokens:F2} ms/token, outside kernels: {(result.Seconds - kernelSeconds) * 1000 / result.Tokens:F2} ms/token"));
            foreach ((string kernel, long calls, double seconds) in result.Kernels.Take(ProfileLines))
                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{seconds * 1000 / result.Tokens,9:F3} ms/token {calls,7} calls  {kernel}"));
        }
        return ForgeCli.Success;
    }
}
