using BenchmarkDotNet.Attributes;
using Forge.Backends;
using Forge.Tensors;

namespace Forge.Benchmarks;

/// <summary>
/// The CPU backend's fused kernels of a GPT-2 124M training step at batch 4 × 64 (256 token rows, width 768, vocabulary
/// 50,257) and of one decoded token, on preallocated operands: what remains of a step once the matrix products are counted.
/// </summary>
public class TrainingKernelBenchmarks
{
    private const int Rows = 256, Width = 768, Inner = 3072, Vocabulary = 50257;
    private const float Eps = 1e-5f;

    private Tensor x = null!, residual = null!, sum = null!, gamma = null!, beta = null!, normalized = null!, mean = null!, rstd = null!;
    private Tensor gradNormalized = null!, gradX = null!, gradGamma = null!, gradBeta = null!;
    private Tensor logits = null!, targets = null!, losses = null!, targetWeights = null!, logSumExp = null!, gradLosses = null!, gradLogits = null!;
    private Tensor weight = null!, weightGrad = null!, expAvg = null!, expAvgSq = null!;
    private Tensor embeddingGrad = null!, tokenIds = null!, gradEmbedded = null!;
    private Tensor token = null!, upWeight = null!, upBias = null!, upOutput = null!;
    private long adamSteps;

    /// <summary>Creates the operands, with a forward pass run once so the backward kernels read real saved statistics.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(42);
        x = Tensor.Randn([Rows, Width], generator);
        residual = Tensor.Randn([Rows, Width], generator);
        sum = Tensor.Empty([Rows, Width]);
        gamma = Tensor.Randn([Width], generator);
        beta = Tensor.Randn([Width], generator);
        normalized = Tensor.Empty([Rows, Width]);
        mean = Tensor.Empty([Rows]);
        rstd = Tensor.Empty([Rows]);
        gradNormalized = Tensor.Randn([Rows, Width], generator);
        gradX = Tensor.Empty([Rows, Width]);
        gradGamma = Tensor.Empty([Width]);
        gradBeta = Tensor.Empty([Width]);
        BackendRegistry.Cpu.AddLayerNorm(x, residual, sum, gamma, beta, normalized, mean, rstd, Eps);

        logits = Tensor.Randn([Rows, Vocabulary, 1], generator);
        targets = Tensor.FromArray(Enumerable.Range(0, Rows).Select(i => (long)(i * 7919 % Vocabulary)).ToArray(), Rows, 1);
        losses = Tensor.Empty([Rows, 1]);
        targetWeights = Tensor.Empty([Rows, 1]);
        logSumExp = Tensor.Empty([Rows, 1]);
        gradLosses = Tensor.Randn([Rows, 1], generator);
        gradLogits = Tensor.Empty([Rows, Vocabulary, 1]);
        BackendRegistry.Cpu.CrossEntropy(logits, targets, null, -100, 0, losses, targetWeights, logSumExp);

        weight = Tensor.Randn([Inner, Width], generator);
        weightGrad = Tensor.Randn([Inner, Width], generator);
        expAvg = Tensor.Zeros([Inner, Width]);
        expAvgSq = Tensor.Zeros([Inner, Width]);

        embeddingGrad = Tensor.Zeros([Vocabulary, Width]);
        tokenIds = targets.Reshape(Rows);
        gradEmbedded = Tensor.Randn([Rows, Width], generator);

        token = Tensor.Randn([1, Width], generator);
        upWeight = Tensor.Randn([Width, Inner], generator);
        upBias = Tensor.Randn([Inner], generator);
        upOutput = Tensor.Empty([1, Inner]);
    }

    /// <summary>Residual add and layer norm of 256 × 768 in one pass (a block's pre-norm).</summary>
    [Benchmark]
    public void AddLayerNorm() => BackendRegistry.Cpu.AddLayerNorm(x, residual, sum, gamma, beta, normalized, mean, rstd, Eps);

    /// <summary>Layer norm backward of 256 × 768, with the weight and bias gradients.</summary>
    [Benchmark]
    public void LayerNormBackward() => BackendRegistry.Cpu.LayerNormBackward(sum, mean, rstd, gamma, gradNormalized, gradX, gradGamma, gradBeta);

    /// <summary>Log-softmax and the loss over the 50,257-word vocabulary for 256 positions.</summary>
    [Benchmark]
    public void CrossEntropy() => BackendRegistry.Cpu.CrossEntropy(logits, targets, null, -100, 0, losses, targetWeights, logSumExp);

    /// <summary>The logits' gradient over the vocabulary from the saved log-sum-exp (softmax recomputed, never stored).</summary>
    [Benchmark]
    public void CrossEntropyBackward() =>
        BackendRegistry.Cpu.CrossEntropyBackward(logits, targets, null, -100, 0, logSumExp, gradLosses, gradLogits);

    /// <summary>One fused AdamW update of a 3072 × 768 weight (parameter, gradient and both moments: 38 MB).</summary>
    [Benchmark]
    public void AdamWStep() =>
        BackendRegistry.Cpu.AdamStep(weight, weightGrad, expAvg, expAvgSq, null, 1e-4, 0.9, 0.999, 1e-8, 0.01, ++adamSteps, decoupled: true, gradScale: 1);

    /// <summary>The 2-norm of a 3072 × 768 gradient (gradient clipping's pass).</summary>
    [Benchmark]
    public double GradientNorm() => BackendRegistry.Cpu.Norm(weightGrad, 2);

    /// <summary>The token embedding's backward: 256 rows of 768 added into a 50,257 × 768 gradient.</summary>
    [Benchmark]
    public void EmbeddingBackward() => BackendRegistry.Cpu.IndexAdd(embeddingGrad, 0, tokenIds, gradEmbedded);

    /// <summary>A decoded token through the MLP's first weight: 1 × 768 by 768 × 3072 plus bias (9.4 MB of weights streamed).</summary>
    [Benchmark]
    public void DecodeProduct() => BackendRegistry.Cpu.MatMulBias(token, upWeight, upBias, upOutput);
}
