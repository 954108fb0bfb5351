using System.Globalization;
using Forge.Backends.Cpu;
using Forge.Benchmarking;

namespace Forge.Benchmarks;

/// <summary>
/// <c>gemm</c>: GFLOP/s of the CPU backend's matrix product on given shapes, by default 2048³ and the products of a GPT-2
/// (gpt-nano, 1024 tokens) training step. A shape is <c>MxKxN</c> with an optional layout suffix <c>:NN</c>, <c>:NT</c>
/// (right operand transposed), <c>:TN</c> (left operand transposed) or <c>:TT</c>, and an optional batch prefix <c>B*</c>.
/// </summary>
internal static class GemmShapesBenchmark
{
    private static readonly string[] DefaultShapes =
    [
        "2048x2048x2048",
        "1024x384x1152", "1024x384x384", "1024x384x1536", "1024x1536x384", "1024x384x4096:NT",
        "1024x1152x384:NT", "1024x1536x384:NT", "1024x384x1536:NT", "1024x4096x384",
        "384x1024x1152:TN", "384x1024x1536:TN", "1536x1024x384:TN", "4096x1024x384:TN",
        "48*128x64x128:NT", "48*128x128x64",
    ];

    public static int Run(string[] args)
    {
        var cli = new CommandLine(args, "--help");
        if (cli.Flag("--help"))
        {
            Console.WriteLine("gemm [--repeat 7] [--threads N] [[B*]MxKxN[:NN|NT|TN|TT] ...]");
            return 0;
        }
        int repeat = cli.Int("--repeat", 7);
        CpuParallel.Threads = cli.Int("--threads", CpuParallel.Threads);
        var shapes = cli.Positional.Count > 0 ? cli.Positional : [.. DefaultShapes];
        Console.WriteLine($"GEMM on {CpuParallel.Threads} threads, median of {repeat} runs (each at least 0.2 s of products); " +
            "GFLOP per CPU-second counts the process's processor time, so it stays meaningful on a busy machine");
        Console.WriteLine($"  {"shape",-24} {"ms",9} {"GFLOP/s",8} {"GFLOP/CPU-s",12}");
        foreach (string text in shapes)
        {
            GemmResult result = GemmBenchmark.Run(GemmShape.Parse(text), repeat);
            Console.WriteLine($"  {text,-24} {F(result.Ms, "F3"),9} {F(result.Gflops, "F1"),8} {F(result.GflopsPerCpuSecond, "F1"),12}");
        }
        return 0;
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
