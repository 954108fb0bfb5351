using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.Gpt2;

/// <summary>GPT-2's causal self-attention: one fused q/k/v projection (<c>c_attn</c>) and an output projection (<c>c_proj</c>).</summary>
public sealed class Gpt2Attention : Module<Gpt2Attention.Input, Tensor>
{
    private readonly int heads;
    private readonly float attentionDropout;
    private readonly Generator generator;

    /// <summary>What the attention reads: the hidden states [batch, positions, n_embd], and the cache with this layer's index.</summary>
    public sealed record Input(Tensor Hidden, KeyValueCache? Cache, int Layer);

    /// <summary>The attention of a model configured by <paramref name="config"/>.</summary>
    public Gpt2Attention(Gpt2Config config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        heads = config.NHead;
        attentionDropout = config.AttnPdrop;
        this.generator = generator;
        CAttn = new Conv1D(config.NEmbd, 3 * config.NEmbd, config.InitializerRange, generator);
        CProj = new Conv1D(config.NEmbd, config.NEmbd, config.ResidualInitializerRange, generator);
        ResidDropout = new Dropout(config.ResidPdrop, generator);
    }

    /// <summary>The fused query/key/value projection.</summary>
    [StateName("c_attn")]
    public Conv1D CAttn { get; set; }

    /// <summary>The output projection.</summary>
    [StateName("c_proj")]
    public Conv1D CProj { get; set; }

    /// <summary>Dropout on the output.</summary>
    [StateName("resid_dropout")]
    public Dropout ResidDropout { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Input input)
    {
        Tensor x = input.Hidden;
        int batch = x.Size(0), length = x.Size(1), width = x.Size(2), headSize = width / heads;
        Tensor[] qkv = CAttn.Forward(x).Split(width, dim: 2);
        Tensor SplitHeads(Tensor t) => t.Reshape(batch, length, heads, headSize).Transpose(1, 2);
        Tensor query = SplitHeads(qkv[0]), key = SplitHeads(qkv[1]), value = SplitHeads(qkv[2]);
        float dropout = Training ? attentionDropout : 0;
        Tensor attended = input.Cache is { FixedShapes: true } cache
            ? AttendOverFixedCache(query, key, value, cache, input.Layer, dropout)
            : Attend(query, key, value, input.Cache, input.Layer, dropout);
        Tensor merged = attended.Transpose(1, 2).Reshape(batch, length, width);
        return ResidDropout.Forward(CProj.Forward(merged));
    }

    /// <summary>Attention over the cached keys and values (if any) followed by the new ones, causal among the new positions.</summary>
    private Tensor Attend(Tensor query, Tensor key, Tensor value, KeyValueCache? cache, int layer, float dropout)
    {
        if (cache is not null) (key, value) = cache.Append(layer, key, value);
        int length = query.Size(2), past = key.Size(2) - length;
        // One new position (a decoding step) may attend every cached key, so it needs no mask.
        return past == 0
            ? Functional.ScaledDotProductAttention(query, key, value, isCausal: true, dropout: dropout, generator: generator).Output
            : length == 1 ? Functional.ScaledDotProductAttention(query, key, value, dropout: dropout, generator: generator).Output
            : Functional.ScaledDotProductAttention(query, key, value, CausalMask(length, past), dropout: dropout, generator: generator).Output;
    }

    /// <summary>Attention over every position of a cache of fixed shapes, whose reservation's mask hides those not filled yet.</summary>
    private Tensor AttendOverFixedCache(Tensor query, Tensor key, Tensor value, KeyValueCache cache, int layer, float dropout)
    {
        (key, value) = cache.Append(layer, key, value);
        Tensor scores = query.MatMul(key.MT).Mul(1f / MathF.Sqrt(query.Size(3))).Add(cache.Mask);
        return Functional.Dropout(Functional.Softmax(scores, -1), dropout, Training, generator).MatMul(value);
    }

    /// <summary>Bool [length, past + length]: query i (at position past + i) may attend keys 0..past + i.</summary>
    private static Tensor CausalMask(int length, int past)
    {
        int keys = past + length;
        var allowed = new bool[length * keys];
        for (int i = 0; i < length; i++)
            for (int j = 0; j <= past + i; j++) allowed[i * keys + j] = true;
        return Tensor.FromArray(allowed, length, keys);
    }
}
