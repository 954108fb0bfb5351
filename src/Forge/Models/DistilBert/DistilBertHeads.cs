using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.DistilBert;

/// <summary>
/// DistilBERT's <c>vocab_projector</c>: hidden states onto the vocabulary with its own <c>bias</c>; the weight is the word embedding
/// matrix when tied (the default; no <c>vocab_projector.weight</c> in the state dict), else its own <c>weight</c> [vocab, dim].
/// </summary>
public sealed class DistilBertVocabProjector : Module<Tensor, Tensor>
{
    private readonly Func<Tensor> wordEmbeddings;

    /// <summary>The projector of a model configured by <paramref name="config"/>; <paramref name="wordEmbeddings"/> gives the tied weight.</summary>
    public DistilBertVocabProjector(DistilBertConfig config, Generator generator, Func<Tensor> wordEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(config);
        this.wordEmbeddings = wordEmbeddings ?? throw new ArgumentNullException(nameof(wordEmbeddings));
        if (!config.TieWordEmbeddings)
        {
            Weight = new Parameter(Tensor.Empty([config.VocabSize, config.Dim]));
            Init.Normal(Weight, 0, config.InitializerRange, generator);
        }
        Bias = new Parameter(Tensor.Zeros(config.VocabSize));
    }

    /// <summary>The untied weight [vocab, dim], or null when it is the word embedding matrix.</summary>
    public Parameter? Weight { get; set; }

    /// <summary>The output bias [vocab].</summary>
    public Parameter Bias { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Functional.Linear(input, Weight ?? wordEmbeddings(), Bias);
}

/// <summary>
/// DistilBERT with the masked-language-model head (Hugging Face's <c>DistilBertForMaskedLM</c>): state names <c>distilbert.*</c>,
/// <c>vocab_transform</c>, <c>vocab_layer_norm</c>, <c>vocab_projector</c>; the forward pass gives logits [batch, length, vocab].
/// </summary>
public sealed partial class DistilBertForMaskedLM : Module<DistilBertInput, Tensor>
{
    /// <summary>A randomly initialized model; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public DistilBertForMaskedLM(DistilBertConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var generator = new Generator(seed);
        Distilbert = new DistilBertModel(config, generator);
        VocabTransform = HeadFunctions.Linear(config.Dim, config.Dim, config.InitializerRange, generator);
        VocabLayerNorm = new LayerNorm(config.Dim, DistilBertConfig.LayerNormEps);
        VocabProjector = new DistilBertVocabProjector(config, generator, () => Distilbert.Embeddings.WordEmbeddings.Weight);
    }

    /// <summary>The configuration.</summary>
    public DistilBertConfig Config => Distilbert.Config;

    /// <summary>The trunk.</summary>
    public DistilBertModel Distilbert { get; set; }

    /// <summary>The projection before the activation.</summary>
    public Linear VocabTransform { get; set; }

    /// <summary>The norm after the activation.</summary>
    public LayerNorm VocabLayerNorm { get; set; }

    /// <summary>The projection onto the vocabulary.</summary>
    public DistilBertVocabProjector VocabProjector { get; set; }

    /// <summary>What <see cref="FromPretrained"/> left newly initialized or unused; null for a model not loaded.</summary>
    public PretrainedLoadReport? LoadReport { get; private set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(DistilBertInput input)
    {
        Tensor hidden = HeadFunctions.Activate(Config.Activation, VocabTransform.Forward(Distilbert.Forward(input)));
        return VocabProjector.Forward(VocabLayerNorm.Forward(hidden));
    }

    /// <summary>The mean cross-entropy of the logits against <paramref name="labels"/> [batch, length] (Int64 token ids; -100 for positions not scored).</summary>
    public Tensor Loss(DistilBertInput input, Tensor labels) => HeadFunctions.TokenLoss(Forward(input), labels);
}

/// <summary>
/// DistilBERT with a sequence classifier on the first token (Hugging Face's <c>DistilBertForSequenceClassification</c>):
/// <c>pre_classifier</c>, ReLU, dropout (<c>seq_classif_dropout</c>), <c>classifier</c>; logits [batch, num_labels].
/// </summary>
public sealed partial class DistilBertForSequenceClassification : Module<DistilBertInput, Tensor>
{
    /// <summary>A randomly initialized model; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public DistilBertForSequenceClassification(DistilBertConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var generator = new Generator(seed);
        Distilbert = new DistilBertModel(config, generator);
        PreClassifier = HeadFunctions.Linear(config.Dim, config.Dim, config.InitializerRange, generator);
        Classifier = HeadFunctions.Linear(config.Dim, config.NumLabels, config.InitializerRange, generator);
        Dropout = new Dropout(config.SeqClassifDropout, generator);
    }

    /// <summary>The configuration.</summary>
    public DistilBertConfig Config => Distilbert.Config;

    /// <summary>The trunk.</summary>
    public DistilBertModel Distilbert { get; set; }

    /// <summary>The projection of the first token's state, before ReLU.</summary>
    public Linear PreClassifier { get; set; }

    /// <summary>The classifier [num_labels, dim].</summary>
    public Linear Classifier { get; set; }

    /// <summary>Dropout before the classifier.</summary>
    public Dropout Dropout { get; set; }

    /// <summary>What <see cref="FromPretrained"/> left newly initialized or unused; null for a model not loaded.</summary>
    public PretrainedLoadReport? LoadReport { get; private set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(DistilBertInput input)
    {
        Tensor first = Distilbert.Forward(input).Select(1, 0);
        return Classifier.Forward(Dropout.Forward(PreClassifier.Forward(first).Relu()));
    }

    /// <summary>The loss against <paramref name="labels"/>, as <see cref="Forge.Models.Bert.BertForSequenceClassification.Loss"/>.</summary>
    public Tensor Loss(DistilBertInput input, Tensor labels) =>
        HeadFunctions.SequenceClassificationLoss(Forward(input), labels, Config.NumLabels, Config.ProblemType);
}

/// <summary>
/// DistilBERT with a classifier on every token (Hugging Face's <c>DistilBertForTokenClassification</c>): dropout, <c>classifier</c>;
/// logits [batch, length, num_labels].
/// </summary>
public sealed partial class DistilBertForTokenClassification : Module<DistilBertInput, Tensor>
{
    /// <summary>A randomly initialized model; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public DistilBertForTokenClassification(DistilBertConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var generator = new Generator(seed);
        Distilbert = new DistilBertModel(config, generator);
        Dropout = new Dropout(config.Dropout, generator);
        Classifier = HeadFunctions.Linear(config.Dim, config.NumLabels, config.InitializerRange, generator);
    }

    /// <summary>The configuration.</summary>
    public DistilBertConfig Config => Distilbert.Config;

    /// <summary>The trunk.</summary>
    public DistilBertModel Distilbert { get; set; }

    /// <summary>Dropout on the hidden states.</summary>
    public Dropout Dropout { get; set; }

    /// <summary>The classifier [num_labels, dim].</summary>
    public Linear Classifier { get; set; }

    /// <summary>What <see cref="FromPretrained"/> left newly initialized or unused; null for a model not loaded.</summary>
    public PretrainedLoadReport? LoadReport { get; private set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(DistilBertInput input) => Classifier.Forward(Dropout.Forward(Distilbert.Forward(input)));

    /// <summary>The mean cross-entropy against Int64 <paramref name="labels"/> [batch, length]; -100 marks positions not scored.</summary>
    public Tensor Loss(DistilBertInput input, Tensor labels) => HeadFunctions.TokenLoss(Forward(input), labels);
}
