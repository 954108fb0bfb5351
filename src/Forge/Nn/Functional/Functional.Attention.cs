using Forge.Backends;
using Forge.Tensors;

namespace Forge.Nn;

public static partial class Functional
{
    /// <summary>
    /// Attention: softmax(query·keyᵀ·scale + mask)·value. Without a mask or returned weights, from
    /// <see cref="FusedAttentionLength"/> queries and keys on, one fused kernel computes it block by block without a [Lq, Lk]
    /// matrix (memory linear in the sequence length, like FlashAttention); otherwise it is composed from differentiable ops.
    /// </summary>
    /// <param name="query">[..., Lq, E].</param>
    /// <param name="key">[..., Lk, E]; leading dimensions broadcast with the query's.</param>
    /// <param name="value">[..., Lk, Ev].</param>
    /// <param name="mask">
    /// Broadcastable to [..., Lq, Lk]. A Bool mask marks with true the positions that may be attended (PyTorch's meaning);
    /// a Float32 mask is added to the scores (use −∞ to block). For a key padding mask pass a Bool [batch, 1, 1, Lk] tensor
    /// that is true at real tokens and false at padding.
    /// </param>
    /// <param name="isCausal">
    /// Lets query i attend only keys j ≤ i (top-left aligned, like PyTorch's is_causal). Unlike PyTorch, it may be combined
    /// with <paramref name="mask"/>: a position must be allowed by both.
    /// </param>
    /// <param name="dropout">Probability of dropping each attention weight (inverted dropout); 0 at evaluation time.</param>
    /// <param name="needWeights">Return the attention probabilities (before dropout) as the second result.</param>
    /// <param name="scale">Multiplies the scores; 1/√E when null.</param>
    /// <param name="generator">Random source for dropout (<see cref="Generator.Default"/> when null).</param>
    /// <returns>
    /// The output [..., Lq, Ev] and, when asked for, the weights [..., Lq, Lk]. A query row whose keys are all masked gets
    /// zero weights, a zero output and zero gradients (as PyTorch 2.5+'s math backend does; older versions gave NaN), so a
    /// fully padded sequence cannot poison training.
    /// </returns>
    public static (Tensor Output, Tensor? Weights) ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? mask = null,
        bool isCausal = false, float dropout = 0, bool needWeights = false, float? scale = null, Generator? generator = null)
    {
        CheckAttentionShapes(query, key, value);
        int lq = query.Shape[^2], lk = key.Shape[^2], e = query.Shape[^1];
        float factor = scale ?? 1f / MathF.Sqrt(e);
        if (mask is null && !needWeights && lq >= FusedAttentionLength && lk >= FusedAttentionLength && SameBatch(query, key) && SameBatch(key, value)
            && query.DType == DType.Float32 && key.DType == DType.Float32 && value.DType == DType.Float32)
            return (FusedAttention(query, key, value, factor, isCausal, dropout, generator), null);
        if (mask is null && isCausal && lk > 0 && SameBatch(query, key) && SameBatch(key, value))
        {
            // Scores above the diagonal are never computed, and the products with the (lower-triangular) weights skip their zeros.
            Tensor causalWeights = CausalSoftmax(Tensor.CausalMatMul(query, key.MT, CausalProduct.LowerResult), factor);
            Tensor dropped = dropout != 0 ? Dropout(causalWeights, dropout, training: true, generator) : causalWeights;
            return (Tensor.CausalMatMul(dropped, value, CausalProduct.LowerLeft), needWeights ? causalWeights : null);
        }
        Tensor scores = query.MatMul(key.MT).Mul(factor);
        if (mask is not null) scores = ApplyAttentionMask(scores, mask);
        if (isCausal) scores = scores.MaskedFill(CausalBlockedPositions(lq, lk, query.Device), float.NegativeInfinity);
        Tensor? blockedRows = mask is not null || isCausal ? FullyBlockedRows(scores) : null;
        if (blockedRows is not null) scores = scores.MaskedFill(blockedRows, 0);
        Tensor weights = Softmax(scores, -1);
        if (blockedRows is not null) weights = weights.MaskedFill(blockedRows, 0);
        Tensor attended = dropout != 0 ? Dropout(weights, dropout, training: true, generator) : weights;
        return (attended.MatMul(value), needWeights ? weights : null);
    }

    /// <summary>
    /// Queries and keys from which attention without a mask runs fused (<see cref="FusedAttention"/>) instead of through a
    /// [Lq, Lk] matrix. From 256 the fused kernel is faster here (forward and backward of 8 × 12 heads × 64 features: about
    /// 1.2× without dropout, 2× with it, whose mask the matrix path draws, stores and applies too) and needs no matrix; at 64
    /// it is slower. A single decoded query keeps the matrix path, which reads the key-value cache in place.
    /// </summary>
    internal const int FusedAttentionLength = 256;

    /// <summary>
    /// softmax(scale·query·keyᵀ)·value by the backend's fused kernel, which keeps one block of scores at a time and saves only each
    /// row's log-sum-exp for the backward pass (memory linear in the sequence length instead of quadratic).
    /// </summary>
    internal static Tensor FusedAttention(Tensor query, Tensor key, Tensor value, float scale, bool causal, float dropout = 0, Generator? generator = null)
    {
        if (!(dropout >= 0 && dropout < 1)) throw new ForgeException($"Dropout probability must be in [0, 1), found {dropout}.");
        int lq = query.Shape[^2], lk = key.Shape[^2], e = query.Shape[^1], ev = value.Shape[^1];
        int count = checked((int)(query.Numel / ((long)lq * e)));
        Tensor q = query.Detach().Contiguous().View(count, lq, e), k = key.Detach().Contiguous().View(count, lk, e), v = value.Detach().Contiguous().View(count, lk, ev);
        Tensor output = Tensor.Empty([count, lq, ev], DType.Float32, query.Device), logSumExp = Tensor.Empty([count, lq], DType.Float32, query.Device);
        ulong seed = dropout != 0 ? StepGraph.DrawSeed(generator ?? Generator.Default) : 0;
        var backend = query.Backend;
        backend.FlashAttention(q, k, v, output, logSumExp, scale, causal, dropout, seed);
        return Tensor.Record(output.View([.. query.shape.AsSpan(0, query.Dim - 1), ev]), "FlashAttentionBackward", g =>
        {
            Tensor gradQuery = Tensor.EmptyLike(q), gradKey = Tensor.EmptyLike(k), gradValue = Tensor.EmptyLike(v);
            backend.FlashAttentionBackward(q, k, v, output, logSumExp, g.Contiguous().View(count, lq, ev), gradQuery, gradKey, gradValue, scale, causal, dropout, seed);
            return [gradQuery.View([.. query.shape]), gradKey.View([.. key.shape]), gradValue.View([.. value.shape])];
        }, query, key, value);
    }

    /// <summary>softmax(scale·scores) with query i seeing keys j ≤ i, fused (no masked copy of the scores, no blocked-row check: row i sees key 0).</summary>
    private static Tensor CausalSoftmax(Tensor scores, float scale)
    {
        Tensor x = scores.Detach().Contiguous();
        Tensor y = Tensor.Uninitialized(x.shape, DType.Float32, x.Device);
        x.Backend.CausalSoftmax(x, y, scale);
        return Tensor.Record(y, "CausalSoftmaxBackward", g =>
        {
            Tensor gradInput = Tensor.EmptyLike(y);
            y.Backend.CausalSoftmaxBackward(y, g.Contiguous(), gradInput, scale);
            return [gradInput];
        }, scores);
    }

    /// <summary>Whether two attention operands have the same leading (batch) dimensions, unbroadcast.</summary>
    private static bool SameBatch(Tensor a, Tensor b) => a.Dim == b.Dim && a.shape.AsSpan(0, a.Dim - 2).SequenceEqual(b.shape.AsSpan(0, b.Dim - 2));

    private static void CheckAttentionShapes(Tensor query, Tensor key, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (query.Dim < 2 || key.Dim < 2 || value.Dim < 2)
            throw new ForgeException($"Attention needs query, key and value of at least two dimensions, found {Tensor.Format(query.Shape)}, {Tensor.Format(key.Shape)} and {Tensor.Format(value.Shape)}.");
        if (key.Shape[^1] != query.Shape[^1])
            throw new ForgeException($"Attention query {Tensor.Format(query.Shape)} and key {Tensor.Format(key.Shape)} need the same embedding size (last dimension).");
        if (value.Shape[^2] != key.Shape[^2])
            throw new ForgeException($"Attention key {Tensor.Format(key.Shape)} and value {Tensor.Format(value.Shape)} need the same number of positions (dimension -2).");
    }

    /// <summary>Blocks (Bool mask) or offsets (Float32 mask) the scores.</summary>
    private static Tensor ApplyAttentionMask(Tensor scores, Tensor mask)
    {
        if (!Tensor.BroadcastShapes(scores.Shape, mask.Shape).SequenceEqual(scores.Shape))
            throw new ForgeException($"Attention mask of shape {Tensor.Format(mask.Shape)} does not broadcast to the scores' shape {Tensor.Format(scores.Shape)}.");
        return mask.DType switch
        {
            DType.Bool => scores.MaskedFill(mask.Eq(0), float.NegativeInfinity),
            DType.Float32 => scores.Add(mask),
            _ => throw new ForgeException($"Attention mask must be Bool (true = may attend) or Float32 (added to the scores), found {mask.DType}."),
        };
    }

    /// <summary>Bool [lq, lk], true where key j comes after query i (j &gt; i).</summary>
    private static Tensor CausalBlockedPositions(int lq, int lk, Device device)
    {
        var blocked = new bool[lq * lk];
        for (int i = 0; i < lq; i++)
            for (int j = i + 1; j < lk; j++) blocked[i * lk + j] = true;
        return Tensor.FromArray(blocked, lq, lk).To(device);
    }

    /// <summary>Bool [..., Lq, 1], true for query rows whose scores are all −∞; null when there are none.</summary>
    private static Tensor? FullyBlockedRows(Tensor scores)
    {
        Tensor blocked = scores.Detach().Max(-1, keepDim: true).Eq(float.NegativeInfinity);
        return blocked.To(DType.Float32).Sum().Item() > 0 ? blocked : null;
    }
}
