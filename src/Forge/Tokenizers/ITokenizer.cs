namespace Forge.Tokenizers;

/// <summary>Turns text into token ids and back.</summary>
public interface ITokenizer
{
    /// <summary>The number of ids the tokenizer can produce: one more than the largest id, so an embedding table of this size covers every id.</summary>
    int VocabularySize { get; }

    /// <summary>The special tokens (content to id), recognized whole in text and never split.</summary>
    IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>Encodes text into token ids.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Decodes token ids back into text.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>The id of a token as it is spelled in the vocabulary, or null when it is not in the vocabulary.</summary>
    int? TokenToId(string token);

    /// <summary>The vocabulary spelling of an id, or null when no token has that id.</summary>
    string? IdToToken(int id);
}
