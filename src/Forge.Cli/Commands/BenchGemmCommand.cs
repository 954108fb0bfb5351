using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Forge.Backends.Cpu;
using Forge.Benchmarking;

namespace Forge.Cli.Commands;

/// <summary><c>forge bench gemm</c>: GFLOP/s of the fp32 matrix product on one shape.</summary>
internal sealed class BenchGemmCommand : CliCommand
{
    private readonly Option<int> m = new("--m") { Description = "Rows of the left operand and of the product.", DefaultValueFactory = _ => 2048 };
    private readonly Option<int> n = new("--n") { Description = "Columns of the right operand and of the product.", DefaultValueFactory = _ => 2048 };
    private readonly Option<int> k = new("--k") { Description = "The shared (depth) dimension.", DefaultValueFactory = _ => 2048 };
    private readonly Option<string> layout = new("--layout") { Description = "NN, NT (right operand transposed, as a linear layer's weight) or TN.", DefaultValueFactory = _ => "NN" };
    private readonly Option<int> batch = new("--batch") { Description = "Independent products of the shape per call (a batched matmul).", DefaultValueFactory = _ => 1 };
    private readonly Option<int> repeat = new("--repeat") { Description = "Timed runs (each at least 0.2 s of products); the median is reported.", DefaultValueFactory = _ => 7 };
    private readonly Option<bool> json = new("--json") { Description = "Print the result as JSON." };

    public BenchGemmCommand() : base("bench gemm", "Measure fp32 matrix product GFLOP/s on an M×K by K×N shape.") { }

    protected override IEnumerable<Option> Options => [m, n, k, layout, batch, repeat, json];

    protected override int Execute(CommandContext context)
    {
        string provider = CpuBackend.MatrixProductProvider;
        ParseResult p = context.Parse;
        string order = (p.GetValue(layout) ?? "NN").ToUpperInvariant();
        if (order is not ("NN" or "NT" or "TN")) throw new ForgeException($"--layout must be NN, NT or TN, found '{order}'.");
        GemmShape shape = GemmShape.Create(p.GetValue(batch), p.GetValue(m), p.GetValue(k), p.GetValue(n), order);
        GemmResult result = GemmBenchmark.Run(shape, p.GetValue(repeat));
        if (p.GetValue(json))
        {
            var report = new JsonObject
            {
                ["blas"] = provider, ["batch"] = shape.Batch, ["m"] = shape.M, ["n"] = shape.N, ["k"] = shape.K, ["layout"] = shape.Layout, ["threads"] = CpuParallel.Threads,
                ["ms"] = BenchReport.Round(result.Ms, 4), ["gflops"] = BenchReport.Round(result.Gflops, 2),
                ["gflops_per_cpu_second"] = BenchReport.Round(result.GflopsPerCpuSecond, 2),
            };
            context.Output.WriteLine(report.ToJsonString(BenchReport.JsonOptions));
            return ForgeCli.Success;
        }
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GEMM {shape} on {CpuParallel.Threads} threads: {result.Ms:F3} ms, {result.Gflops:F1} GFLOP/s ({result.GflopsPerCpuSecond:F1} GFLOP per CPU-second)"));
        return ForgeCli.Success;
    }
}
