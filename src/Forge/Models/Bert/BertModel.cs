using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.Bert;

/// <summary>
/// What BERT reads: token ids [batch, length] (Int64); optionally the segment of each token (Int64, zeros when null) and the
/// padding mask (1 at real tokens, 0 at padding; Int64, Float32 or Bool; all real when null), both [batch, length].
/// </summary>
public sealed record BertInput(Tensor InputIds, Tensor? TokenTypeIds = null, Tensor? AttentionMask = null);

/// <summary>The trunk's outputs: the last layer's hidden states [batch, length, hidden] and, with a pooler, the pooled [CLS] state [batch, hidden].</summary>
public sealed record BertModelOutput(Tensor LastHiddenState, Tensor? PoolerOutput);

/// <summary>
/// The BERT trunk (Hugging Face's <c>BertModel</c>): embeddings, the encoder and an optional pooler, with Hugging Face's state
/// names (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0.attention.self.query.weight</c>, <c>pooler.dense.weight</c>).
/// </summary>
public sealed partial class BertModel : Module<BertInput, BertModelOutput>
{
    /// <summary>A randomly initialized trunk; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public BertModel(BertConfig config, bool addPoolingLayer = true, ulong seed = 0)
        : this(config, addPoolingLayer, new Generator(seed)) { }

    /// <summary>A trunk initialized from <paramref name="generator"/>, which later draws its dropout masks.</summary>
    public BertModel(BertConfig config, bool addPoolingLayer, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(generator);
        config.Validate();
        Config = config;
        Generator = generator;
        Embeddings = new BertEmbeddings(config, generator);
        Encoder = new BertEncoder(config, generator);
        if (addPoolingLayer) Pooler = new BertPooler(config, generator);
    }

    /// <summary>The configuration.</summary>
    public BertConfig Config { get; }

    /// <summary>The random generator of the initial weights and the dropout masks.</summary>
    public Generator Generator { get; }

    /// <summary>The embeddings.</summary>
    public BertEmbeddings Embeddings { get; set; }

    /// <summary>The Transformer layers.</summary>
    public BertEncoder Encoder { get; set; }

    /// <summary>The pooler, or null (the masked-language and token-classification models have none).</summary>
    public BertPooler? Pooler { get; set; }

    /// <summary>What the last <see cref="BertModel.FromPretrained"/> (or a head's) left newly initialized or unused; null for a model not loaded.</summary>
    public PretrainedLoadReport? LoadReport { get; private set; }

    /// <inheritdoc />
    protected override BertModelOutput ForwardCore(BertInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor ids = input.InputIds;
        if (ids.Dim != 2 || ids.DType != DType.Int64)
            throw new ForgeException($"BERT input ids must be an Int64 tensor [batch, length], found {ids.DType} {Tensor.Format(ids.Shape)}.");
        Tensor? mask = HeadFunctions.ExtendedAttentionMask(input.AttentionMask, ids, "BERT");
        Tensor hidden = Encoder.Forward(new BertHidden(Embeddings.Forward(input), mask));
        return new BertModelOutput(hidden, Pooler?.Forward(hidden));
    }

    /// <summary>The pooled output, which a head on the [CLS] state needs; a <see cref="ForgeException"/> when the trunk has no pooler.</summary>
    internal static Tensor Pooled(BertModelOutput output) =>
        output.PoolerOutput ?? throw new ForgeException("This BERT head reads the pooled [CLS] state, but its trunk has no pooler (Bert.Pooler is null).");

    /// <summary>
    /// Copies the embeddings and encoder (and the pooler when both models have one) of <paramref name="source"/>, for example the
    /// trunk of a masked-language model into a new classifier's. Shapes must match; the result lists what was not copied.
    /// </summary>
    public StateDictLoadResult LoadTrunkFrom(BertModel source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return LoadStateDict(source.StateDict(), strict: false);
    }
}
