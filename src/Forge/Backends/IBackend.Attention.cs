using Forge.Tensors;

namespace Forge.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Fused attention that never holds a [Lq, Lk] matrix: output = softmax(scale·query·keyᵀ)·value for contiguous Float32 query
    /// [N, Lq, E], key [N, Lk, E] and value [N, Lk, Ev] (output [N, Lq, Ev]), with logSumExp [N, Lq] = log Σ exp(scale·scores) saved
    /// for the backward pass. With <paramref name="causal"/> query i sees keys j ≤ i only (needs Lk &gt; 0). With a
    /// <paramref name="dropout"/> probability each weight is dropped when a hash of (<paramref name="seed"/>, n, i, j) says so and
    /// the rest are scaled by 1/(1 − dropout), so the backward pass finds the same weights dropped.
    /// </summary>
    void FlashAttention(Tensor query, Tensor key, Tensor value, Tensor output, Tensor logSumExp, float scale, bool causal, float dropout, ulong seed);

    /// <summary>
    /// Gradients of <see cref="FlashAttention"/> (same arguments, its output and log-sum-exp) with respect to query, key and value,
    /// recomputing the weights block by block; the gradients are written, not added.
    /// </summary>
    void FlashAttentionBackward(Tensor query, Tensor key, Tensor value, Tensor output, Tensor logSumExp, Tensor gradOutput,
        Tensor gradQuery, Tensor gradKey, Tensor gradValue, float scale, bool causal, float dropout, ulong seed);
}
