using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.Bert;

/// <summary>Hidden states [batch, length, hidden] and the additive key mask [batch, 1, 1, length] (null when every key is real).</summary>
public sealed record BertHidden(Tensor Hidden, Tensor? AttentionMask);

/// <summary>A sublayer's output and the residual stream it is added to before the layer norm.</summary>
public sealed record BertResidual(Tensor Hidden, Tensor Residual);

/// <summary>BERT's embeddings: word + position + token type, then LayerNorm and dropout.</summary>
public sealed class BertEmbeddings : Module<BertInput, Tensor>
{
    /// <summary>The embeddings of a model configured by <paramref name="config"/>.</summary>
    public BertEmbeddings(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        WordEmbeddings = HeadFunctions.Embedding(config.VocabSize, config.HiddenSize, config.InitializerRange, generator, config.PadTokenId);
        PositionEmbeddings = HeadFunctions.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, config.InitializerRange, generator);
        TokenTypeEmbeddings = HeadFunctions.Embedding(config.TypeVocabSize, config.HiddenSize, config.InitializerRange, generator);
        LayerNorm = new LayerNorm(config.HiddenSize, config.LayerNormEps);
        Dropout = new Dropout(config.HiddenDropoutProb, generator);
    }

    /// <summary>The token embeddings [vocab, hidden] (also the masked-language-model decoder when tied).</summary>
    public Embedding WordEmbeddings { get; set; }

    /// <summary>The learned position embeddings [max_position_embeddings, hidden].</summary>
    public Embedding PositionEmbeddings { get; set; }

    /// <summary>The segment embeddings [type_vocab_size, hidden].</summary>
    public Embedding TokenTypeEmbeddings { get; set; }

    /// <summary>The norm of the summed embeddings.</summary>
    [StateName("LayerNorm")]
    public LayerNorm LayerNorm { get; set; }

    /// <summary>Dropout on the normalized embeddings.</summary>
    public Dropout Dropout { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(BertInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor ids = input.InputIds;
        int length = ids.Size(1);
        if (length > PositionEmbeddings.NumEmbeddings)
            throw new ForgeException($"BERT input of {length} positions exceeds the model's max_position_embeddings of {PositionEmbeddings.NumEmbeddings}.");
        Tensor types = input.TokenTypeIds ?? Tensor.Zeros([.. ids.shape], DType.Int64, ids.Device);
        if (!types.Shape.SequenceEqual(ids.Shape) || types.DType != DType.Int64)
            throw new ForgeException($"BERT token_type_ids must be Int64 with the input ids' shape {Tensor.Format(ids.Shape)}, found {types.DType} {Tensor.Format(types.Shape)}.");
        Tensor positions = Tensor.Arange(0, length, dtype: DType.Int64, device: ids.Device).Unsqueeze(0);
        Tensor sum = WordEmbeddings.Forward(ids).Add(TokenTypeEmbeddings.Forward(types)).Add(PositionEmbeddings.Forward(positions));
        return Dropout.Forward(LayerNorm.Forward(sum));
    }
}

/// <summary>BERT's multi-head self-attention projections (<c>query</c>, <c>key</c>, <c>value</c>) and the attention itself.</summary>
public sealed class BertSelfAttention : Module<BertHidden, Tensor>
{
    private readonly int heads;
    private readonly float attentionDropout;
    private readonly Generator generator;

    /// <summary>The self-attention of a model configured by <paramref name="config"/>.</summary>
    public BertSelfAttention(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        heads = config.NumAttentionHeads;
        attentionDropout = config.AttentionProbsDropoutProb;
        this.generator = generator;
        Query = HeadFunctions.Linear(config.HiddenSize, config.HiddenSize, config.InitializerRange, generator);
        Key = HeadFunctions.Linear(config.HiddenSize, config.HiddenSize, config.InitializerRange, generator);
        Value = HeadFunctions.Linear(config.HiddenSize, config.HiddenSize, config.InitializerRange, generator);
    }

    /// <summary>The query projection.</summary>
    public Linear Query { get; set; }

    /// <summary>The key projection.</summary>
    public Linear Key { get; set; }

    /// <summary>The value projection.</summary>
    public Linear Value { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(BertHidden input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x = input.Hidden;
        int batch = x.Size(0), length = x.Size(1), width = x.Size(2), headSize = width / heads;
        Tensor SplitHeads(Tensor t) => t.Reshape(batch, length, heads, headSize).Transpose(1, 2);
        Tensor attended = Functional.ScaledDotProductAttention(SplitHeads(Query.Forward(x)), SplitHeads(Key.Forward(x)), SplitHeads(Value.Forward(x)),
            input.AttentionMask, dropout: Training ? attentionDropout : 0, generator: generator).Output;
        return attended.Transpose(1, 2).Reshape(batch, length, width);
    }
}

/// <summary>A projection back into the residual stream: dense, dropout, then LayerNorm(h + residual); see <see cref="BertSelfOutput"/> and <see cref="BertOutput"/>.</summary>
public abstract class BertResidualOutput : Module<BertResidual, Tensor>
{
    /// <summary>A projection from <paramref name="inFeatures"/> to the hidden size of <paramref name="config"/>.</summary>
    private protected BertResidualOutput(BertConfig config, int inFeatures, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Dense = HeadFunctions.Linear(inFeatures, config.HiddenSize, config.InitializerRange, generator);
        LayerNorm = new LayerNorm(config.HiddenSize, config.LayerNormEps);
        Dropout = new Dropout(config.HiddenDropoutProb, generator);
    }

    /// <summary>The projection.</summary>
    public Linear Dense { get; set; }

    /// <summary>The norm after the residual addition.</summary>
    [StateName("LayerNorm")]
    public LayerNorm LayerNorm { get; set; }

    /// <summary>Dropout on the projection.</summary>
    public Dropout Dropout { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(BertResidual input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return LayerNorm.Forward(Dropout.Forward(Dense.Forward(input.Hidden)).Add(input.Residual));
    }
}

/// <summary>The projection after the attention (<c>attention.output</c>): hidden to hidden, residual, norm.</summary>
public sealed class BertSelfOutput : BertResidualOutput
{
    /// <summary>The attention output of a model configured by <paramref name="config"/>.</summary>
    public BertSelfOutput(BertConfig config, Generator generator)
        : base(config, (config ?? throw new ArgumentNullException(nameof(config))).HiddenSize, generator) { }
}

/// <summary>The feed-forward contraction (<c>output</c>): intermediate to hidden, residual, norm.</summary>
public sealed class BertOutput : BertResidualOutput
{
    /// <summary>The feed-forward output of a model configured by <paramref name="config"/>.</summary>
    public BertOutput(BertConfig config, Generator generator)
        : base(config, (config ?? throw new ArgumentNullException(nameof(config))).IntermediateSize, generator) { }
}

/// <summary>BERT's attention block: <c>self</c> (the attention) and <c>output</c> (projection, residual, norm).</summary>
public sealed class BertAttention : Module<BertHidden, Tensor>
{
    /// <summary>The attention block of a model configured by <paramref name="config"/>.</summary>
    public BertAttention(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Self = new BertSelfAttention(config, generator);
        Output = new BertSelfOutput(config, generator);
    }

    /// <summary>The self-attention.</summary>
    public BertSelfAttention Self { get; set; }

    /// <summary>The output projection with its residual and norm.</summary>
    public BertSelfOutput Output { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(BertHidden input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Output.Forward(new BertResidual(Self.Forward(input), input.Hidden));
    }
}

/// <summary>BERT's feed-forward expansion: <c>dense</c> then the activation.</summary>
public sealed class BertIntermediate : Module<Tensor, Tensor>
{
    private readonly string activation;

    /// <summary>The expansion of a model configured by <paramref name="config"/>.</summary>
    public BertIntermediate(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        activation = config.HiddenAct;
        Dense = HeadFunctions.Linear(config.HiddenSize, config.IntermediateSize, config.InitializerRange, generator);
    }

    /// <summary>The expanding projection.</summary>
    public Linear Dense { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => HeadFunctions.Activate(activation, Dense.Forward(input));
}

/// <summary>One post-norm BERT layer: attention, then the feed-forward layer (<c>intermediate</c>, <c>output</c>).</summary>
public sealed class BertLayer : Module<BertHidden, Tensor>
{
    /// <summary>A layer of a model configured by <paramref name="config"/>.</summary>
    public BertLayer(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Attention = new BertAttention(config, generator);
        Intermediate = new BertIntermediate(config, generator);
        Output = new BertOutput(config, generator);
    }

    /// <summary>The attention block.</summary>
    public BertAttention Attention { get; set; }

    /// <summary>The feed-forward expansion.</summary>
    public BertIntermediate Intermediate { get; set; }

    /// <summary>The feed-forward contraction with its residual and norm.</summary>
    public BertOutput Output { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(BertHidden input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor attended = Attention.Forward(input);
        return Output.Forward(new BertResidual(Intermediate.Forward(attended), attended));
    }
}

/// <summary>BERT's stack of layers (<c>layer.0</c>, <c>layer.1</c>, ...).</summary>
public sealed class BertEncoder : Module<BertHidden, Tensor>
{
    /// <summary>The layers of a model configured by <paramref name="config"/>.</summary>
    public BertEncoder(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Layer = new ModuleList<BertLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config, generator)));
    }

    /// <summary>The layers.</summary>
    public ModuleList<BertLayer> Layer { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(BertHidden input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x = input.Hidden;
        foreach (BertLayer layer in Layer) x = layer.Forward(input with { Hidden = x });
        return x;
    }
}

/// <summary>BERT's pooler: <c>dense</c> and tanh on the first ([CLS]) position's hidden state.</summary>
public sealed class BertPooler : Module<Tensor, Tensor>
{
    /// <summary>The pooler of a model configured by <paramref name="config"/>.</summary>
    public BertPooler(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Dense = HeadFunctions.Linear(config.HiddenSize, config.HiddenSize, config.InitializerRange, generator);
    }

    /// <summary>The projection.</summary>
    public Linear Dense { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Dense.Forward(input.Select(1, 0)).Tanh();
    }
}
