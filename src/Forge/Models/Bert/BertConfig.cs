using System.Text.Json;
using System.Text.Json.Nodes;

namespace Forge.Models.Bert;

/// <summary>
/// The shape and hyper-parameters of a BERT model, with the field names of Hugging Face's <c>config.json</c> (<c>hidden_size</c>,
/// <c>num_hidden_layers</c>, <c>num_attention_heads</c>, <c>intermediate_size</c>, <c>hidden_act</c>, ...), so a Hugging Face BERT
/// directory loads as it is. Fields Forge does not use (<c>transformers_version</c>, <c>use_cache</c>, ...) are ignored.
/// </summary>
public sealed record BertConfig
{
    /// <summary>The number of token ids.</summary>
    public int VocabSize { get; init; } = 30522;

    /// <summary>The width of the hidden states.</summary>
    public int HiddenSize { get; init; } = 768;

    /// <summary>The number of Transformer layers.</summary>
    public int NumHiddenLayers { get; init; } = 12;

    /// <summary>The number of attention heads (must divide <see cref="HiddenSize"/>).</summary>
    public int NumAttentionHeads { get; init; } = 12;

    /// <summary>The width of the feed-forward layer.</summary>
    public int IntermediateSize { get; init; } = 3072;

    /// <summary>The feed-forward activation: <c>gelu</c> (exact, BERT's), <c>gelu_new</c> or <c>gelu_pytorch_tanh</c> (tanh approximation), <c>relu</c>.</summary>
    public string HiddenAct { get; init; } = "gelu";

    /// <summary>Dropout on the embeddings and after each projection into the residual stream.</summary>
    public float HiddenDropoutProb { get; init; } = 0.1f;

    /// <summary>Dropout on the attention weights.</summary>
    public float AttentionProbsDropoutProb { get; init; } = 0.1f;

    /// <summary>The most positions the model reads.</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary>The number of token types (segments A and B).</summary>
    public int TypeVocabSize { get; init; } = 2;

    /// <summary>The layer-norm epsilon.</summary>
    public float LayerNormEps { get; init; } = 1e-12f;

    /// <summary>The standard deviation of the initial weights.</summary>
    public float InitializerRange { get; init; } = 0.02f;

    /// <summary>The padding token id, whose embedding row starts at zero and gets no gradient; null for none.</summary>
    public int? PadTokenId { get; init; } = 0;

    /// <summary>Dropout before a classifier; null for <see cref="HiddenDropoutProb"/>.</summary>
    public float? ClassifierDropout { get; init; }

    /// <summary>Whether the masked-language-model decoder shares the word embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>The label names by id (<c>id2label</c>); their number is the classifier's output size.</summary>
    public IReadOnlyList<string> Labels { get; init; } = HfConfigJson.DefaultLabels(2);

    /// <summary>The number of labels of a classification head.</summary>
    public int NumLabels => Labels.Count;

    /// <summary>
    /// The sequence-classification loss: <c>regression</c>, <c>single_label_classification</c>, <c>multi_label_classification</c>,
    /// or null to choose from the labels (regression for one label, cross-entropy for Int64 labels, binary cross-entropy otherwise).
    /// </summary>
    public string? ProblemType { get; init; }

    /// <summary>The architectures the file names (informative; saving writes the saving class).</summary>
    public IReadOnlyList<string> Architectures { get; init; } = [];

    /// <summary>The dropout probability in effect before a classifier.</summary>
    public float ClassifierDropoutInEffect => ClassifierDropout ?? HiddenDropoutProb;

    /// <summary>A copy with <paramref name="count"/> labels named LABEL_0, LABEL_1, ....</summary>
    public BertConfig WithNumLabels(int count) => this with { Labels = HfConfigJson.DefaultLabels(count) };

    /// <summary>The number of parameters of a <see cref="BertModel"/> of this configuration (with its pooler when <paramref name="pooler"/>), computed without building it.</summary>
    public long ParameterCount(bool pooler = true)
    {
        long h = HiddenSize, inner = IntermediateSize;
        long embeddings = ((long)VocabSize + MaxPositionEmbeddings + TypeVocabSize) * h + 2 * h;
        long perLayer = 4 * (h * h + h) + 2 * h + (h * inner + inner) + (inner * h + h) + 2 * h;
        return embeddings + NumHiddenLayers * perLayer + (pooler ? h * h + h : 0);
    }

    /// <summary>
    /// The named presets: <c>bert-base-uncased</c> (12 layers, 768 wide, 110M), <c>bert-large-uncased</c> (24 layers, 1024 wide) and
    /// Google's small BERTs with the same vocabulary: <c>bert-medium</c> (8 × 512), <c>bert-small</c> (4 × 512), <c>bert-mini</c>
    /// (4 × 256) and <c>bert-tiny</c> (2 × 128).
    /// </summary>
    public static IReadOnlyDictionary<string, BertConfig> Presets { get; } = new Dictionary<string, BertConfig>(StringComparer.Ordinal)
    {
        ["bert-base-uncased"] = new(),
        ["bert-large-uncased"] = new() { NumHiddenLayers = 24, HiddenSize = 1024, NumAttentionHeads = 16, IntermediateSize = 4096 },
        ["bert-medium"] = new() { NumHiddenLayers = 8, HiddenSize = 512, NumAttentionHeads = 8, IntermediateSize = 2048 },
        ["bert-small"] = new() { NumHiddenLayers = 4, HiddenSize = 512, NumAttentionHeads = 8, IntermediateSize = 2048 },
        ["bert-mini"] = new() { NumHiddenLayers = 4, HiddenSize = 256, NumAttentionHeads = 4, IntermediateSize = 1024 },
        ["bert-tiny"] = new() { NumHiddenLayers = 2, HiddenSize = 128, NumAttentionHeads = 2, IntermediateSize = 512 },
    };

    /// <summary>The preset called <paramref name="name"/>; a <see cref="ForgeException"/> listing the presets when there is none.</summary>
    public static BertConfig Preset(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Presets.TryGetValue(name, out BertConfig? config) ? config
            : throw new ForgeException($"Unknown BERT preset '{name}': expected one of {string.Join(", ", Presets.Keys)}.");
    }

    /// <summary>Checks that the sizes fit together, throwing <see cref="ForgeException"/> naming the first that does not.</summary>
    public void Validate()
    {
        if (VocabSize < 1 || HiddenSize < 1 || NumHiddenLayers < 0 || NumAttentionHeads < 1 || IntermediateSize < 1 || MaxPositionEmbeddings < 1 || TypeVocabSize < 1)
            throw new ForgeException($"BERT sizes must be positive, found vocab_size={VocabSize}, hidden_size={HiddenSize}, num_hidden_layers={NumHiddenLayers}, num_attention_heads={NumAttentionHeads}, intermediate_size={IntermediateSize}, max_position_embeddings={MaxPositionEmbeddings}, type_vocab_size={TypeVocabSize}.");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ForgeException($"hidden_size ({HiddenSize}) must be a multiple of num_attention_heads ({NumAttentionHeads}).");
        if (!HeadFunctions.IsActivation(HiddenAct))
            throw new ForgeException($"Unsupported hidden_act '{HiddenAct}': expected gelu, gelu_new, gelu_pytorch_tanh or relu.");
        if (PadTokenId is int pad && (pad < 0 || pad >= VocabSize))
            throw new ForgeException($"pad_token_id must be a token id in [0, {VocabSize}), found {pad}.");
        if (Labels.Count < 1) throw new ForgeException("A BERT configuration needs at least one label (num_labels >= 1), found none.");
        foreach (var (name, p) in new[] { ("hidden_dropout_prob", HiddenDropoutProb), ("attention_probs_dropout_prob", AttentionProbsDropoutProb), ("classifier_dropout", ClassifierDropoutInEffect) })
        {
            if (!(p >= 0 && p < 1)) throw new ForgeException($"{name} must be in [0, 1), found {p}.");
        }
        HfConfigJson.CheckProblemType(ProblemType);
    }

    /// <summary>The configuration as Hugging Face's <c>config.json</c>, naming <paramref name="architecture"/> (a class such as <c>BertForMaskedLM</c>).</summary>
    public JsonObject ToJson(string architecture = "BertModel")
    {
        var json = new JsonObject
        {
            ["model_type"] = "bert",
            ["architectures"] = new JsonArray(architecture),
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["intermediate_size"] = IntermediateSize,
            ["hidden_act"] = HiddenAct,
            ["hidden_dropout_prob"] = HiddenDropoutProb,
            ["attention_probs_dropout_prob"] = AttentionProbsDropoutProb,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["type_vocab_size"] = TypeVocabSize,
            ["layer_norm_eps"] = LayerNormEps,
            ["initializer_range"] = InitializerRange,
            ["pad_token_id"] = PadTokenId,
            ["classifier_dropout"] = ClassifierDropout,
            ["position_embedding_type"] = "absolute",
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["problem_type"] = ProblemType,
        };
        HfConfigJson.WriteLabels(json, Labels);
        return json;
    }

    /// <summary>Reads a <c>config.json</c> (missing fields take BERT's defaults) and validates it.</summary>
    public static BertConfig FromJson(JsonObject json, string source = "config.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            string? modelType = HfConfigJson.String(json, "model_type");
            if (modelType is not null and not "bert")
                throw new ForgeException($"{source} describes a '{modelType}' model, expected 'bert'.");
            string? positions = HfConfigJson.String(json, "position_embedding_type");
            if (positions is not null and not "absolute")
                throw new ForgeException($"{source} has position_embedding_type '{positions}': Forge supports 'absolute' only.");
            if (HfConfigJson.Bool(json, "is_decoder") == true || HfConfigJson.Bool(json, "add_cross_attention") == true)
                throw new ForgeException($"{source} describes a BERT decoder (is_decoder or add_cross_attention): Forge supports the encoder only.");
            var defaults = new BertConfig();
            var config = new BertConfig
            {
                VocabSize = HfConfigJson.Int(json, "vocab_size") ?? defaults.VocabSize,
                HiddenSize = HfConfigJson.Int(json, "hidden_size") ?? defaults.HiddenSize,
                NumHiddenLayers = HfConfigJson.Int(json, "num_hidden_layers") ?? defaults.NumHiddenLayers,
                NumAttentionHeads = HfConfigJson.Int(json, "num_attention_heads") ?? defaults.NumAttentionHeads,
                IntermediateSize = HfConfigJson.Int(json, "intermediate_size") ?? defaults.IntermediateSize,
                HiddenAct = HfConfigJson.String(json, "hidden_act") ?? defaults.HiddenAct,
                HiddenDropoutProb = HfConfigJson.Float(json, "hidden_dropout_prob") ?? defaults.HiddenDropoutProb,
                AttentionProbsDropoutProb = HfConfigJson.Float(json, "attention_probs_dropout_prob") ?? defaults.AttentionProbsDropoutProb,
                MaxPositionEmbeddings = HfConfigJson.Int(json, "max_position_embeddings") ?? defaults.MaxPositionEmbeddings,
                TypeVocabSize = HfConfigJson.Int(json, "type_vocab_size") ?? defaults.TypeVocabSize,
                LayerNormEps = HfConfigJson.Float(json, "layer_norm_eps") ?? defaults.LayerNormEps,
                InitializerRange = HfConfigJson.Float(json, "initializer_range") ?? defaults.InitializerRange,
                PadTokenId = json.ContainsKey("pad_token_id") ? HfConfigJson.Int(json, "pad_token_id") : defaults.PadTokenId,
                ClassifierDropout = HfConfigJson.Float(json, "classifier_dropout"),
                TieWordEmbeddings = HfConfigJson.Bool(json, "tie_word_embeddings") ?? true,
                Labels = HfConfigJson.Labels(json, source),
                ProblemType = HfConfigJson.String(json, "problem_type"),
                Architectures = json["architectures"] is JsonArray names ? [.. names.Select(n => n?.GetValue<string>() ?? "")] : [],
            };
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            throw new ForgeException($"{source} has a field of the wrong type: {e.Message}", e);
        }
    }
}
