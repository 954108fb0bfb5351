using Forge.Autograd;
using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.DistilBert;

/// <summary>What DistilBERT reads: token ids [batch, length] (Int64) and optionally the padding mask (1 real, 0 padding), [batch, length]. DistilBERT has no token types.</summary>
public sealed record DistilBertInput(Tensor InputIds, Tensor? AttentionMask = null);

/// <summary>Hidden states [batch, length, dim] and the additive key mask [batch, 1, 1, length] (null when every key is real).</summary>
public sealed record DistilBertHidden(Tensor Hidden, Tensor? AttentionMask);

/// <summary>DistilBERT's embeddings: word + position, then LayerNorm and dropout.</summary>
public sealed class DistilBertEmbeddings : Module<Tensor, Tensor>
{
    /// <summary>The embeddings of a model configured by <paramref name="config"/>.</summary>
    public DistilBertEmbeddings(DistilBertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        WordEmbeddings = HeadFunctions.Embedding(config.VocabSize, config.Dim, config.InitializerRange, generator, config.PadTokenId);
        PositionEmbeddings = HeadFunctions.Embedding(config.MaxPositionEmbeddings, config.Dim, config.InitializerRange, generator);
        if (config.SinusoidalPosEmbds) FillSinusoids(PositionEmbeddings.Weight);
        LayerNorm = new LayerNorm(config.Dim, DistilBertConfig.LayerNormEps);
        Dropout = new Dropout(config.Dropout, generator);
    }

    /// <summary>The token embeddings [vocab, dim] (also the masked-language-model projector when tied).</summary>
    public Embedding WordEmbeddings { get; set; }

    /// <summary>The position embeddings [max_position_embeddings, dim]: learned, or fixed sinusoids.</summary>
    public Embedding PositionEmbeddings { get; set; }

    /// <summary>The norm of the summed embeddings.</summary>
    [StateName("LayerNorm")]
    public LayerNorm LayerNorm { get; set; }

    /// <summary>Dropout on the normalized embeddings.</summary>
    public Dropout Dropout { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int length = input.Size(1);
        if (length > PositionEmbeddings.NumEmbeddings)
            throw new ForgeException($"DistilBERT input of {length} positions exceeds the model's max_position_embeddings of {PositionEmbeddings.NumEmbeddings}.");
        Tensor positions = Tensor.Arange(0, length, dtype: DType.Int64, device: input.Device).Unsqueeze(0);
        return Dropout.Forward(LayerNorm.Forward(WordEmbeddings.Forward(input).Add(PositionEmbeddings.Forward(positions))));
    }

    /// <summary>Hugging Face's fixed sinusoidal table: sin at even columns, cos at odd, frequency 10000^(-2⌊j/2⌋/dim); not trained.</summary>
    private static void FillSinusoids(Parameter weight)
    {
        int positions = weight.Size(0), dim = weight.Size(1);
        var values = new float[positions * dim];
        for (int p = 0; p < positions; p++)
        {
            for (int j = 0; j < dim; j++)
            {
                double angle = p / Math.Pow(10000, 2.0 * (j / 2) / dim);
                values[p * dim + j] = (float)(j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle));
            }
        }
        using (GradMode.NoGrad()) weight.CopyFrom(Tensor.FromArray(values, positions, dim));
        weight.RequiresGrad = false;
    }
}

/// <summary>DistilBERT's self-attention: <c>q_lin</c>, <c>k_lin</c>, <c>v_lin</c> and the output projection <c>out_lin</c>.</summary>
public sealed class DistilBertSelfAttention : Module<DistilBertHidden, Tensor>
{
    private readonly int heads;
    private readonly float attentionDropout;
    private readonly Generator generator;

    /// <summary>The attention of a model configured by <paramref name="config"/>.</summary>
    public DistilBertSelfAttention(DistilBertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        heads = config.NHeads;
        attentionDropout = config.AttentionDropout;
        this.generator = generator;
        QLin = HeadFunctions.Linear(config.Dim, config.Dim, config.InitializerRange, generator);
        KLin = HeadFunctions.Linear(config.Dim, config.Dim, config.InitializerRange, generator);
        VLin = HeadFunctions.Linear(config.Dim, config.Dim, config.InitializerRange, generator);
        OutLin = HeadFunctions.Linear(config.Dim, config.Dim, config.InitializerRange, generator);
    }

    /// <summary>The query projection.</summary>
    public Linear QLin { get; set; }

    /// <summary>The key projection.</summary>
    public Linear KLin { get; set; }

    /// <summary>The value projection.</summary>
    public Linear VLin { get; set; }

    /// <summary>The output projection.</summary>
    public Linear OutLin { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(DistilBertHidden input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x = input.Hidden;
        int batch = x.Size(0), length = x.Size(1), width = x.Size(2), headSize = width / heads;
        Tensor SplitHeads(Tensor t) => t.Reshape(batch, length, heads, headSize).Transpose(1, 2);
        Tensor attended = Functional.ScaledDotProductAttention(SplitHeads(QLin.Forward(x)), SplitHeads(KLin.Forward(x)), SplitHeads(VLin.Forward(x)),
            input.AttentionMask, dropout: Training ? attentionDropout : 0, generator: generator).Output;
        return OutLin.Forward(attended.Transpose(1, 2).Reshape(batch, length, width));
    }
}

/// <summary>DistilBERT's feed-forward layer: <c>lin1</c>, the activation, <c>lin2</c>, dropout.</summary>
public sealed class DistilBertFeedForward : Module<Tensor, Tensor>
{
    private readonly string activation;

    /// <summary>The feed-forward layer of a model configured by <paramref name="config"/>.</summary>
    public DistilBertFeedForward(DistilBertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        activation = config.Activation;
        Lin1 = HeadFunctions.Linear(config.Dim, config.HiddenDim, config.InitializerRange, generator);
        Lin2 = HeadFunctions.Linear(config.HiddenDim, config.Dim, config.InitializerRange, generator);
        Dropout = new Dropout(config.Dropout, generator);
    }

    /// <summary>The expanding projection.</summary>
    public Linear Lin1 { get; set; }

    /// <summary>The contracting projection.</summary>
    public Linear Lin2 { get; set; }

    /// <summary>Dropout on the output.</summary>
    public Dropout Dropout { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Dropout.Forward(Lin2.Forward(HeadFunctions.Activate(activation, Lin1.Forward(input))));
}

/// <summary>One post-norm DistilBERT layer: sa_layer_norm(x + attention(x)), then output_layer_norm(h + ffn(h)).</summary>
public sealed class DistilBertTransformerBlock : Module<DistilBertHidden, Tensor>
{
    /// <summary>A layer of a model configured by <paramref name="config"/>.</summary>
    public DistilBertTransformerBlock(DistilBertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Attention = new DistilBertSelfAttention(config, generator);
        SaLayerNorm = new LayerNorm(config.Dim, DistilBertConfig.LayerNormEps);
        Ffn = new DistilBertFeedForward(config, generator);
        OutputLayerNorm = new LayerNorm(config.Dim, DistilBertConfig.LayerNormEps);
    }

    /// <summary>The self-attention.</summary>
    public DistilBertSelfAttention Attention { get; set; }

    /// <summary>The norm after the attention's residual addition.</summary>
    public LayerNorm SaLayerNorm { get; set; }

    /// <summary>The feed-forward layer.</summary>
    public DistilBertFeedForward Ffn { get; set; }

    /// <summary>The norm after the feed-forward residual addition.</summary>
    public LayerNorm OutputLayerNorm { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(DistilBertHidden input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor attended = SaLayerNorm.Forward(Attention.Forward(input).Add(input.Hidden));
        return OutputLayerNorm.Forward(Ffn.Forward(attended).Add(attended));
    }
}

/// <summary>DistilBERT's stack of layers (<c>layer.0</c>, <c>layer.1</c>, ...).</summary>
public sealed class DistilBertTransformer : Module<DistilBertHidden, Tensor>
{
    /// <summary>The layers of a model configured by <paramref name="config"/>.</summary>
    public DistilBertTransformer(DistilBertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        Layer = new ModuleList<DistilBertTransformerBlock>(Enumerable.Range(0, config.NLayers).Select(_ => new DistilBertTransformerBlock(config, generator)));
    }

    /// <summary>The layers.</summary>
    public ModuleList<DistilBertTransformerBlock> Layer { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(DistilBertHidden input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x = input.Hidden;
        foreach (DistilBertTransformerBlock layer in Layer) x = layer.Forward(input with { Hidden = x });
        return x;
    }
}

/// <summary>
/// The DistilBERT trunk (Hugging Face's <c>DistilBertModel</c>): embeddings and the Transformer, with Hugging Face's state names
/// (<c>embeddings.word_embeddings.weight</c>, <c>transformer.layer.0.attention.q_lin.weight</c>, <c>transformer.layer.0.ffn.lin1.weight</c>);
/// the forward pass gives the last hidden states [batch, length, dim].
/// </summary>
public sealed partial class DistilBertModel : Module<DistilBertInput, Tensor>
{
    /// <summary>A randomly initialized trunk; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public DistilBertModel(DistilBertConfig config, ulong seed = 0)
        : this(config, new Generator(seed)) { }

    /// <summary>A trunk initialized from <paramref name="generator"/>, which later draws its dropout masks.</summary>
    public DistilBertModel(DistilBertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(generator);
        config.Validate();
        Config = config;
        Generator = generator;
        Embeddings = new DistilBertEmbeddings(config, generator);
        Transformer = new DistilBertTransformer(config, generator);
    }

    /// <summary>The configuration.</summary>
    public DistilBertConfig Config { get; }

    /// <summary>The random generator of the initial weights and the dropout masks.</summary>
    public Generator Generator { get; }

    /// <summary>The embeddings.</summary>
    public DistilBertEmbeddings Embeddings { get; set; }

    /// <summary>The Transformer layers.</summary>
    public DistilBertTransformer Transformer { get; set; }

    /// <summary>What <see cref="FromPretrained"/> left newly initialized or unused; null for a model not loaded.</summary>
    public PretrainedLoadReport? LoadReport { get; private set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(DistilBertInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor ids = input.InputIds;
        if (ids.Dim != 2 || ids.DType != DType.Int64)
            throw new ForgeException($"DistilBERT input ids must be an Int64 tensor [batch, length], found {ids.DType} {Tensor.Format(ids.Shape)}.");
        Tensor? mask = HeadFunctions.ExtendedAttentionMask(input.AttentionMask, ids, "DistilBERT");
        return Transformer.Forward(new DistilBertHidden(Embeddings.Forward(ids), mask));
    }

    /// <summary>Copies the embeddings and Transformer of <paramref name="source"/> (e.g. a masked-language model's trunk into a classifier's); shapes must match.</summary>
    public StateDictLoadResult LoadTrunkFrom(DistilBertModel source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return LoadStateDict(source.StateDict(), strict: false);
    }
}
