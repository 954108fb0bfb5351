using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Data;
using Forge.Models;
using Forge.Models.Bert;
using Forge.Models.DistilBert;
using Forge.Nn;
using Forge.Tensors;
using Forge.Tokenizers;

namespace Forge.Cli.FineTuning;

/// <summary>What an encoder's head predicts: one label per sequence or one per token.</summary>
internal enum EncoderTask
{
    /// <summary>BertForSequenceClassification / DistilBertForSequenceClassification.</summary>
    SequenceClassification,

    /// <summary>BertForTokenClassification / DistilBertForTokenClassification.</summary>
    TokenClassification,
}

/// <summary>
/// A BERT or DistilBERT classification model loaded from a Hugging Face directory (chosen by <c>model_type</c> in its config.json),
/// seen the same way whichever it is: logits and loss of a <see cref="LabeledBatch"/>, its parts for freezing, saving.
/// </summary>
internal sealed class EncoderModel
{
    private readonly Func<LabeledBatch, Tensor> logits;
    private readonly Func<LabeledBatch, Tensor> loss;
    private readonly Action<string> save;

    private EncoderModel(Module module, string modelType, Generator generator, Module embeddings, IReadOnlyList<Module> layers,
        IReadOnlyList<Module> head, Func<LabeledBatch, Tensor> logits, Func<LabeledBatch, Tensor> loss, Action<string> save,
        IReadOnlyList<string> labels, int maxPositions, PretrainedLoadReport? loadReport)
    {
        Module = module;
        ModelType = modelType;
        Generator = generator;
        Embeddings = embeddings;
        Layers = layers;
        Head = head;
        this.logits = logits;
        this.loss = loss;
        this.save = save;
        Labels = labels;
        MaxPositions = maxPositions;
        LoadReport = loadReport;
    }

    /// <summary>The whole model.</summary>
    public Module Module { get; }

    /// <summary>"bert" or "distilbert".</summary>
    public string ModelType { get; }

    /// <summary>The generator the dropout draws from.</summary>
    public Generator Generator { get; }

    /// <summary>The embeddings of the trunk.</summary>
    public Module Embeddings { get; }

    /// <summary>The encoder layers of the trunk, first to last.</summary>
    public IReadOnlyList<Module> Layers { get; }

    /// <summary>What always trains: the pooler (BERT, sequence classification), the pre-classifier (DistilBERT) and the classifier.</summary>
    public IReadOnlyList<Module> Head { get; }

    /// <summary>The label of each class id.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The most positions the model embeds.</summary>
    public int MaxPositions { get; }

    /// <summary>The weights the head's creation left newly initialized or the file held unused.</summary>
    public PretrainedLoadReport? LoadReport { get; }

    /// <summary>Logits: [batch, labels] for sequences, [batch, length, labels] for tokens.</summary>
    public Tensor Logits(LabeledBatch batch) => logits(batch);

    /// <summary>The mean cross-entropy of a batch against its labels.</summary>
    public Tensor Loss(LabeledBatch batch) => loss(batch);

    /// <summary>Saves config.json (with id2label, label2id and architectures) and model.safetensors into <paramref name="directory"/>.</summary>
    public void SavePretrained(string directory) => save(directory);

    /// <summary>
    /// Loads the model of <paramref name="directory"/> with a <paramref name="task"/> head. With <paramref name="labels"/>, the head gets
    /// those classes (id2label/label2id); without, it keeps the classes of the config. With <paramref name="scratchSeed"/>, no weights are
    /// read: the model has the architecture of <c>config.json</c> and random weights drawn from that seed (Hugging Face's from_config).
    /// </summary>
    public static EncoderModel Load(string directory, EncoderTask task, IReadOnlyList<string>? labels = null, ulong? scratchSeed = null)
    {
        JsonObject json = ReadConfig(directory);
        string configPath = Path.Combine(directory, "config.json");
        string modelType = json["model_type"] is JsonValue type && type.TryGetValue(out string? name) ? name
            : throw new ForgeException($"{Path.Combine(directory, "config.json")} names no model_type; expected 'bert' or 'distilbert'.");
        bool sequence = task == EncoderTask.SequenceClassification;
        string? problem = sequence ? "single_label_classification" : null;
        // A classifier for another number of classes is replaced by a new one (Hugging Face's ignore_mismatched_sizes).
        bool newHead = scratchSeed is null && labels is not null && HasClassifier(json) && LabelCount(json) != labels.Count;
        PretrainedLoadReport Replaced(PretrainedLoadReport? loaded, params string[] names) =>
            new([.. (loaded?.NewlyInitialized ?? []).Union(names)], [.. (loaded?.Unused ?? []).Union(names.Select(n => $"{n} ({LabelCount(json)} classes)"))]);
        switch (modelType)
        {
            case "bert":
            {
                BertConfig Configure(BertConfig c) => labels is null || newHead ? c : c with { Labels = labels, ProblemType = problem };
                BertConfig Relabel(BertConfig c) => c with { Labels = labels!, ProblemType = problem };
                static BertInput Input(LabeledBatch b) => new(b.InputIds, b.TokenTypeIds, b.AttentionMask);
                if (sequence)
                {
                    var m = scratchSeed is ulong s1 ? new BertForSequenceClassification(Configure(BertConfig.FromJson(json, configPath)), s1)
                        : BertForSequenceClassification.FromPretrained(directory, Configure);
                    PretrainedLoadReport? report = m.LoadReport;
                    if (newHead)
                    {
                        var fresh = new BertForSequenceClassification(Relabel(m.Config));
                        fresh.Bert.LoadTrunkFrom(m.Bert);
                        (m, report) = (fresh, Replaced(report, "classifier.weight", "classifier.bias"));
                    }
                    return new EncoderModel(m, modelType, m.Bert.Generator, m.Bert.Embeddings, [.. m.Bert.Encoder.Layer], [m.Bert.Pooler!, m.Classifier],
                        b => m.Forward(Input(b)), b => m.Loss(Input(b), b.Labels), m.SavePretrained, m.Config.Labels, m.Config.MaxPositionEmbeddings, report);
                }
                var t = scratchSeed is ulong s2 ? new BertForTokenClassification(Configure(BertConfig.FromJson(json, configPath)), s2)
                    : BertForTokenClassification.FromPretrained(directory, Configure);
                PretrainedLoadReport? tokenReport = t.LoadReport;
                if (newHead)
                {
                    var fresh = new BertForTokenClassification(Relabel(t.Config));
                    fresh.Bert.LoadTrunkFrom(t.Bert);
                    (t, tokenReport) = (fresh, Replaced(tokenReport, "classifier.weight", "classifier.bias"));
                }
                return new EncoderModel(t, modelType, t.Bert.Generator, t.Bert.Embeddings, [.. t.Bert.Encoder.Layer], [t.Classifier],
                    b => t.Forward(Input(b)), b => t.Loss(Input(b), b.Labels), t.SavePretrained, t.Config.Labels, t.Config.MaxPositionEmbeddings, tokenReport);
            }
            case "distilbert":
            {
                DistilBertConfig Configure(DistilBertConfig c) => labels is null || newHead ? c : c with { Labels = labels, ProblemType = problem };
                DistilBertConfig Relabel(DistilBertConfig c) => c with { Labels = labels!, ProblemType = problem };
                static DistilBertInput Input(LabeledBatch b) => new(b.InputIds, b.AttentionMask);
                if (sequence)
                {
                    var m = scratchSeed is ulong s3 ? new DistilBertForSequenceClassification(Configure(DistilBertConfig.FromJson(json, configPath)), s3)
                        : DistilBertForSequenceClassification.FromPretrained(directory, Configure);
                    PretrainedLoadReport? report = m.LoadReport;
                    if (newHead)
                    {
                        var fresh = new DistilBertForSequenceClassification(Relabel(m.Config));
                        fresh.Distilbert.LoadTrunkFrom(m.Distilbert);
                        fresh.PreClassifier.LoadStateDict(m.PreClassifier.StateDict());
                        (m, report) = (fresh, Replaced(report, "classifier.weight", "classifier.bias"));
                    }
                    return new EncoderModel(m, modelType, m.Distilbert.Generator, m.Distilbert.Embeddings, [.. m.Distilbert.Transformer.Layer],
                        [m.PreClassifier, m.Classifier], b => m.Forward(Input(b)), b => m.Loss(Input(b), b.Labels), m.SavePretrained, m.Config.Labels,
                        m.Config.MaxPositionEmbeddings, report);
                }
                var t = scratchSeed is ulong s4 ? new DistilBertForTokenClassification(Configure(DistilBertConfig.FromJson(json, configPath)), s4)
                    : DistilBertForTokenClassification.FromPretrained(directory, Configure);
                PretrainedLoadReport? tokenReport = t.LoadReport;
                if (newHead)
                {
                    var fresh = new DistilBertForTokenClassification(Relabel(t.Config));
                    fresh.Distilbert.LoadTrunkFrom(t.Distilbert);
                    (t, tokenReport) = (fresh, Replaced(tokenReport, "classifier.weight", "classifier.bias"));
                }
                return new EncoderModel(t, modelType, t.Distilbert.Generator, t.Distilbert.Embeddings, [.. t.Distilbert.Transformer.Layer], [t.Classifier],
                    b => t.Forward(Input(b)), b => t.Loss(Input(b), b.Labels), t.SavePretrained, t.Config.Labels, t.Config.MaxPositionEmbeddings, tokenReport);
            }
            default:
                throw new ForgeException($"{configPath} has model_type '{modelType}'; expected 'bert' or 'distilbert'.");
        }
    }

    /// <summary>
    /// Freezes parts of the model: the embeddings with <paramref name="freezeEmbeddings"/>; with <paramref name="unfreezeLast"/> N the
    /// whole trunk but its last N encoder layers. The head always trains.
    /// </summary>
    public void Freeze(bool freezeEmbeddings, int? unfreezeLast)
    {
        if (unfreezeLast is int n)
        {
            if (n < 0 || n > Layers.Count)
                throw new ForgeException($"--unfreeze-last must be between 0 and the model's {Layers.Count} encoder layers, found {n}.");
            Module.Freeze();
            foreach (Module layer in Layers.Skip(Layers.Count - n)) layer.Unfreeze();
            foreach (Module part in Head) part.Unfreeze();
        }
        if (freezeEmbeddings) Embeddings.Freeze();
    }

    /// <summary>The WordPiece tokenizer saved with the model (tokenizer.json or vocab.txt).</summary>
    public static WordPieceTokenizer LoadTokenizer(string directory) =>
        AutoTokenizer.FromDirectory(directory) as WordPieceTokenizer
            ?? throw new ForgeException($"'{directory}' holds a byte-level BPE tokenizer; BERT and DistilBERT models need a WordPiece tokenizer (vocab.txt or tokenizer.json).");

    /// <summary>A one-line description: type, layers, parameters, trainable parameters.</summary>
    public string Describe() =>
        $"{(ModelType == "bert" ? "BERT" : "DistilBERT")} {Layers.Count} layers, {Labels.Count} labels: {Module.ParameterCount:N0} parameters, {Module.TrainableParameterCount:N0} trained";

    internal static JsonObject ReadConfig(string directory)
    {
        string path = Path.Combine(directory, "config.json");
        if (!Directory.Exists(directory)) throw new ForgeException($"Model directory '{directory}' does not exist.");
        if (!File.Exists(path)) throw new ForgeException($"Model directory '{directory}' has no config.json.");
        return CliFiles.ReadJsonObject(path);
    }

    /// <summary>Whether the directory's architecture has a classifier (a sequence or token classification head).</summary>
    private static bool HasClassifier(JsonObject json) =>
        json["architectures"] is JsonArray architectures && architectures.Any(a => a is JsonValue v && v.TryGetValue(out string? name)
            && (name.EndsWith("ForSequenceClassification", StringComparison.Ordinal) || name.EndsWith("ForTokenClassification", StringComparison.Ordinal)));

    /// <summary>The classes of a config: its id2label entries, else num_labels, else 2 (Hugging Face's default).</summary>
    private static int LabelCount(JsonObject json) =>
        json["id2label"] is JsonObject id2label ? id2label.Count
        : json["num_labels"] is JsonValue n && n.TryGetValue(out int count) ? count
        : 2;
}
