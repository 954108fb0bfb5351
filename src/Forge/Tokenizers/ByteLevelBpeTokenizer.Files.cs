using System.Text.Encodings.Web;
using System.Text.Json;

namespace Forge.Tokenizers;

public sealed partial class ByteLevelBpeTokenizer
{
    private const string EndOfText = "<|endoftext|>";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Loads Hugging Face's <c>vocab.json</c> and <c>merges.txt</c> (a first line starting with <c>#version</c> is skipped).
    /// The listed special tokens (by default <c>&lt;|endoftext|&gt;</c> when the vocabulary has it) are matched whole in text.
    /// </summary>
    public static ByteLevelBpeTokenizer FromFiles(string vocabJsonPath, string mergesTxtPath, IEnumerable<string>? specialTokens = null)
    {
        var vocabulary = ReadVocabulary(vocabJsonPath);
        var merges = ReadMerges(mergesTxtPath);
        var added = new List<AddedToken>();
        foreach (string token in specialTokens ?? (vocabulary.ContainsKey(EndOfText) ? [EndOfText] : []))
        {
            if (!vocabulary.TryGetValue(token, out int id))
            {
                throw new ForgeException($"Special token '{token}' is not in the vocabulary '{vocabJsonPath}'.");
            }
            added.Add(new AddedToken(token, id));
        }
        return new ByteLevelBpeTokenizer(vocabulary, merges, added);
    }

    /// <summary>Loads OpenAI's GPT-2 files <c>encoder.json</c> and <c>vocab.bpe</c> (the same formats as vocab.json and merges.txt).</summary>
    public static ByteLevelBpeTokenizer FromOpenAiFiles(string encoderJsonPath, string vocabBpePath) => FromFiles(encoderJsonPath, vocabBpePath);

    /// <summary>
    /// Loads a Hugging Face <c>tokenizer.json</c> with a BPE model (merges as <c>"a b"</c> strings or <c>["a", "b"]</c> pairs),
    /// a ByteLevel pre-tokenizer and its added tokens. Features this tokenizer does not implement (normalizers, other
    /// pre-tokenizers, template post-processors, stripping flags on added tokens, ...) raise <see cref="ForgeException"/>.
    /// </summary>
    public static ByteLevelBpeTokenizer FromTokenizerJson(string path)
    {
        using JsonDocument document = ParseJson(path);
        JsonElement root = document.RootElement;
        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new ForgeException($"'{path}' has no \"model\" object; expected a Hugging Face tokenizer.json.");
        }
        string type = StringOrNull(model, "type") ?? "BPE";
        if (type != "BPE")
        {
            throw new ForgeException($"'{path}': expected model type \"BPE\", found \"{type}\".");
        }
        RequireAbsentOrDefault(path, model, "dropout", JsonValueKind.Null);
        RequireAbsentOrEmpty(path, model, "continuing_subword_prefix");
        RequireAbsentOrEmpty(path, model, "end_of_word_suffix");
        RequireAbsentOrDefault(path, model, "byte_fallback", JsonValueKind.False);
        RequireAbsentOrDefault(path, model, "ignore_merges", JsonValueKind.False);
        RequireAbsentOrDefault(path, root, "normalizer", JsonValueKind.Null);
        RequireByteLevelOrNull(path, root, "post_processor");
        RequireByteLevelOrNull(path, root, "decoder");

        bool addPrefixSpace = false;
        if (!root.TryGetProperty("pre_tokenizer", out JsonElement pre) || StringOrNull(pre, "type") != "ByteLevel")
        {
            throw new ForgeException($"'{path}': expected a \"ByteLevel\" pre_tokenizer, found {(pre.ValueKind == JsonValueKind.Undefined ? "none" : pre.GetRawText())}.");
        }
        if (pre.TryGetProperty("use_regex", out JsonElement useRegex) && useRegex.ValueKind == JsonValueKind.False)
        {
            throw new ForgeException($"'{path}': the ByteLevel pre_tokenizer must use GPT-2's pattern (\"use_regex\": true).");
        }
        if (pre.TryGetProperty("add_prefix_space", out JsonElement prefix))
        {
            addPrefixSpace = prefix.ValueKind == JsonValueKind.True;
        }

        if (!model.TryGetProperty("vocab", out JsonElement vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw new ForgeException($"'{path}': model.vocab must be an object of token to id.");
        }
        var vocabulary = ReadVocabularyObject(vocabElement, path);

        var merges = new List<(string, string)>();
        if (model.TryGetProperty("merges", out JsonElement mergesElement))
        {
            foreach (JsonElement merge in mergesElement.EnumerateArray())
            {
                merges.Add(merge.ValueKind switch
                {
                    JsonValueKind.String => SplitMerge(merge.GetString()!, path, merges.Count),
                    JsonValueKind.Array when merge.GetArrayLength() == 2 && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String
                        => (merge[0].GetString()!, merge[1].GetString()!),
                    _ => throw new ForgeException($"'{path}': merge {merges.Count} must be \"a b\" or [\"a\", \"b\"], found {merge.GetRawText()}."),
                });
            }
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
                added.Add(new AddedToken(content, idValue, special));
            }
        }
        return new ByteLevelBpeTokenizer(vocabulary, merges, added, addPrefixSpace);
    }

    /// <summary>Loads a tokenizer directory: <c>tokenizer.json</c> when present, otherwise <c>vocab.json</c> and <c>merges.txt</c>
    /// (or OpenAI's <c>encoder.json</c> and <c>vocab.bpe</c>).</summary>
    public static ByteLevelBpeTokenizer FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string tokenizerJson = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(tokenizerJson))
        {
            return FromTokenizerJson(tokenizerJson);
        }
        string vocab = Path.Combine(directory, "vocab.json"), merges = Path.Combine(directory, "merges.txt");
        if (File.Exists(vocab) && File.Exists(merges))
        {
            return FromFiles(vocab, merges);
        }
        string encoder = Path.Combine(directory, "encoder.json"), bpe = Path.Combine(directory, "vocab.bpe");
        if (File.Exists(encoder) && File.Exists(bpe))
        {
            return FromOpenAiFiles(encoder, bpe);
        }
        throw new ForgeException($"'{directory}' holds no tokenizer: expected tokenizer.json, vocab.json with merges.txt, or encoder.json with vocab.bpe.");
    }

    /// <summary>Writes the tokenizer in Hugging Face's layout: vocab.json, merges.txt, tokenizer.json, tokenizer_config.json and special_tokens_map.json.</summary>
    public void Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        var byId = vocabulary.OrderBy(p => p.Value).ToArray();

        WriteJson(Path.Combine(directory, "vocab.json"), w => WriteVocabulary(w, byId));
        using (var merges = new StreamWriter(Path.Combine(directory, "merges.txt"), append: false, new System.Text.UTF8Encoding(false)))
        {
            merges.NewLine = "\n";
            merges.WriteLine("#version: 0.2");
            foreach (var (left, right) in this.merges)
            {
                merges.WriteLine($"{left} {right}");
            }
        }
        WriteJson(Path.Combine(directory, "tokenizer.json"), w => WriteTokenizerJson(w, byId));

        string? endOfText = specialTokens.ContainsKey(EndOfText) ? EndOfText : null;
        var additional = addedTokens.Where(t => t.Special && t.Content != endOfText).Select(t => t.Content).ToArray();
        WriteJson(Path.Combine(directory, "special_tokens_map.json"), w =>
        {
            w.WriteStartObject();
            WriteRoles(w, endOfText, additional);
            w.WriteEndObject();
        });
        WriteJson(Path.Combine(directory, "tokenizer_config.json"), w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("add_prefix_space", AddPrefixSpace);
            w.WriteStartObject("added_tokens_decoder");
            foreach (var token in addedTokens)
            {
                w.WritePropertyName(token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                WriteAddedToken(w, token, writeId: false);
            }
            w.WriteEndObject();
            WriteRoles(w, endOfText, additional);
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            w.WriteString("tokenizer_class", "GPT2Tokenizer");
            w.WriteEndObject();
        });
    }

    private static void WriteRoles(Utf8JsonWriter w, string? endOfText, string[] additional)
    {
        if (endOfText is not null)
        {
            w.WriteString("bos_token", endOfText);
            w.WriteString("eos_token", endOfText);
            w.WriteString("unk_token", endOfText);
        }
        if (additional.Length > 0)
        {
            w.WriteStartArray("additional_special_tokens");
            foreach (string token in additional)
            {
                w.WriteStringValue(token);
            }
            w.WriteEndArray();
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
            WriteAddedToken(w, token, writeId: true);
        }
        w.WriteEndArray();
        w.WriteNull("normalizer");
        WriteByteLevel(w, "pre_tokenizer", AddPrefixSpace, trimOffsets: true);
        WriteByteLevel(w, "post_processor", addPrefixSpace: true, trimOffsets: false);
        WriteByteLevel(w, "decoder", addPrefixSpace: true, trimOffsets: true);
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteString("continuing_subword_prefix", "");
        w.WriteString("end_of_word_suffix", "");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", false);
        w.WritePropertyName("vocab");
        WriteVocabulary(w, byId);
        w.WriteStartArray("merges");
        foreach (var (left, right) in merges)
        {
            w.WriteStartArray();
            w.WriteStringValue(left);
            w.WriteStringValue(right);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter w, string name, bool addPrefixSpace, bool trimOffsets)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", addPrefixSpace);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", true);
        w.WriteEndObject();
    }

    private static void WriteAddedToken(Utf8JsonWriter w, AddedToken token, bool writeId)
    {
        w.WriteStartObject();
        if (writeId)
        {
            w.WriteNumber("id", token.Id);
        }
        w.WriteString("content", token.Content);
        w.WriteBoolean("single_word", false);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("normalized", false);
        w.WriteBoolean("special", token.Special);
        w.WriteEndObject();
    }

    private static void WriteVocabulary(Utf8JsonWriter w, KeyValuePair<string, int>[] byId)
    {
        w.WriteStartObject();
        foreach (var (token, id) in byId)
        {
            w.WriteNumber(token, id);
        }
        w.WriteEndObject();
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> write)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, WriterOptions);
        write(writer);
    }

    private static Dictionary<string, int> ReadVocabulary(string path)
    {
        using JsonDocument document = ParseJson(path);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ForgeException($"'{path}' must hold a JSON object of token to id, found {document.RootElement.ValueKind}.");
        }
        return ReadVocabularyObject(document.RootElement, path);
    }

    private static Dictionary<string, int> ReadVocabularyObject(JsonElement element, string path)
    {
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            if (!entry.Value.TryGetInt32(out int id))
            {
                throw new ForgeException($"'{path}': token '{entry.Name}' must map to an integer id, found {entry.Value.GetRawText()}.");
            }
            vocabulary[entry.Name] = id;
        }
        return vocabulary;
    }

    private static List<(string, string)> ReadMerges(string path)
    {
        string[] lines = ReadAllLines(path);
        var merges = new List<(string, string)>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }
            merges.Add(SplitMerge(line, path, i + 1));
        }
        return merges;
    }

    private static (string, string) SplitMerge(string merge, string path, int position)
    {
        string[] parts = merge.Split(' ');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            throw new ForgeException($"'{path}': merge {position} must be two tokens separated by one space, found '{merge}'.");
        }
        return (parts[0], parts[1]);
    }

    private static string[] ReadAllLines(string path)
    {
        try
        {
            return File.ReadAllText(path).Split('\n');
        }
        catch (IOException e)
        {
            throw new ForgeException($"Cannot read '{path}': {e.Message}", e);
        }
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

    private static void RequireAbsentOrDefault(string path, JsonElement element, string name, JsonValueKind expected)
    {
        if (element.TryGetProperty(name, out JsonElement value) && value.ValueKind != expected && value.ValueKind != JsonValueKind.Null)
        {
            throw new ForgeException($"'{path}': \"{name}\" = {value.GetRawText()} is not supported by the byte-level BPE tokenizer.");
        }
    }

    private static void RequireAbsentOrEmpty(string path, JsonElement element, string name)
    {
        if (element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0)
        {
            throw new ForgeException($"'{path}': \"{name}\" = {value.GetRawText()} is not supported by the byte-level BPE tokenizer.");
        }
    }

    private static void RequireByteLevelOrNull(string path, JsonElement root, string name)
    {
        if (root.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null && StringOrNull(value, "type") != "ByteLevel")
        {
            throw new ForgeException($"'{path}': a {name} of type {value.GetRawText()} is not supported; expected ByteLevel or null.");
        }
    }
}
