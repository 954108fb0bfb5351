using System.Text.Json;

namespace Forge.Tokenizers;

/// <summary>Loads whichever tokenizer a directory holds, as Hugging Face's <c>AutoTokenizer.from_pretrained</c>.</summary>
public static class AutoTokenizer
{
    /// <summary>
    /// Loads the tokenizer of a directory (or a <c>tokenizer.json</c> file): a <c>tokenizer.json</c> with a WordPiece model gives a
    /// <see cref="WordPieceTokenizer"/> and one with a BPE model a <see cref="ByteLevelBpeTokenizer"/>; without it, <c>vocab.txt</c> gives
    /// a <see cref="WordPieceTokenizer"/>, and <c>vocab.json</c> with <c>merges.txt</c> (or <c>encoder.json</c> with <c>vocab.bpe</c>)
    /// a <see cref="ByteLevelBpeTokenizer"/>.
    /// </summary>
    public static ITokenizer FromDirectory(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
        {
            return FromTokenizerJson(path);
        }
        if (!Directory.Exists(path))
        {
            throw new ForgeException($"Tokenizer directory '{path}' does not exist.");
        }
        string tokenizerJson = Path.Combine(path, "tokenizer.json");
        if (File.Exists(tokenizerJson))
        {
            return ModelType(tokenizerJson) == "WordPiece" ? WordPieceTokenizer.FromDirectory(path) : ByteLevelBpeTokenizer.FromDirectory(path);
        }
        if (File.Exists(Path.Combine(path, "vocab.txt")))
        {
            return WordPieceTokenizer.FromDirectory(path);
        }
        return ByteLevelBpeTokenizer.FromDirectory(path);
    }

    private static ITokenizer FromTokenizerJson(string path) =>
        ModelType(path) == "WordPiece" ? WordPieceTokenizer.FromTokenizerJson(path) : ByteLevelBpeTokenizer.FromTokenizerJson(path);

    private static string ModelType(string path)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("model", out JsonElement model) && model.ValueKind == JsonValueKind.Object
                && model.TryGetProperty("type", out JsonElement type) && type.ValueKind == JsonValueKind.String
                ? type.GetString()!
                : "BPE";
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
}
