using BenchmarkDotNet.Attributes;
using Forge.Backends;
using Forge.Tensors;

namespace Forge.Benchmarks;

/// <summary>The CPU backend's row reductions over 1M contiguous float32 values.</summary>
public class ReductionBenchmarks
{
    private const int Length = 1 << 20;
    private Tensor x = null!, total = null!, rowSums = null!;

    /// <summary>Creates the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        x = Tensor.Randn([Length], new Generator(42));
        total = Tensor.Empty([1]);
        rowSums = Tensor.Empty([1024]);
    }

    /// <summary>Σ of all 1M values.</summary>
    [Benchmark]
    public void SumAll() => BackendRegistry.Cpu.ReduceRows(ReduceOp.Sum, x, total);

    /// <summary>Σ of each of 1024 rows of 1024 values.</summary>
    [Benchmark]
    public void SumRows() => BackendRegistry.Cpu.ReduceRows(ReduceOp.Sum, x, rowSums);
}
