using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// The input of <see cref="MultiHeadAttention"/>: query [batch, Lq, E] (or unbatched [Lq, E]), key and value [batch, Lk, ·]
/// (the query when null: self-attention), and options.
/// </summary>
public sealed record AttentionInput(Tensor Query, Tensor? Key = null, Tensor? Value = null)
{
    /// <summary>
    /// [batch, Lk] (or [Lk] unbatched): Bool true, or a non-zero integer (Hugging Face's attention_mask), at real keys and false/0 at
    /// padding; or Float32 added to the scores. Note: the opposite of torch.nn.MultiheadAttention's Bool key_padding_mask.
    /// </summary>
    public Tensor? KeyPaddingMask { get; init; }

    /// <summary>
    /// [Lq, Lk], [batch·heads, Lq, Lk] or broadcastable to [batch, heads, Lq, Lk]: Bool true where a query may attend a key (the
    /// meaning of scaled_dot_product_attention's Bool mask), or Float32 added to the scores (−∞ blocks).
    /// </summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>Whether to return the attention probabilities.</summary>
    public bool NeedWeights { get; init; }

    /// <summary>With <see cref="NeedWeights"/>, average the weights over heads ([batch, Lq, Lk]) instead of [batch, heads, Lq, Lk].</summary>
    public bool AverageWeights { get; init; } = true;
}

/// <summary>The output of <see cref="MultiHeadAttention"/> [batch, Lq, E] and, when asked for, the attention weights (before dropout).</summary>
public sealed record AttentionOutput(Tensor Output, Tensor? Weights);
