using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.Gpt2;

/// <summary>
/// The GPT-2 trunk (Hugging Face's <c>GPT2Model</c>): token and position embeddings, the blocks and the final norm, with
/// Hugging Face's state names (<c>wte</c>, <c>wpe</c>, <c>h.0.attn.c_attn.weight</c>, <c>ln_f</c>).
/// </summary>
public sealed class Gpt2Model : Module<Gpt2Model.Input, Tensor>
{
    private readonly int positions;

    /// <summary>Token ids [batch, length] (Int64) and, for incremental decoding, the cache of earlier positions.</summary>
    public sealed record Input(Tensor InputIds, KeyValueCache? Cache = null);

    /// <summary>A trunk configured by <paramref name="config"/>, initialized from <paramref name="generator"/>, which later draws its dropout masks.</summary>
    public Gpt2Model(Gpt2Config config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        positions = config.NPositions;
        Wte = new Embedding(config.VocabSize, config.NEmbd);
        Init.Normal(Wte.Weight, 0, config.InitializerRange, generator);
        Wpe = new Embedding(config.NPositions, config.NEmbd);
        Init.Normal(Wpe.Weight, 0, config.InitializerRange, generator);
        Drop = new Dropout(config.EmbdPdrop, generator);
        H = new ModuleList<Gpt2Block>(Enumerable.Range(0, config.NLayer).Select(_ => new Gpt2Block(config, generator)));
        LnF = new LayerNorm(config.NEmbd, config.LayerNormEpsilon);
    }

    /// <summary>The token embeddings [vocab, n_embd].</summary>
    public Embedding Wte { get; set; }

    /// <summary>The learned position embeddings [n_positions, n_embd].</summary>
    public Embedding Wpe { get; set; }

    /// <summary>Dropout on the summed embeddings.</summary>
    public Dropout Drop { get; set; }

    /// <summary>The Transformer blocks.</summary>
    public ModuleList<Gpt2Block> H { get; set; }

    /// <summary>The final layer norm.</summary>
    [StateName("ln_f")]
    public LayerNorm LnF { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Input input)
    {
        Tensor ids = input.InputIds;
        if (ids.Dim != 2 || ids.DType != DType.Int64)
            throw new ForgeException($"GPT-2 input ids must be an Int64 tensor [batch, length], found {ids.DType} {Tensor.Format(ids.Shape)}.");
        int past = input.Cache?.Length ?? 0, length = ids.Size(1);
        if (past + length > positions)
            throw new ForgeException($"GPT-2 input of {past + length} positions exceeds the model's context of {positions}.");
        Tensor positionIds = input.Cache is { FixedShapes: true } cache ? cache.Reserve(length) : Tensor.Arange(past, past + length).Unsqueeze(0);
        Tensor x = Drop.Forward(Wte.Forward(ids).Add(Wpe.Forward(positionIds)));
        for (int layer = 0; layer < H.Count; layer++) x = H[layer].Forward(new Gpt2Attention.Input(x, input.Cache, layer));
        return LnF.Forward(x);
    }
}
