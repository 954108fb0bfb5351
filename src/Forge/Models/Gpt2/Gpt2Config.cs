using System.Text.Json;
using System.Text.Json.Nodes;

namespace Forge.Models.Gpt2;

/// <summary>
/// The shape and hyper-parameters of a GPT-2 model, with the field names of Hugging Face's <c>config.json</c> (<c>n_layer</c>,
/// <c>n_head</c>, <c>n_embd</c>, <c>n_positions</c>, <c>vocab_size</c>, ...), so a Hugging Face GPT-2 directory loads as it is.
/// </summary>
public sealed record Gpt2Config
{
    /// <summary>The number of token ids.</summary>
    public int VocabSize { get; init; } = 50257;

    /// <summary>The context length: the most positions the model attends over.</summary>
    public int NPositions { get; init; } = 1024;

    /// <summary>The width of the residual stream.</summary>
    public int NEmbd { get; init; } = 768;

    /// <summary>The number of Transformer blocks.</summary>
    public int NLayer { get; init; } = 12;

    /// <summary>The number of attention heads (must divide <see cref="NEmbd"/>).</summary>
    public int NHead { get; init; } = 12;

    /// <summary>The width of the feed-forward layer; null for 4 × <see cref="NEmbd"/>.</summary>
    public int? NInner { get; init; }

    /// <summary>The feed-forward activation: <c>gelu_new</c> (tanh approximation, GPT-2's) or <c>gelu</c> (exact), <c>relu</c>.</summary>
    public string ActivationFunction { get; init; } = "gelu_new";

    /// <summary>Dropout after the attention and feed-forward projections.</summary>
    public float ResidPdrop { get; init; } = 0.1f;

    /// <summary>Dropout on the embeddings.</summary>
    public float EmbdPdrop { get; init; } = 0.1f;

    /// <summary>Dropout on the attention weights.</summary>
    public float AttnPdrop { get; init; } = 0.1f;

    /// <summary>The layer-norm epsilon.</summary>
    public float LayerNormEpsilon { get; init; } = 1e-5f;

    /// <summary>The standard deviation of the initial weights.</summary>
    public float InitializerRange { get; init; } = 0.02f;

    /// <summary>Whether the output projection shares the token embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>The beginning-of-sequence id.</summary>
    public int BosTokenId { get; init; } = 50256;

    /// <summary>The end-of-sequence id.</summary>
    public int EosTokenId { get; init; } = 50256;

    /// <summary>The standard deviation of the projections into the residual stream: scaled by 1/√(2·n_layer), as GPT-2 does.</summary>
    public double ResidualInitializerRange => InitializerRange / Math.Sqrt(2.0 * Math.Max(NLayer, 1));

    /// <summary>The feed-forward width in effect.</summary>
    public int InnerSize => NInner ?? 4 * NEmbd;

    /// <summary>The number of parameters a model of this configuration has (tied embeddings counted once), computed without building it.</summary>
    public long ParameterCount()
    {
        long e = NEmbd, inner = InnerSize;
        long perLayer = 2 * e + (e * 3 * e + 3 * e) + (e * e + e) + 2 * e + (e * inner + inner) + (inner * e + e);
        return (long)VocabSize * e + (long)NPositions * e + NLayer * perLayer + 2 * e + (TieWordEmbeddings ? 0 : (long)VocabSize * e);
    }

    /// <summary>
    /// The named presets: <c>gpt2</c> (124M), <c>gpt2-medium</c> (355M), <c>gpt2-large</c>, <c>gpt2-xl</c>, and presets sized for a CPU:
    /// <c>gpt-mini</c> (6 layers, 384 wide, 256 positions), <c>gpt-nano</c> (4 layers, 256 wide, 256 positions; the default of
    /// <c>forge train gpt</c>, the size that learns most in a few CPU minutes) and <c>gpt-micro</c> (4 layers, 128 wide, 128 positions).
    /// The CPU presets train without dropout except <c>gpt-micro</c>, whose runs are short experiments.
    /// </summary>
    public static IReadOnlyDictionary<string, Gpt2Config> Presets { get; } = new Dictionary<string, Gpt2Config>(StringComparer.Ordinal)
    {
        ["gpt2"] = new(),
        ["gpt2-medium"] = new() { NLayer = 24, NHead = 16, NEmbd = 1024 },
        ["gpt2-large"] = new() { NLayer = 36, NHead = 20, NEmbd = 1280 },
        ["gpt2-xl"] = new() { NLayer = 48, NHead = 25, NEmbd = 1600 },
        ["gpt-mini"] = new() { NLayer = 6, NHead = 6, NEmbd = 384, NPositions = 256, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0 },
        ["gpt-nano"] = new() { NLayer = 4, NHead = 4, NEmbd = 256, NPositions = 256, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0 },
        ["gpt-micro"] = new() { NLayer = 4, NHead = 4, NEmbd = 128, NPositions = 128 },
    };

    /// <summary>The preset called <paramref name="name"/>; a <see cref="ForgeException"/> listing the presets when there is none.</summary>
    public static Gpt2Config Preset(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Presets.TryGetValue(name, out Gpt2Config? config) ? config
            : throw new ForgeException($"Unknown GPT preset '{name}': expected one of {string.Join(", ", Presets.Keys)}.");
    }

    /// <summary>Checks that the sizes fit together, throwing <see cref="ForgeException"/> naming the first that does not.</summary>
    public void Validate()
    {
        if (VocabSize < 1 || NPositions < 1 || NEmbd < 1 || NLayer < 0 || NHead < 1 || InnerSize < 1)
            throw new ForgeException($"GPT-2 sizes must be positive, found vocab_size={VocabSize}, n_positions={NPositions}, n_embd={NEmbd}, n_layer={NLayer}, n_head={NHead}, n_inner={InnerSize}.");
        if (NEmbd % NHead != 0) throw new ForgeException($"n_embd ({NEmbd}) must be a multiple of n_head ({NHead}).");
        if (ActivationFunction is not ("gelu_new" or "gelu" or "gelu_pytorch_tanh" or "relu"))
            throw new ForgeException($"Unsupported activation_function '{ActivationFunction}': expected gelu_new, gelu_pytorch_tanh, gelu or relu.");
        foreach (var (name, p) in new[] { ("resid_pdrop", ResidPdrop), ("embd_pdrop", EmbdPdrop), ("attn_pdrop", AttnPdrop) })
        {
            if (!(p >= 0 && p < 1)) throw new ForgeException($"{name} must be in [0, 1), found {p}.");
        }
    }

    /// <summary>The configuration as Hugging Face's <c>config.json</c>.</summary>
    public JsonObject ToJson() => new()
    {
        ["model_type"] = "gpt2",
        ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["vocab_size"] = VocabSize,
        ["n_positions"] = NPositions,
        ["n_ctx"] = NPositions,
        ["n_embd"] = NEmbd,
        ["n_layer"] = NLayer,
        ["n_head"] = NHead,
        ["n_inner"] = NInner,
        ["activation_function"] = ActivationFunction,
        ["resid_pdrop"] = ResidPdrop,
        ["embd_pdrop"] = EmbdPdrop,
        ["attn_pdrop"] = AttnPdrop,
        ["layer_norm_epsilon"] = LayerNormEpsilon,
        ["initializer_range"] = InitializerRange,
        ["tie_word_embeddings"] = TieWordEmbeddings,
        ["bos_token_id"] = BosTokenId,
        ["eos_token_id"] = EosTokenId,
    };

    /// <summary>Reads a <c>config.json</c> (missing fields take GPT-2's defaults) and validates it.</summary>
    public static Gpt2Config FromJson(JsonObject json, string source = "config.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            string? modelType = (string?)json["model_type"];
            if (modelType is not null and not "gpt2")
                throw new ForgeException($"{source} describes a '{modelType}' model, expected 'gpt2'.");
            var defaults = new Gpt2Config();
            var config = new Gpt2Config
            {
                VocabSize = Int(json, "vocab_size") ?? defaults.VocabSize,
                NPositions = Int(json, "n_positions") ?? Int(json, "n_ctx") ?? defaults.NPositions,
                NEmbd = Int(json, "n_embd") ?? defaults.NEmbd,
                NLayer = Int(json, "n_layer") ?? defaults.NLayer,
                NHead = Int(json, "n_head") ?? defaults.NHead,
                NInner = Int(json, "n_inner"),
                ActivationFunction = (string?)json["activation_function"] ?? defaults.ActivationFunction,
                ResidPdrop = Float(json, "resid_pdrop") ?? defaults.ResidPdrop,
                EmbdPdrop = Float(json, "embd_pdrop") ?? defaults.EmbdPdrop,
                AttnPdrop = Float(json, "attn_pdrop") ?? defaults.AttnPdrop,
                LayerNormEpsilon = Float(json, "layer_norm_epsilon") ?? defaults.LayerNormEpsilon,
                InitializerRange = Float(json, "initializer_range") ?? defaults.InitializerRange,
                TieWordEmbeddings = json["tie_word_embeddings"]?.GetValue<bool>() ?? true,
                BosTokenId = Int(json, "bos_token_id") ?? defaults.BosTokenId,
                EosTokenId = Int(json, "eos_token_id") ?? defaults.EosTokenId,
            };
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            throw new ForgeException($"{source} has a field of the wrong type: {e.Message}", e);
        }
    }

    private static int? Int(JsonObject json, string name) => json[name] is { } node ? node.GetValue<int>() : null;

    private static float? Float(JsonObject json, string name) => json[name] is { } node ? (float)node.GetValue<double>() : null;
}
