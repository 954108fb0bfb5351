using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Forge.Tokenizers;

/// <summary>A character-level tokenizer for small experiments: one id per distinct character (Unicode code point) of a training text, in code point order.</summary>
public sealed class CharTokenizer : ITokenizer
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly Dictionary<string, int> NoSpecialTokens = [];

    private readonly string[] characters;
    private readonly Dictionary<int, int> idOf = [];

    /// <summary>Builds a tokenizer whose vocabulary is exactly the given characters, in the given order.</summary>
    public CharTokenizer(IEnumerable<string> characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        this.characters = [.. characters];
        for (int id = 0; id < this.characters.Length; id++)
        {
            string c = this.characters[id];
            if (!Rune.TryGetRuneAt(c, 0, out Rune rune) || rune.Utf16SequenceLength != c.Length)
            {
                throw new ForgeException($"Each vocabulary entry must be one character; entry {id} is '{c}'.");
            }
            if (!idOf.TryAdd(rune.Value, id))
            {
                throw new ForgeException($"Character '{c}' appears twice in the vocabulary (ids {idOf[rune.Value]} and {id}).");
            }
        }
    }

    /// <summary>Builds the vocabulary from the distinct characters of a text, sorted by code point.</summary>
    public static CharTokenizer FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var distinct = new SortedSet<int>();
        foreach (Rune rune in text.EnumerateRunes())
        {
            distinct.Add(rune.Value);
        }
        return new CharTokenizer(distinct.Select(char.ConvertFromUtf32));
    }

    /// <summary>The characters, indexed by id.</summary>
    public IReadOnlyList<string> Characters => characters;

    /// <inheritdoc />
    public int VocabularySize => characters.Length;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, int> SpecialTokens => NoSpecialTokens;

    /// <summary>Encodes text, one id per character; a character outside the vocabulary raises <see cref="ForgeException"/>.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length);
        int index = 0;
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (!idOf.TryGetValue(rune.Value, out int id))
            {
                throw new ForgeException($"Character '{rune}' (U+{rune.Value:X4}) at index {index} is not in the tokenizer's vocabulary of {characters.Length} characters.");
            }
            ids.Add(id);
            index += rune.Utf16SequenceLength;
        }
        return ids;
    }

    /// <inheritdoc />
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            text.Append(IdToToken(id) ?? throw new ForgeException($"Token id {id} is not in the vocabulary (ids 0 to {characters.Length - 1})."));
        }
        return text.ToString();
    }

    /// <inheritdoc />
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Rune.TryGetRuneAt(token, 0, out Rune rune) && rune.Utf16SequenceLength == token.Length && idOf.TryGetValue(rune.Value, out int id)
            ? id
            : null;
    }

    /// <inheritdoc />
    public string? IdToToken(int id) => (uint)id < (uint)characters.Length ? characters[id] : null;

    /// <summary>Writes the vocabulary as JSON: <c>{"type": "char", "characters": [...]}</c>.</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        File.WriteAllText(path, JsonSerializer.Serialize(new CharTokenizerFile("char", characters), JsonOptions));
    }

    /// <summary>Reads a vocabulary written by <see cref="Save"/>.</summary>
    public static CharTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        CharTokenizerFile? file;
        try
        {
            file = JsonSerializer.Deserialize<CharTokenizerFile>(File.ReadAllText(path), JsonOptions);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            throw new ForgeException($"Cannot read a character tokenizer from '{path}': {e.Message}", e);
        }
        if (file is not { Type: "char", Characters: not null })
        {
            throw new ForgeException($"'{path}' is not a character tokenizer: expected {{\"type\": \"char\", \"characters\": [...]}}.");
        }
        return new CharTokenizer(file.Characters);
    }

    private sealed record CharTokenizerFile(
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("characters")] string[]? Characters);
}
