using System.Text.Encodings.Web;
using System.Text.Json;

namespace Forge.Tokenizers;

public sealed partial class WordPieceTokenizer
{
    private const string VocabFile = "vocab.txt";
    private const string TokenizerJsonFile = "tokenizer.json";
    private const string ConfigFile = "tokenizer_config.json";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Loads BERT's <c>vocab.txt</c> (one token per line, the line number is the id).</summary>
    /// <param name="vocabTxtPath">The vocabulary file.</param>
    /// <param name="normalizer">How text is normalized; by default BERT uncased.</param>
    /// <param name="roles">The special tokens; by default <c>[UNK] [CLS] [SEP] [PAD] [MASK]</c>.</param>
    public static WordPieceTokenizer FromVocabFile(string vocabTxtPath, BertNormalizerOptions? normalizer = null, BertSpecialTokens? roles = null)
    {
        ArgumentNullException.ThrowIfNull(vocabTxtPath);
        var vocabulary = ReadVocabFile(vocabTxtPath);
        roles ??= new BertSpecialTokens();
        RequireInVocabulary(vocabulary, roles.Unknown, "unknown token", vocabTxtPath);
        return new WordPieceTokenizer(vocabulary, normalizer, roles);
    }

    /// <summary>
    /// Loads a Hugging Face <c>tokenizer.json</c> with a WordPiece model, a BertNormalizer, a BertPreTokenizer, a TemplateProcessing or
    /// BertProcessing post-processor of BERT's shape (or none), its added tokens and a WordPiece decoder. A <c>tokenizer_config.json</c>
    /// beside it supplies the pad and mask tokens and <c>model_max_length</c>. Anything else raises <see cref="ForgeException"/>.
    /// </summary>
    public static WordPieceTokenizer FromTokenizerJson(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, ConfigFile);
        return FromTokenizerJson(path, File.Exists(config) ? ReadConfig(config) : null);
    }

    /// <summary>Loads a tokenizer directory: <c>tokenizer.json</c> when present (what <c>save_pretrained</c> writes), otherwise
    /// <c>vocab.txt</c> with the settings of <c>tokenizer_config.json</c> when present (<c>do_lower_case</c>, <c>strip_accents</c>,
    /// <c>tokenize_chinese_chars</c>, special tokens, <c>model_max_length</c>).</summary>
    public static WordPieceTokenizer FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string configPath = Path.Combine(directory, ConfigFile);
        Config? config = File.Exists(configPath) ? ReadConfig(configPath) : null;
        string tokenizerJson = Path.Combine(directory, TokenizerJsonFile);
        if (File.Exists(tokenizerJson))
        {
            return FromTokenizerJson(tokenizerJson, config);
        }
        string vocab = Path.Combine(directory, VocabFile);
        if (!File.Exists(vocab))
        {
            throw new ForgeException($"'{directory}' holds no WordPiece tokenizer: expected tokenizer.json or vocab.txt.");
        }
        var vocabulary = ReadVocabFile(vocab);
        var roles = config?.Roles ?? new BertSpecialTokens();
        RequireInVocabulary(vocabulary, roles.Unknown, "unknown token", vocab);
        return new WordPieceTokenizer(vocabulary, config?.Normalizer, roles) { ModelMaxLength = config?.ModelMaxLength };
    }

    /// <summary>Writes <c>vocab.txt</c>, <c>tokenizer.json</c> and <c>tokenizer_config.json</c>, which Hugging Face's
    /// <c>BertTokenizer.from_pretrained</c> and <see cref="FromDirectory"/> load.</summary>
    public void Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var byId = vocabulary.OrderBy(p => p.Value).ToArray();
        for (int i = 0; i < byId.Length; i++)
        {
            if (byId[i].Value != i)
            {
                throw new ForgeException($"vocab.txt needs the vocabulary ids to be 0 to {byId.Length - 1}; found '{byId[i].Key}' with id {byId[i].Value} at position {i}.");
            }
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, VocabFile), string.Concat(byId.Select(p => p.Key + "\n")), new System.Text.UTF8Encoding(false));
        WriteJson(Path.Combine(directory, TokenizerJsonFile), w => WriteTokenizerJson(w, byId));
        WriteJson(Path.Combine(directory, ConfigFile), WriteConfig);
    }

    private static WordPieceTokenizer FromTokenizerJson(string path, Config? config)
    {
        using JsonDocument document = ParseJson(path);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new ForgeException($"'{path}' has no \"model\" object; expected a Hugging Face tokenizer.json.");
        }
        string type = StringOrNull(model, "type") ?? "(none)";
        if (type != "WordPiece")
        {
            throw new ForgeException($"'{path}': expected model type \"WordPiece\", found \"{type}\".");
        }
        if (!model.TryGetProperty("vocab", out JsonElement vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw new ForgeException($"'{path}': model.vocab must be an object of token to id.");
        }
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocabElement.EnumerateObject())
        {
            if (!entry.Value.TryGetInt32(out int id))
            {
                throw new ForgeException($"'{path}': token '{entry.Name}' must map to an integer id, found {entry.Value.GetRawText()}.");
            }
            vocabulary[entry.Name] = id;
        }
        string unknown = StringOrNull(model, "unk_token") ?? "[UNK]";
        string prefix = StringOrNull(model, "continuing_subword_prefix") ?? "##";
        int maxChars = model.TryGetProperty("max_input_chars_per_word", out JsonElement max) && max.TryGetInt32(out int m) ? m : 100;

        var normalizer = ReadNormalizer(path, root);
        RequireType(path, root, "pre_tokenizer", "BertPreTokenizer");
        var (cls, sep) = ReadPostProcessor(path, root);
        bool cleanup = true;
        if (root.TryGetProperty("decoder", out JsonElement decoder) && decoder.ValueKind != JsonValueKind.Null)
        {
            RequireType(path, root, "decoder", "WordPiece");
            if (StringOrNull(decoder, "prefix") is { } decoderPrefix && decoderPrefix != prefix)
            {
                throw new ForgeException($"'{path}': the decoder prefix \"{decoderPrefix}\" differs from the model's continuing_subword_prefix \"{prefix}\".");
            }
            cleanup = !(decoder.TryGetProperty("cleanup", out JsonElement c) && c.ValueKind == JsonValueKind.False);
        }

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out JsonElement addedElement) && addedElement.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement token in addedElement.EnumerateArray())
            {
                string content = StringOrNull(token, "content") ?? throw new ForgeException($"'{path}': an added token has no \"content\".");
                foreach (string flag in new[] { "lstrip", "rstrip", "single_word" })
                {
                    if (token.TryGetProperty(flag, out JsonElement value) && value.ValueKind == JsonValueKind.True)
                    {
                        throw new ForgeException($"'{path}': added token '{content}' sets \"{flag}\", which is not supported.");
                    }
                }
                if (!token.TryGetProperty("id", out JsonElement id) || !id.TryGetInt32(out int idValue))
                {
                    throw new ForgeException($"'{path}': added token '{content}' has no integer \"id\".");
                }
                bool special = token.TryGetProperty("special", out JsonElement s) && s.ValueKind == JsonValueKind.True;
                bool normalized = token.TryGetProperty("normalized", out JsonElement n) && n.ValueKind == JsonValueKind.True;
                added.Add(new AddedToken(content, idValue, special, normalized));
            }
        }

        bool Known(string? token) => token is not null && (vocabulary.ContainsKey(token) || added.Exists(t => t.Content == token));
        string? pad = config?.Roles.Pad ?? "[PAD]";
        string? mask = config?.Roles.Mask ?? "[MASK]";
        var roles = new BertSpecialTokens(unknown, cls, sep, Known(pad) ? pad : null, Known(mask) ? mask : null);
        if (!Known(unknown))
        {
            throw new ForgeException($"'{path}': the unknown token '{unknown}' (model.unk_token) is not in the vocabulary.");
        }
        return new WordPieceTokenizer(vocabulary, normalizer, roles, added, prefix, maxChars)
        {
            ModelMaxLength = config?.ModelMaxLength,
            CleanUpTokenizationSpaces = cleanup,
        };
    }

    private static BertNormalizerOptions ReadNormalizer(string path, JsonElement root)
    {
        RequireType(path, root, "normalizer", "BertNormalizer");
        JsonElement n = root.GetProperty("normalizer");
        bool Flag(string name, bool fallback) => n.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.ValueKind == JsonValueKind.True
            : fallback;
        bool? strip = n.TryGetProperty("strip_accents", out JsonElement s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? s.ValueKind == JsonValueKind.True
            : null;
        return new BertNormalizerOptions(Flag("lowercase", true), strip, Flag("handle_chinese_chars", true), Flag("clean_text", true));
    }

    /// <summary>The CLS and SEP tokens of a post-processor that wraps texts as <c>CLS A SEP</c> and <c>CLS A SEP B:1 SEP:1</c>, or (null, null) for none.</summary>
    private static (string? Cls, string? Sep) ReadPostProcessor(string path, JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out JsonElement post) || post.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }
        string type = StringOrNull(post, "type") ?? "(none)";
        if (type == "BertProcessing")
        {
            return (PairToken(post, "cls"), PairToken(post, "sep"));
        }
        if (type != "TemplateProcessing")
        {
            throw new ForgeException($"'{path}': expected a TemplateProcessing or BertProcessing post_processor, found \"{type}\".");
        }
        string single = Template(post, "single"), pair = Template(post, "pair");
        string[] parts = single.Split(' ');
        if (parts.Length == 3 && parts[0].StartsWith("S:", StringComparison.Ordinal) && parts[1] == "A:0" && parts[2].StartsWith("S:", StringComparison.Ordinal))
        {
            string cls = parts[0][2..^2], sep = parts[2][2..^2];
            if (parts[0].EndsWith(":0", StringComparison.Ordinal) && parts[2].EndsWith(":0", StringComparison.Ordinal)
                && pair == $"S:{cls}:0 A:0 S:{sep}:0 B:1 S:{sep}:1")
            {
                return (cls, sep);
            }
        }
        throw new ForgeException($"'{path}': expected BERT's templates \"[CLS] $A [SEP]\" and \"[CLS] $A [SEP] $B:1 [SEP]:1\", found \"{single}\" and \"{pair}\".");

        string PairToken(JsonElement element, string name) =>
            element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 2
                && value[0].ValueKind == JsonValueKind.String
                ? value[0].GetString()!
                : throw new ForgeException($"'{path}': BertProcessing needs \"{name}\" as [token, id].");
    }

    /// <summary>A template as text: <c>S:token:type</c> for a special token, <c>A:type</c> / <c>B:type</c> for a sequence.</summary>
    private static string Template(JsonElement post, string name)
    {
        if (!post.TryGetProperty(name, out JsonElement items) || items.ValueKind != JsonValueKind.Array)
        {
            return "(none)";
        }
        return string.Join(' ', items.EnumerateArray().Select(item =>
        {
            if (item.TryGetProperty("SpecialToken", out JsonElement special))
            {
                return $"S:{StringOrNull(special, "id")}:{TypeId(special)}";
            }
            return item.TryGetProperty("Sequence", out JsonElement sequence) ? $"{StringOrNull(sequence, "id")}:{TypeId(sequence)}" : item.GetRawText();
        }));

        static int TypeId(JsonElement element) => element.TryGetProperty("type_id", out JsonElement t) && t.TryGetInt32(out int v) ? v : 0;
    }

    private sealed record Config(BertNormalizerOptions Normalizer, BertSpecialTokens Roles, int? ModelMaxLength);

    private static Config ReadConfig(string path)
    {
        using JsonDocument document = ParseJson(path);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ForgeException($"'{path}' must hold a JSON object, found {root.ValueKind}.");
        }
        bool Flag(string name, bool fallback) => root.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.ValueKind == JsonValueKind.True
            : fallback;
        bool? strip = root.TryGetProperty("strip_accents", out JsonElement s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? s.ValueKind == JsonValueKind.True
            : null;
        var normalizer = new BertNormalizerOptions(Flag("do_lower_case", true), strip, Flag("tokenize_chinese_chars", true));

        string? Token(string name, string fallback)
        {
            if (!root.TryGetProperty(name, out JsonElement value))
            {
                return fallback;
            }
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object => StringOrNull(value, "content"),
                JsonValueKind.Null => null,
                _ => throw new ForgeException($"'{path}': \"{name}\" must be a token string, found {value.GetRawText()}."),
            };
        }
        var roles = new BertSpecialTokens(
            Token("unk_token", "[UNK]") ?? throw new ForgeException($"'{path}': \"unk_token\" must not be null."),
            Token("cls_token", "[CLS]"), Token("sep_token", "[SEP]"), Token("pad_token", "[PAD]"), Token("mask_token", "[MASK]"));
        int? maxLength = root.TryGetProperty("model_max_length", out JsonElement max) && max.ValueKind == JsonValueKind.Number
            && max.TryGetInt32(out int value) ? value : null;
        return new Config(normalizer, roles, maxLength);
    }

    private static Dictionary<string, int> ReadVocabFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new ForgeException($"Cannot read '{path}': {e.Message}", e);
        }
        string[] lines = text.Split('\n');
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        if (count == 0)
        {
            throw new ForgeException($"'{path}' is empty; expected a vocab.txt with one token per line.");
        }
        var vocabulary = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string token = lines[i].TrimEnd();
            if (token.Length == 0)
            {
                throw new ForgeException($"'{path}' line {i + 1} is blank; expected one token per line.");
            }
            if (!vocabulary.TryAdd(token, i))
            {
                throw new ForgeException($"'{path}' line {i + 1} repeats the token '{token}' of line {vocabulary[token] + 1}; expected each token once.");
            }
        }
        return vocabulary;
    }

    private static void RequireInVocabulary(Dictionary<string, int> vocabulary, string token, string role, string path)
    {
        if (!vocabulary.ContainsKey(token))
        {
            throw new ForgeException($"'{path}' has no {role} '{token}'; expected a BERT vocabulary that holds it.");
        }
    }

    private static void RequireType(string path, JsonElement root, string name, string expected)
    {
        string found = root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Object
            ? StringOrNull(value, "type") ?? value.GetRawText()
            : value.ValueKind == JsonValueKind.Undefined ? "none" : value.GetRawText();
        if (found != expected)
        {
            throw new ForgeException($"'{path}': expected a {expected} {name}, found {found}.");
        }
    }

    private void WriteTokenizerJson(Utf8JsonWriter w, KeyValuePair<string, int>[] byId)
    {
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        foreach (var token in addedTokens)
        {
            w.WriteStartObject();
            w.WriteNumber("id", token.Id);
            w.WriteString("content", token.Content);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("normalized", token.Normalized);
            w.WriteBoolean("special", token.Special);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartObject("normalizer");
        w.WriteString("type", "BertNormalizer");
        w.WriteBoolean("clean_text", Normalizer.CleanText);
        w.WriteBoolean("handle_chinese_chars", Normalizer.HandleChineseChars);
        WriteNullableBoolean(w, "strip_accents", Normalizer.StripAccents);
        w.WriteBoolean("lowercase", Normalizer.Lowercase);
        w.WriteEndObject();

        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "BertPreTokenizer");
        w.WriteEndObject();

        if (clsId is null)
        {
            w.WriteNull("post_processor");
        }
        else
        {
            WritePostProcessor(w);
        }

        w.WriteStartObject("decoder");
        w.WriteString("type", "WordPiece");
        w.WriteString("prefix", ContinuingSubwordPrefix);
        w.WriteBoolean("cleanup", CleanUpTokenizationSpaces);
        w.WriteEndObject();

        w.WriteStartObject("model");
        w.WriteString("type", "WordPiece");
        w.WriteString("unk_token", Roles.Unknown);
        w.WriteString("continuing_subword_prefix", ContinuingSubwordPrefix);
        w.WriteNumber("max_input_chars_per_word", MaxInputCharsPerWord);
        w.WriteStartObject("vocab");
        foreach (var (token, id) in byId)
        {
            w.WriteNumber(token, id);
        }
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void WritePostProcessor(Utf8JsonWriter w)
    {
        string cls = Roles.Cls!, sep = Roles.Sep!;
        w.WriteStartObject("post_processor");
        w.WriteString("type", "TemplateProcessing");
        w.WriteStartArray("single");
        Item("SpecialToken", cls, 0);
        Item("Sequence", "A", 0);
        Item("SpecialToken", sep, 0);
        w.WriteEndArray();
        w.WriteStartArray("pair");
        Item("SpecialToken", cls, 0);
        Item("Sequence", "A", 0);
        Item("SpecialToken", sep, 0);
        Item("Sequence", "B", 1);
        Item("SpecialToken", sep, 1);
        w.WriteEndArray();
        w.WriteStartObject("special_tokens");
        foreach (var (token, id) in new[] { (cls, clsId!.Value), (sep, sepId!.Value) })
        {
            w.WriteStartObject(token);
            w.WriteString("id", token);
            w.WriteStartArray("ids");
            w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteStartArray("tokens");
            w.WriteStringValue(token);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();

        void Item(string kind, string id, int typeId)
        {
            w.WriteStartObject();
            w.WriteStartObject(kind);
            w.WriteString("id", id);
            w.WriteNumber("type_id", typeId);
            w.WriteEndObject();
            w.WriteEndObject();
        }
    }

    private void WriteConfig(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteBoolean("do_lower_case", Normalizer.Lowercase);
        WriteNullableBoolean(w, "strip_accents", Normalizer.StripAccents);
        w.WriteBoolean("tokenize_chinese_chars", Normalizer.HandleChineseChars);
        w.WriteString("unk_token", Roles.Unknown);
        WriteNullableString(w, "cls_token", Roles.Cls);
        WriteNullableString(w, "sep_token", Roles.Sep);
        WriteNullableString(w, "pad_token", padId is null ? null : Roles.Pad);
        WriteNullableString(w, "mask_token", MaskTokenId is null ? null : Roles.Mask);
        if (ModelMaxLength is { } max)
        {
            w.WriteNumber("model_max_length", max);
        }
        w.WriteBoolean("clean_up_tokenization_spaces", CleanUpTokenizationSpaces);
        w.WriteString("tokenizer_class", "BertTokenizer");
        w.WriteEndObject();
    }

    private static void WriteNullableBoolean(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v)
        {
            w.WriteBoolean(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteNullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> write)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, WriterOptions);
        write(writer);
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (IOException e)
        {
            throw new ForgeException($"Cannot read '{path}': {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new ForgeException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }

    private static string? StringOrNull(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
