using System.Diagnostics;
using System.Globalization;
using Forge.Backends;
using Forge.Backends.Cpu;
using Forge.Tensors;

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
        foreach (string shape in shapes)
        {
            var (batch, m, k, n, layout) = Parse(shape);
            var generator = new Generator(3);
            Tensor a = layout[0] == 'T' ? Tensor.Randn([batch, k, m], generator).MT : Tensor.Randn([batch, m, k], generator);
            Tensor b = layout[1] == 'T' ? Tensor.Randn([batch, n, k], generator).MT : Tensor.Randn([batch, k, n], generator);
            Tensor c = Tensor.Empty([batch, m, n]);
            IBackend backend = BackendRegistry.Cpu;
            backend.MatMul(a, b, c, 0);
            long start = Stopwatch.GetTimestamp();
            int calls = 0;
            while (Stopwatch.GetElapsedTime(start).TotalSeconds < 0.05 || calls < 2)
            {
                backend.MatMul(a, b, c, 0);
                calls++;
            }
            int perRun = Math.Max(1, (int)Math.Ceiling(0.2 / (Stopwatch.GetElapsedTime(start).TotalSeconds / calls)));
            var times = new List<double>();
            var cpuTimes = new List<double>();
            using var process = Process.GetCurrentProcess();
            for (int r = 0; r < repeat; r++)
            {
                process.Refresh();
                TimeSpan cpu0 = process.TotalProcessorTime;
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < perRun; i++) backend.MatMul(a, b, c, 0);
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / perRun);
                process.Refresh();
                cpuTimes.Add((process.TotalProcessorTime - cpu0).TotalMilliseconds / perRun);
            }
            times.Sort();
            cpuTimes.Sort();
            double ms = times[times.Count / 2], cpuMs = cpuTimes[cpuTimes.Count / 2];
            double flops = 2.0 * batch * m * k * n;
            Console.WriteLine($"  {shape,-24} {F(ms, "F3"),9} {F(flops / ms / 1e6, "F1"),8} {F(flops / cpuMs / 1e6, "F1"),12}");
        }
        return 0;
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static (int Batch, int M, int K, int N, string Layout) Parse(string text)
    {
        string layout = "NN";
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string dims = text;
        if (colon >= 0)
        {
            layout = text[(colon + 1)..].ToUpperInvariant();
            dims = text[..colon];
            if (layout is not ("NN" or "NT" or "TN" or "TT")) throw new ArgumentException($"Unknown layout '{layout}' in '{text}': expected NN, NT, TN or TT.");
        }
        int batch = 1;
        int star = dims.IndexOf('*', StringComparison.Ordinal);
        if (star >= 0)
        {
            batch = int.Parse(dims[..star], CultureInfo.InvariantCulture);
            dims = dims[(star + 1)..];
        }
        int[] parts = dims.Split('x').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        if (parts.Length != 3) throw new ArgumentException($"Shape '{text}' is not MxKxN.");
        return (batch, parts[0], parts[1], parts[2], layout);
    }
}
