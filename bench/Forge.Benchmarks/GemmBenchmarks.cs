using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Forge.Backends;
using Forge.Tensors;

namespace Forge.Benchmarks;

/// <summary>How the right operand of a GEMM is stored.</summary>
public enum GemmLayout
{
    /// <summary>c = a·b with b row-major [k, n].</summary>
    NN,
    /// <summary>c = a·bᵀ with b stored row-major as [n, k] (a linear layer's weight).</summary>
    NT,
}

/// <summary>The CPU backend's matrix product c = a·b on square float32 matrices, with the throughput in GFLOP/s.</summary>
[Config(typeof(Config))]
public class GemmBenchmarks
{
    private Tensor a = null!, b = null!, c = null!;

    /// <summary>m = n = k.</summary>
    [Params(256, 768, 2048)]
    public int Size { get; set; }

    /// <summary>Layout of the right operand.</summary>
    [Params(GemmLayout.NN, GemmLayout.NT)]
    public GemmLayout Layout { get; set; }

    /// <summary>Creates the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(42);
        a = Tensor.Randn([1, Size, Size], generator);
        b = Layout == GemmLayout.NN ? Tensor.Randn([1, Size, Size], generator) : Tensor.Randn([1, Size, Size], generator).MT;
        c = Tensor.Empty([1, Size, Size]);
    }

    /// <summary>One product into a preallocated result.</summary>
    [Benchmark]
    public void MatMul() => BackendRegistry.Cpu.MatMul(a, b, c, 0);

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new GflopsColumn());
    }
}
