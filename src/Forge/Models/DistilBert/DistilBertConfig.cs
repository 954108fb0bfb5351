using System.Text.Json;
using System.Text.Json.Nodes;

namespace Forge.Models.DistilBert;

/// <summary>
/// The shape and hyper-parameters of a DistilBERT model, with the field names of Hugging Face's <c>config.json</c> (<c>dim</c>,
/// <c>n_layers</c>, <c>n_heads</c>, <c>hidden_dim</c>, <c>activation</c>, ...). Fields Forge does not use are ignored.
/// </summary>
public sealed record DistilBertConfig
{
    /// <summary>The number of token ids.</summary>
    public int VocabSize { get; init; } = 30522;

    /// <summary>The most positions the model reads.</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary>Whether the position embeddings are fixed sinusoids (not learned) instead of a learned table.</summary>
    public bool SinusoidalPosEmbds { get; init; }

    /// <summary>The number of Transformer layers.</summary>
    public int NLayers { get; init; } = 6;

    /// <summary>The number of attention heads (must divide <see cref="Dim"/>).</summary>
    public int NHeads { get; init; } = 12;

    /// <summary>The width of the hidden states.</summary>
    public int Dim { get; init; } = 768;

    /// <summary>The width of the feed-forward layer.</summary>
    public int HiddenDim { get; init; } = 3072;

    /// <summary>Dropout on the embeddings and the feed-forward output.</summary>
    public float Dropout { get; init; } = 0.1f;

    /// <summary>Dropout on the attention weights.</summary>
    public float AttentionDropout { get; init; } = 0.1f;

    /// <summary>The activation: <c>gelu</c> (exact), <c>gelu_new</c>/<c>gelu_pytorch_tanh</c> (tanh approximation) or <c>relu</c>.</summary>
    public string Activation { get; init; } = "gelu";

    /// <summary>The standard deviation of the initial weights.</summary>
    public float InitializerRange { get; init; } = 0.02f;

    /// <summary>Dropout of the question-answering head (kept for the config file).</summary>
    public float QaDropout { get; init; } = 0.1f;

    /// <summary>Dropout before the sequence classifier.</summary>
    public float SeqClassifDropout { get; init; } = 0.2f;

    /// <summary>The padding token id, whose embedding row starts at zero and gets no gradient; null for none.</summary>
    public int? PadTokenId { get; init; } = 0;

    /// <summary>Whether the masked-language-model projector shares the word embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>The label names by id (<c>id2label</c>); their number is the classifier's output size.</summary>
    public IReadOnlyList<string> Labels { get; init; } = HfConfigJson.DefaultLabels(2);

    /// <summary>The number of labels of a classification head.</summary>
    public int NumLabels => Labels.Count;

    /// <summary>The sequence-classification loss, as <see cref="Forge.Models.Bert.BertConfig.ProblemType"/>.</summary>
    public string? ProblemType { get; init; }

    /// <summary>The architectures the file names (informative; saving writes the saving class).</summary>
    public IReadOnlyList<string> Architectures { get; init; } = [];

    /// <summary>The layer-norm epsilon (fixed by DistilBERT at 1e-12).</summary>
    public static float LayerNormEps => 1e-12f;

    /// <summary>A copy with <paramref name="count"/> labels named LABEL_0, LABEL_1, ....</summary>
    public DistilBertConfig WithNumLabels(int count) => this with { Labels = HfConfigJson.DefaultLabels(count) };

    /// <summary>The number of parameters of a <see cref="DistilBertModel"/> of this configuration, computed without building it.</summary>
    public long ParameterCount()
    {
        long d = Dim, inner = HiddenDim;
        long perLayer = 4 * (d * d + d) + 2 * d + (d * inner + inner) + (inner * d + d) + 2 * d;
        return ((long)VocabSize + MaxPositionEmbeddings) * d + 2 * d + NLayers * perLayer;
    }

    /// <summary>The named presets: <c>distilbert-base-uncased</c> (6 layers, 768 wide, 66M).</summary>
    public static IReadOnlyDictionary<string, DistilBertConfig> Presets { get; } = new Dictionary<string, DistilBertConfig>(StringComparer.Ordinal)
    {
        ["distilbert-base-uncased"] = new(),
    };

    /// <summary>The preset called <paramref name="name"/>; a <see cref="ForgeException"/> listing the presets when there is none.</summary>
    public static DistilBertConfig Preset(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Presets.TryGetValue(name, out DistilBertConfig? config) ? config
            : throw new ForgeException($"Unknown DistilBERT preset '{name}': expected one of {string.Join(", ", Presets.Keys)}.");
    }

    /// <summary>Checks that the sizes fit together, throwing <see cref="ForgeException"/> naming the first that does not.</summary>
    public void Validate()
    {
        if (VocabSize < 1 || Dim < 1 || NLayers < 0 || NHeads < 1 || HiddenDim < 1 || MaxPositionEmbeddings < 1)
            throw new ForgeException($"DistilBERT sizes must be positive, found vocab_size={VocabSize}, dim={Dim}, n_layers={NLayers}, n_heads={NHeads}, hidden_dim={HiddenDim}, max_position_embeddings={MaxPositionEmbeddings}.");
        if (Dim % NHeads != 0) throw new ForgeException($"dim ({Dim}) must be a multiple of n_heads ({NHeads}).");
        if (!HeadFunctions.IsActivation(Activation))
            throw new ForgeException($"Unsupported activation '{Activation}': expected gelu, gelu_new, gelu_pytorch_tanh or relu.");
        if (PadTokenId is int pad && (pad < 0 || pad >= VocabSize))
            throw new ForgeException($"pad_token_id must be a token id in [0, {VocabSize}), found {pad}.");
        if (Labels.Count < 1) throw new ForgeException("A DistilBERT configuration needs at least one label (num_labels >= 1), found none.");
        foreach (var (name, p) in new[] { ("dropout", Dropout), ("attention_dropout", AttentionDropout), ("seq_classif_dropout", SeqClassifDropout), ("qa_dropout", QaDropout) })
        {
            if (!(p >= 0 && p < 1)) throw new ForgeException($"{name} must be in [0, 1), found {p}.");
        }
        HfConfigJson.CheckProblemType(ProblemType);
    }

    /// <summary>The configuration as Hugging Face's <c>config.json</c>, naming <paramref name="architecture"/> (a class such as <c>DistilBertForMaskedLM</c>).</summary>
    public JsonObject ToJson(string architecture = "DistilBertModel")
    {
        var json = new JsonObject
        {
            ["model_type"] = "distilbert",
            ["architectures"] = new JsonArray(architecture),
            ["vocab_size"] = VocabSize,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["sinusoidal_pos_embds"] = SinusoidalPosEmbds,
            ["n_layers"] = NLayers,
            ["n_heads"] = NHeads,
            ["dim"] = Dim,
            ["hidden_dim"] = HiddenDim,
            ["dropout"] = Dropout,
            ["attention_dropout"] = AttentionDropout,
            ["activation"] = Activation,
            ["initializer_range"] = InitializerRange,
            ["qa_dropout"] = QaDropout,
            ["seq_classif_dropout"] = SeqClassifDropout,
            ["pad_token_id"] = PadTokenId,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["problem_type"] = ProblemType,
        };
        HfConfigJson.WriteLabels(json, Labels);
        return json;
    }

    /// <summary>Reads a <c>config.json</c> (missing fields take DistilBERT's defaults) and validates it.</summary>
    public static DistilBertConfig FromJson(JsonObject json, string source = "config.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            string? modelType = HfConfigJson.String(json, "model_type");
            if (modelType is not null and not "distilbert")
                throw new ForgeException($"{source} describes a '{modelType}' model, expected 'distilbert'.");
            var defaults = new DistilBertConfig();
            var config = new DistilBertConfig
            {
                VocabSize = HfConfigJson.Int(json, "vocab_size") ?? defaults.VocabSize,
                MaxPositionEmbeddings = HfConfigJson.Int(json, "max_position_embeddings") ?? defaults.MaxPositionEmbeddings,
                SinusoidalPosEmbds = HfConfigJson.Bool(json, "sinusoidal_pos_embds") ?? false,
                NLayers = HfConfigJson.Int(json, "n_layers") ?? defaults.NLayers,
                NHeads = HfConfigJson.Int(json, "n_heads") ?? defaults.NHeads,
                Dim = HfConfigJson.Int(json, "dim") ?? defaults.Dim,
                HiddenDim = HfConfigJson.Int(json, "hidden_dim") ?? defaults.HiddenDim,
                Dropout = HfConfigJson.Float(json, "dropout") ?? defaults.Dropout,
                AttentionDropout = HfConfigJson.Float(json, "attention_dropout") ?? defaults.AttentionDropout,
                Activation = HfConfigJson.String(json, "activation") ?? defaults.Activation,
                InitializerRange = HfConfigJson.Float(json, "initializer_range") ?? defaults.InitializerRange,
                QaDropout = HfConfigJson.Float(json, "qa_dropout") ?? defaults.QaDropout,
                SeqClassifDropout = HfConfigJson.Float(json, "seq_classif_dropout") ?? defaults.SeqClassifDropout,
                PadTokenId = json.ContainsKey("pad_token_id") ? HfConfigJson.Int(json, "pad_token_id") : defaults.PadTokenId,
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
