using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// Multi-head attention (PyTorch's nn.MultiheadAttention with batch_first=True) with separate q_proj, k_proj, v_proj and out_proj
/// Linear layers, as Hugging Face models name them: self- or cross-attention, an optional causal mask, key padding and
/// attention masks, dropout on the attention weights in training, and the weights on request. Initialized as PyTorch: Glorot
/// uniform projections over the stacked [3E, E] in-projection (each projection alone when key or value sizes differ), zero
/// projection biases, a default Linear output projection with zero bias.
/// </summary>
public class MultiHeadAttention : Module<AttentionInput, AttentionOutput>
{
    private readonly Generator? generator;

    /// <summary>
    /// Attention over <paramref name="embedDim"/> features split into <paramref name="numHeads"/> heads; <paramref name="keyDim"/> and
    /// <paramref name="valueDim"/> are the key and value feature sizes (<paramref name="embedDim"/> when null). With
    /// <paramref name="causal"/>, query i attends only keys j ≤ i. The generator initializes the weights and draws dropout masks.
    /// </summary>
    public MultiHeadAttention(int embedDim, int numHeads, float dropout = 0, bool bias = true, bool causal = false, int? keyDim = null, int? valueDim = null, Generator? generator = null)
    {
        LayerChecks.CheckSize(nameof(embedDim), embedDim);
        LayerChecks.CheckSize(nameof(numHeads), numHeads);
        LayerChecks.CheckProbability("Attention dropout", dropout);
        if (embedDim % numHeads != 0) throw new ForgeException($"MultiHeadAttention needs embedDim divisible by numHeads, found {embedDim} and {numHeads}.");
        NumHeads = numHeads;
        DropoutProbability = dropout;
        Causal = causal;
        this.generator = generator;
        QProj = new Linear(embedDim, embedDim, bias, generator);
        KProj = new Linear(keyDim ?? embedDim, embedDim, bias, generator);
        VProj = new Linear(valueDim ?? embedDim, embedDim, bias, generator);
        OutProj = new Linear(embedDim, embedDim, bias, generator);
        InitializeProjections(generator);
    }

    /// <summary>The query projection [E, E].</summary>
    public Linear QProj { get; set; }

    /// <summary>The key projection [E, keyDim].</summary>
    public Linear KProj { get; set; }

    /// <summary>The value projection [E, valueDim].</summary>
    public Linear VProj { get; set; }

    /// <summary>The output projection [E, E].</summary>
    public Linear OutProj { get; set; }

    /// <summary>The model width E.</summary>
    public int EmbedDim => QProj.OutFeatures;

    /// <summary>The number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>The width of each head, E / heads.</summary>
    public int HeadDim => EmbedDim / NumHeads;

    /// <summary>The probability of dropping an attention weight in training.</summary>
    public float DropoutProbability { get; }

    /// <summary>Whether query i attends only keys j ≤ i (combined with any masks given).</summary>
    public bool Causal { get; set; }

    /// <summary>Attention of <paramref name="query"/> over <paramref name="key"/> and <paramref name="value"/> (self-attention when null); see <see cref="AttentionInput"/>.</summary>
    public AttentionOutput Forward(Tensor query, Tensor? key = null, Tensor? value = null, Tensor? keyPaddingMask = null, Tensor? attentionMask = null,
        bool needWeights = false, bool averageWeights = true) =>
        Forward(new AttentionInput(query, key, value)
        {
            KeyPaddingMask = keyPaddingMask,
            AttentionMask = attentionMask,
            NeedWeights = needWeights,
            AverageWeights = averageWeights,
        });

    /// <summary>Draws the weights again with PyTorch's initialization.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        OutProj.ResetParameters(generator);
        InitializeProjections(generator);
    }

    /// <summary>The input projections' Glorot-uniform weights and every zero bias (the output projection's weight keeps Linear's initialization).</summary>
    private void InitializeProjections(Generator? generator)
    {
        if (KProj.InFeatures == EmbedDim && VProj.InFeatures == EmbedDim)
        {
            double bound = Math.Sqrt(6.0 / (EmbedDim + 3 * EmbedDim));
            foreach (Linear projection in new[] { QProj, KProj, VProj }) Init.Uniform(projection.Weight, -bound, bound, generator);
        }
        else
        {
            foreach (Linear projection in new[] { QProj, KProj, VProj }) Init.XavierUniform(projection.Weight, generator: generator);
        }
        foreach (Linear projection in new[] { QProj, KProj, VProj, OutProj })
        {
            if (projection.Bias is not null) Init.Zeros(projection.Bias);
        }
    }

    /// <inheritdoc />
    protected override AttentionOutput ForwardCore(AttentionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor query = input.Query, key = input.Key ?? query, value = input.Value ?? key;
        if (query.Dim is not (2 or 3) || key.Dim != query.Dim || value.Dim != query.Dim)
            throw new ForgeException($"MultiHeadAttention expects query, key and value all [batch, length, features] or all [length, features], found {Tensor.Format(query.Shape)}, {Tensor.Format(key.Shape)} and {Tensor.Format(value.Shape)}.");
        bool batched = query.Dim == 3;
        if (!batched)
        {
            query = query.Unsqueeze(0);
            key = key.Unsqueeze(0);
            value = value.Unsqueeze(0);
        }
        int batch = query.Size(0), queryLength = query.Size(1), keyLength = key.Size(1);
        if (key.Size(0) != batch || value.Size(0) != batch || value.Size(1) != keyLength)
            throw new ForgeException($"MultiHeadAttention expects key and value with the query's batch and one length, found query {Tensor.Format(query.Shape)}, key {Tensor.Format(key.Shape)}, value {Tensor.Format(value.Shape)}.");
        Tensor q = SplitHeads(QProj.Forward(query), batch, queryLength);
        Tensor k = SplitHeads(KProj.Forward(key), batch, keyLength);
        Tensor v = SplitHeads(VProj.Forward(value), batch, keyLength);
        Tensor? mask = CombinedMask(input, batched, batch, queryLength, keyLength);
        var (attended, weights) = Functional.ScaledDotProductAttention(q, k, v, mask, Causal, Training ? DropoutProbability : 0, input.NeedWeights, generator: generator);
        Tensor output = OutProj.Forward(attended.Transpose(1, 2).Reshape(batch, queryLength, EmbedDim));
        if (weights is not null && input.AverageWeights) weights = weights.Mean(1);
        return batched ? new AttentionOutput(output, weights) : new AttentionOutput(output.Squeeze(0), weights?.Squeeze(0));
    }

    /// <inheritdoc />
    public override string ExtraRepr() =>
        $"embed_dim={EmbedDim}, num_heads={NumHeads}, dropout={LayerChecks.PyFloat(DropoutProbability)}, causal={PyBool(Causal)}";

    /// <summary>[batch, length, E] → [batch, heads, length, headDim].</summary>
    private Tensor SplitHeads(Tensor x, int batch, int length) => x.Reshape(batch, length, NumHeads, HeadDim).Transpose(1, 2);

    /// <summary>The attention and key padding masks as one mask broadcastable to [batch, heads, Lq, Lk], or null.</summary>
    private Tensor? CombinedMask(AttentionInput input, bool batched, int batch, int queryLength, int keyLength)
    {
        Tensor? attention = input.AttentionMask;
        if (attention is not null)
        {
            attention = AsMask(attention, "attention mask");
            if (attention.Dim == 3)
            {
                if (!attention.Shape.SequenceEqual([batch * NumHeads, queryLength, keyLength]))
                    throw new ForgeException($"A 3-D attention mask must be [batch·heads, Lq, Lk] = [{batch * NumHeads}, {queryLength}, {keyLength}], found {Tensor.Format(attention.Shape)}.");
                attention = attention.Reshape(batch, NumHeads, queryLength, keyLength);
            }
            else if (attention.Dim is not (2 or 4))
            {
                throw new ForgeException($"The attention mask must be [Lq, Lk], [batch·heads, Lq, Lk] or [batch, heads, Lq, Lk], found {Tensor.Format(attention.Shape)}.");
            }
        }
        Tensor? padding = input.KeyPaddingMask;
        if (padding is not null)
        {
            padding = AsMask(padding, "key padding mask");
            if (!batched) padding = padding.Unsqueeze(0);
            if (!padding.Shape.SequenceEqual([batch, keyLength]))
                throw new ForgeException($"The key padding mask must be [batch, Lk] = [{batch}, {keyLength}]{(batched ? "" : $" (or [{keyLength}] unbatched)")}, found {Tensor.Format(input.KeyPaddingMask!.Shape)}.");
            padding = padding.Reshape(batch, 1, 1, keyLength);
        }
        if (attention is null || padding is null) return attention ?? padding;
        return Additive(attention).Add(Additive(padding));
    }

    /// <summary>A Bool or Float32 mask; integer masks become Bool (non-zero = may attend).</summary>
    private static Tensor AsMask(Tensor mask, string what) => mask.DType switch
    {
        DType.Bool or DType.Float32 => mask,
        DType.Int64 or DType.Int32 or DType.Int8 or DType.UInt8 => mask.Ne(0),
        _ => throw new ForgeException($"The {what} must be Bool, integer or Float32, found {mask.DType}."),
    };

    /// <summary>A Bool mask as 0 (may attend) and −∞ (blocked); a Float32 mask as is.</summary>
    private static Tensor Additive(Tensor mask) =>
        mask.DType == DType.Bool ? Tensor.Zeros([.. mask.shape]).MaskedFill(mask.Eq(0), float.NegativeInfinity) : mask;
}
