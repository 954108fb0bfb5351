using Forge.Nn;
using Forge.Tensors;

namespace Forge.Models.Bert;

/// <summary>The masked-language-model transform before the decoder: <c>dense</c>, the activation, <c>LayerNorm</c>.</summary>
public sealed class BertPredictionHeadTransform : Module<Tensor, Tensor>
{
    private readonly string activation;

    /// <summary>The transform of a model configured by <paramref name="config"/>.</summary>
    public BertPredictionHeadTransform(BertConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        activation = config.HiddenAct;
        Dense = HeadFunctions.Linear(config.HiddenSize, config.HiddenSize, config.InitializerRange, generator);
        LayerNorm = new LayerNorm(config.HiddenSize, config.LayerNormEps);
    }

    /// <summary>The projection.</summary>
    public Linear Dense { get; set; }

    /// <summary>The norm after the activation.</summary>
    [StateName("LayerNorm")]
    public LayerNorm LayerNorm { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => LayerNorm.Forward(HeadFunctions.Activate(activation, Dense.Forward(input)));
}

/// <summary>
/// The masked-language-model head (<c>cls.predictions</c>): the transform, then the decoder onto the vocabulary with its own
/// <c>bias</c>. The decoder weight is the word embedding matrix when tied (the default; no <c>decoder.weight</c> in the state dict).
/// </summary>
public sealed class BertLMPredictionHead : Module<Tensor, Tensor>
{
    private readonly Func<Tensor> wordEmbeddings;

    /// <summary>The head of a model configured by <paramref name="config"/>; <paramref name="wordEmbeddings"/> gives the tied decoder weight.</summary>
    public BertLMPredictionHead(BertConfig config, Generator generator, Func<Tensor> wordEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(config);
        this.wordEmbeddings = wordEmbeddings ?? throw new ArgumentNullException(nameof(wordEmbeddings));
        Transform = new BertPredictionHeadTransform(config, generator);
        if (!config.TieWordEmbeddings) Decoder = HeadFunctions.Linear(config.HiddenSize, config.VocabSize, config.InitializerRange, generator, bias: false);
        Bias = new Parameter(Tensor.Zeros(config.VocabSize));
    }

    /// <summary>The transform.</summary>
    public BertPredictionHeadTransform Transform { get; set; }

    /// <summary>The untied decoder (no bias of its own), or null when it is the word embedding matrix.</summary>
    public Linear? Decoder { get; set; }

    /// <summary>The output bias [vocab].</summary>
    public Parameter Bias { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.Linear(Transform.Forward(input), Decoder?.Weight ?? wordEmbeddings(), Bias);
}

/// <summary>The masked-language-model model's <c>cls</c>: <c>predictions</c> only.</summary>
public sealed class BertOnlyMLMHead : Module<Tensor, Tensor>
{
    /// <summary>The head of a model configured by <paramref name="config"/>.</summary>
    public BertOnlyMLMHead(BertConfig config, Generator generator, Func<Tensor> wordEmbeddings) =>
        Predictions = new BertLMPredictionHead(config, generator, wordEmbeddings);

    /// <summary>The masked-language-model head.</summary>
    public BertLMPredictionHead Predictions { get; set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input) => Predictions.Forward(input);
}

/// <summary>The pretraining model's <c>cls</c>: <c>predictions</c> (masked tokens) and <c>seq_relationship</c> (next sentence, on the pooled state).</summary>
public sealed class BertPreTrainingHeads : Module<BertModelOutput, BertPreTrainingOutput>
{
    /// <summary>The heads of a model configured by <paramref name="config"/>.</summary>
    public BertPreTrainingHeads(BertConfig config, Generator generator, Func<Tensor> wordEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(config);
        Predictions = new BertLMPredictionHead(config, generator, wordEmbeddings);
        SeqRelationship = HeadFunctions.Linear(config.HiddenSize, 2, config.InitializerRange, generator);
    }

    /// <summary>The masked-language-model head.</summary>
    public BertLMPredictionHead Predictions { get; set; }

    /// <summary>The next-sentence classifier (0: B follows A, 1: B is random).</summary>
    public Linear SeqRelationship { get; set; }

    /// <inheritdoc />
    protected override BertPreTrainingOutput ForwardCore(BertModelOutput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BertPreTrainingOutput(Predictions.Forward(input.LastHiddenState), SeqRelationship.Forward(BertModel.Pooled(input)));
    }
}

/// <summary>The pretraining outputs: masked-token logits [batch, length, vocab] and next-sentence logits [batch, 2].</summary>
public sealed record BertPreTrainingOutput(Tensor PredictionLogits, Tensor SeqRelationshipLogits);

/// <summary>
/// BERT with the masked-language-model head (Hugging Face's <c>BertForMaskedLM</c>): state names <c>bert.*</c> (no pooler) and
/// <c>cls.predictions.*</c>; the forward pass gives logits [batch, length, vocab].
/// </summary>
public sealed partial class BertForMaskedLM : Module<BertInput, Tensor>
{
    /// <summary>A randomly initialized model; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public BertForMaskedLM(BertConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var generator = new Generator(seed);
        Bert = new BertModel(config, addPoolingLayer: false, generator);
        Cls = new BertOnlyMLMHead(config, generator, () => Bert.Embeddings.WordEmbeddings.Weight);
    }

    /// <summary>The configuration.</summary>
    public BertConfig Config => Bert.Config;

    /// <summary>The trunk, without pooler.</summary>
    public BertModel Bert { get; set; }

    /// <summary>The masked-language-model head.</summary>
    public BertOnlyMLMHead Cls { get; set; }

    /// <summary>What <see cref="FromPretrained"/> left newly initialized or unused; null for a model not loaded.</summary>
    public PretrainedLoadReport? LoadReport { get; private set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(BertInput input) => Cls.Forward(Bert.Forward(input).LastHiddenState);

    /// <summary>
    /// The mean cross-entropy of the logits against <paramref name="labels"/> [batch, length] (Int64 token ids; -100 for positions
    /// not scored). Only the scored positions go through the head, so this is much cheaper than <see cref="Module{TIn, TOut}.Forward"/>
    /// over a large vocabulary, with the same value and gradients.
    /// </summary>
    public Tensor Loss(BertInput input, Tensor labels) => HeadFunctions.MaskedTokenLoss(Bert.Forward(input).LastHiddenState, labels, Cls.Forward);
}

/// <summary>
/// BERT with a sequence classifier on the pooled [CLS] state (Hugging Face's <c>BertForSequenceClassification</c>): state names
/// <c>bert.*</c> (with pooler), <c>classifier.*</c>; the forward pass gives logits [batch, num_labels].
/// </summary>
public sealed partial class BertForSequenceClassification : Module<BertInput, Tensor>
{
    /// <summary>A randomly initialized model; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public BertForSequenceClassification(BertConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var generator = new Generator(seed);
        Bert = new BertModel(config, addPoolingLayer: true, generator);
        Dropout = new Dropout(config.ClassifierDropoutInEffect, generator);
        Classifier = HeadFunctions.Linear(config.HiddenSize, config.NumLabels, config.InitializerRange, generator);
    }

    /// <summary>The configuration.</summary>
    public BertConfig Config => Bert.Config;

    /// <summary>The trunk, with pooler.</summary>
    public BertModel Bert { get; set; }

    /// <summary>Dropout on the pooled state.</summary>
    public Dropout Dropout { get; set; }

    /// <summary>The classifier [num_labels, hidden].</summary>
    public Linear Classifier { get; set; }

    /// <summary>What <see cref="FromPretrained"/> left newly initialized or unused; null for a model not loaded.</summary>
    public PretrainedLoadReport? LoadReport { get; private set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(BertInput input) => Classifier.Forward(Dropout.Forward(BertModel.Pooled(Bert.Forward(input))));

    /// <summary>
    /// The loss against <paramref name="labels"/>: cross-entropy for Int64 classes [batch], mean squared error for regression
    /// (one label, or <see cref="BertConfig.ProblemType"/> regression), binary cross-entropy for Float32 multi-label targets [batch, num_labels].
    /// </summary>
    public Tensor Loss(BertInput input, Tensor labels) =>
        HeadFunctions.SequenceClassificationLoss(Forward(input), labels, Config.NumLabels, Config.ProblemType);
}

/// <summary>
/// BERT with a classifier on every token (Hugging Face's <c>BertForTokenClassification</c>, e.g. named entities): state names
/// <c>bert.*</c> (no pooler), <c>classifier.*</c>; the forward pass gives logits [batch, length, num_labels].
/// </summary>
public sealed partial class BertForTokenClassification : Module<BertInput, Tensor>
{
    /// <summary>A randomly initialized model; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public BertForTokenClassification(BertConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var generator = new Generator(seed);
        Bert = new BertModel(config, addPoolingLayer: false, generator);
        Dropout = new Dropout(config.ClassifierDropoutInEffect, generator);
        Classifier = HeadFunctions.Linear(config.HiddenSize, config.NumLabels, config.InitializerRange, generator);
    }

    /// <summary>The configuration.</summary>
    public BertConfig Config => Bert.Config;

    /// <summary>The trunk, without pooler.</summary>
    public BertModel Bert { get; set; }

    /// <summary>Dropout on the hidden states.</summary>
    public Dropout Dropout { get; set; }

    /// <summary>The classifier [num_labels, hidden].</summary>
    public Linear Classifier { get; set; }

    /// <summary>What <see cref="FromPretrained"/> left newly initialized or unused; null for a model not loaded.</summary>
    public PretrainedLoadReport? LoadReport { get; private set; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(BertInput input) => Classifier.Forward(Dropout.Forward(Bert.Forward(input).LastHiddenState));

    /// <summary>The mean cross-entropy against Int64 <paramref name="labels"/> [batch, length]; -100 marks positions not scored (padding, sub-words).</summary>
    public Tensor Loss(BertInput input, Tensor labels) => HeadFunctions.TokenLoss(Forward(input), labels);
}

/// <summary>
/// BERT with both pretraining heads (Hugging Face's <c>BertForPreTraining</c>): state names <c>bert.*</c> (with pooler),
/// <c>cls.predictions.*</c>, <c>cls.seq_relationship.*</c>.
/// </summary>
public sealed partial class BertForPreTraining : Module<BertInput, BertPreTrainingOutput>
{
    /// <summary>A randomly initialized model; <paramref name="seed"/> fixes the initial weights and the dropout masks.</summary>
    public BertForPreTraining(BertConfig config, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var generator = new Generator(seed);
        Bert = new BertModel(config, addPoolingLayer: true, generator);
        Cls = new BertPreTrainingHeads(config, generator, () => Bert.Embeddings.WordEmbeddings.Weight);
    }

    /// <summary>The configuration.</summary>
    public BertConfig Config => Bert.Config;

    /// <summary>The trunk, with pooler.</summary>
    public BertModel Bert { get; set; }

    /// <summary>The masked-language-model and next-sentence heads.</summary>
    public BertPreTrainingHeads Cls { get; set; }

    /// <summary>What <see cref="FromPretrained"/> left newly initialized or unused; null for a model not loaded.</summary>
    public PretrainedLoadReport? LoadReport { get; private set; }

    /// <inheritdoc />
    protected override BertPreTrainingOutput ForwardCore(BertInput input) => Cls.Forward(Bert.Forward(input));

    /// <summary>
    /// The pretraining loss: the masked-token cross-entropy against <paramref name="labels"/> [batch, length] (-100 not scored;
    /// only scored positions go through the vocabulary projection) plus the next-sentence cross-entropy against <paramref name="nextSentenceLabels"/> [batch] (0 follows, 1 random).
    /// </summary>
    public Tensor Loss(BertInput input, Tensor labels, Tensor nextSentenceLabels)
    {
        ArgumentNullException.ThrowIfNull(nextSentenceLabels);
        BertModelOutput output = Bert.Forward(input);
        return HeadFunctions.MaskedTokenLoss(output.LastHiddenState, labels, Cls.Predictions.Forward)
            .Add(Functional.CrossEntropy(Cls.SeqRelationship.Forward(BertModel.Pooled(output)), nextSentenceLabels.Reshape(-1)));
    }
}
