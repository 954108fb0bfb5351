namespace Forge.Tokenizers;

/// <summary>How a text pair (or a single text) is cut down to a maximum length, as Hugging Face's <c>truncation=</c>.</summary>
public enum TruncationStrategy
{
    /// <summary>No truncation.</summary>
    None,

    /// <summary>Remove tokens from the longer sequence until the total fits (Hugging Face's <c>longest_first</c>).</summary>
    LongestFirst,

    /// <summary>Remove tokens from the first sequence only (<c>only_first</c>).</summary>
    OnlyFirst,

    /// <summary>Remove tokens from the second sequence only (<c>only_second</c>).</summary>
    OnlySecond,
}

/// <summary>Options of a rich encode call, as the keyword arguments of Hugging Face's <c>tokenizer(text, text_pair, ...)</c>.</summary>
public sealed record EncodeOptions
{
    /// <summary>Wrap the sequences in the special tokens of the template (<c>[CLS] A [SEP] B [SEP]</c> for BERT).</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>How to truncate; needs <see cref="MaxLength"/> (or a tokenizer with a model maximum length).</summary>
    public TruncationStrategy Truncation { get; init; } = TruncationStrategy.None;

    /// <summary>The length truncation cuts to and <see cref="PaddingStrategy.MaxLength"/> pads to, special tokens included.</summary>
    public int? MaxLength { get; init; }

    /// <summary>How to pad; <see cref="PaddingStrategy.Longest"/> pads a batch to its longest row.</summary>
    public PaddingStrategy Padding { get; init; } = PaddingStrategy.None;

    /// <summary>Which end padding goes on.</summary>
    public PaddingSide PaddingSide { get; init; } = PaddingSide.Right;
}

/// <summary>One encoded text or text pair, as the fields of Hugging Face's <c>BatchEncoding</c> for one row.</summary>
/// <param name="Tokens">The token spellings.</param>
/// <param name="InputIds">The token ids.</param>
/// <param name="TokenTypeIds">0 for the first sequence (and its special tokens), 1 for the second.</param>
/// <param name="AttentionMask">1 for a real token, 0 for padding.</param>
/// <param name="Offsets">For each token, its [Start, End) range in UTF-16 chars of the text it came from (the second text for tokens of
/// the pair); (0, 0) for added special tokens and padding.</param>
public sealed record EncodedText(string[] Tokens, int[] InputIds, int[] TokenTypeIds, int[] AttentionMask, (int Start, int End)[] Offsets)
{
    /// <summary>The number of tokens, padding included.</summary>
    public int Length => InputIds.Length;
}
