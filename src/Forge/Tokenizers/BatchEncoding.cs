namespace Forge.Tokenizers;

/// <summary>How a batch of encodings is padded to a common length.</summary>
public enum PaddingStrategy
{
    /// <summary>No padding: rows keep their own lengths.</summary>
    None,

    /// <summary>Pad every row to the longest row of the batch.</summary>
    Longest,

    /// <summary>Pad every row to the requested maximum length.</summary>
    MaxLength,
}

/// <summary>Which end of a row padding (and truncation) applies to.</summary>
public enum PaddingSide
{
    /// <summary>Pad after the tokens.</summary>
    Right,

    /// <summary>Pad before the tokens.</summary>
    Left,
}

/// <summary>The token ids of a batch of texts with their attention masks (1 for a real token, 0 for padding).</summary>
/// <param name="InputIds">One row of ids per text.</param>
/// <param name="AttentionMask">One row per text, the same length as its ids.</param>
public sealed record BatchEncoding(int[][] InputIds, int[][] AttentionMask)
{
    /// <summary>One row of segment ids per text (0 for the first text of a pair, 1 for the second), for tokenizers that have them; otherwise null.</summary>
    public int[][]? TokenTypeIds { get; init; }
}
