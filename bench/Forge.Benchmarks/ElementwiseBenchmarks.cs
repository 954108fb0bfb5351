using BenchmarkDotNet.Attributes;
using Forge.Backends;
using Forge.Tensors;

namespace Forge.Benchmarks;

/// <summary>The CPU backend's elementwise kernels on 1M contiguous float32 values, into a preallocated result.</summary>
public class ElementwiseBenchmarks
{
    private const int Length = 1 << 20;
    private Tensor x = null!, y = null!, result = null!;

    /// <summary>Creates the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(42);
        x = Tensor.Randn([Length], generator);
        y = Tensor.Randn([Length], generator);
        result = Tensor.Empty([Length]);
    }

    /// <summary>result = x + y.</summary>
    [Benchmark]
    public void Add() => BackendRegistry.Cpu.Binary(BinaryOp.Add, x, y, result);

    /// <summary>result = x · y.</summary>
    [Benchmark]
    public void Mul() => BackendRegistry.Cpu.Binary(BinaryOp.Mul, x, y, result);

    /// <summary>result = GELU(x), erf form.</summary>
    [Benchmark]
    public void Gelu() => BackendRegistry.Cpu.Unary(UnaryOp.Gelu, x, result, 0, 0);

    /// <summary>result = GELU(x), tanh approximation (GPT-2's gelu_new).</summary>
    [Benchmark]
    public void GeluTanh() => BackendRegistry.Cpu.Unary(UnaryOp.GeluTanh, x, result, 0, 0);
}
