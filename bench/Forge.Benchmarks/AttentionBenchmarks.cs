using BenchmarkDotNet.Attributes;
using Forge.Tensors;
using F = Forge.Nn.Functional;

namespace Forge.Benchmarks;

/// <summary>
/// Causal attention forward and backward at GPT-2's head size (4 sequences × 12 heads × 64 features): the fused kernel, which
/// keeps one block of scores at a time, against the GEMM-based path through [Lq, Lk] matrices.
/// </summary>
public class AttentionBenchmarks
{
    private Tensor query = null!, key = null!, value = null!, upstream = null!;

    /// <summary>Sequence length.</summary>
    [Params(256, 1024)]
    public int Length { get; set; }

    /// <summary>Creates the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(42);
        query = Tensor.Randn([4, 12, Length, 64], generator).RequireGrad();
        key = Tensor.Randn([4, 12, Length, 64], generator).RequireGrad();
        value = Tensor.Randn([4, 12, Length, 64], generator).RequireGrad();
        upstream = Tensor.Randn([4, 12, Length, 64], generator);
    }

    /// <summary>The fused kernel's forward and backward passes.</summary>
    [Benchmark]
    public void Fused() => Run(() => F.FusedAttention(query, key, value, 0.125f, causal: true));

    /// <summary>The GEMM-based path (asking for the weights keeps attention off the fused kernel).</summary>
    [Benchmark(Baseline = true)]
    public void Composed() => Run(() => F.ScaledDotProductAttention(query, key, value, isCausal: true, needWeights: true).Output);

    private void Run(Func<Tensor> attention)
    {
        using var scope = TensorScope.Begin();
        query.Grad = key.Grad = value.Grad = null;
        attention().Mul(upstream).Sum().Backward();
    }
}
