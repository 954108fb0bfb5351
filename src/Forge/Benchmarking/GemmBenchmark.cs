using System.Diagnostics;
using System.Globalization;
using Forge.Backends;
using Forge.Tensors;

namespace Forge.Benchmarking;

/// <summary>
/// A matrix product shape: <c>[B*]MxKxN[:NN|NT|TN|TT]</c>, [M, K] × [K, N] repeated B times; the layout says which operand is
/// stored transposed (<c>NT</c>: the right one, as a linear layer's weight; <c>TN</c>: the left one).
/// </summary>
public sealed record GemmShape(int Batch, int M, int K, int N, string Layout)
{
    /// <summary>Floating-point operations of the product (2·B·M·K·N).</summary>
    public double Flops => 2.0 * Batch * M * K * N;

    /// <summary>Parses <c>[B*]MxKxN[:layout]</c>.</summary>
    public static GemmShape Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string layout = "NN", dims = text;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            layout = text[(colon + 1)..].ToUpperInvariant();
            dims = text[..colon];
        }
        int batch = 1;
        int star = dims.IndexOf('*', StringComparison.Ordinal);
        if (star >= 0 && int.TryParse(dims[..star], CultureInfo.InvariantCulture, out batch)) dims = dims[(star + 1)..];
        string[] parts = dims.Split('x');
        if (parts.Length != 3 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int m)
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int k) || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out int n))
            throw new ForgeException($"Shape '{text}' is not [B*]MxKxN[:layout].");
        return Create(batch, m, k, n, layout);
    }

    /// <summary>A checked shape.</summary>
    public static GemmShape Create(int batch, int m, int k, int n, string layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (batch < 1 || m < 1 || k < 1 || n < 1) throw new ForgeException($"GEMM sizes must be positive, found batch {batch}, M {m}, K {k}, N {n}.");
        if (layout is not ("NN" or "NT" or "TN" or "TT")) throw new ForgeException($"Unknown GEMM layout '{layout}': expected NN, NT, TN or TT.");
        return new GemmShape(batch, m, k, n, layout);
    }

    /// <inheritdoc />
    public override string ToString() => (Batch > 1 ? $"{Batch}*" : "") + $"{M}x{K}x{N}" + (Layout == "NN" ? "" : ":" + Layout);
}

/// <summary>What <see cref="GemmBenchmark.Run"/> measured: median wall and processor time per product.</summary>
/// <param name="Shape">The product.</param>
/// <param name="Ms">Median wall time per product, ms.</param>
/// <param name="CpuMs">Median processor time per product, summed over threads, ms.</param>
public sealed record GemmResult(GemmShape Shape, double Ms, double CpuMs)
{
    /// <summary>GFLOP/s at the median wall time.</summary>
    public double Gflops => Shape.Flops / Ms / 1e6;

    /// <summary>GFLOP per second of processor time (meaningful on a machine busy with other work).</summary>
    public double GflopsPerCpuSecond => Shape.Flops / CpuMs / 1e6;
}

/// <summary>Times the CPU backend's fp32 matrix product (<see cref="IBackend.MatMul"/>) on random operands.</summary>
public static class GemmBenchmark
{
    /// <summary>The median of <paramref name="repeat"/> runs, each of enough products to last at least 0.2 s.</summary>
    public static GemmResult Run(GemmShape shape, int repeat = 7)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (repeat < 1) throw new ForgeException($"repeat must be at least 1, found {repeat}.");
        var (batch, m, k, n) = (shape.Batch, shape.M, shape.K, shape.N);
        var generator = new Generator(3);
        Tensor a = shape.Layout[0] == 'T' ? Tensor.Randn([batch, k, m], generator).MT : Tensor.Randn([batch, m, k], generator);
        Tensor b = shape.Layout[1] == 'T' ? Tensor.Randn([batch, n, k], generator).MT : Tensor.Randn([batch, k, n], generator);
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
        for (int r = 0; r < repeat; r++)
        {
            TimeSpan cpu0 = ProcessStats.Now().ProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < perRun; i++) backend.MatMul(a, b, c, 0);
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / perRun);
            cpuTimes.Add((ProcessStats.Now().ProcessorTime - cpu0).TotalMilliseconds / perRun);
        }
        return new GemmResult(shape, Timings.Median(times), Timings.Median(cpuTimes));
    }
}
