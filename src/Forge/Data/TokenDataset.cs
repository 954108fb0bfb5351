using Forge.Tokenizers;

namespace Forge.Data;

/// <summary>
/// One stream of token ids that training windows are cut from. Window <c>w</c> of length <c>T</c> covers tokens
/// <c>[w*T, w*T + T + 1)</c>: its input is the first <c>T</c> tokens and its target the last <c>T</c> (the input shifted by one),
/// as in nanoGPT and llm.c, so consecutive windows share one token and every token but the first is a target exactly once.
/// </summary>
public sealed class TokenDataset
{
    private const int EncodeChunk = 64;

    private string? fingerprint;

    /// <summary>Wraps a token stream (not copied); ids must be non-negative.</summary>
    public TokenDataset(ReadOnlyMemory<int> tokens)
    {
        ReadOnlySpan<int> span = tokens.Span;
        for (int i = 0; i < span.Length; i++)
        {
            if (span[i] < 0) throw new ForgeException($"Token ids must be non-negative, found {span[i]} at position {i}.");
        }
        Tokens = tokens;
    }

    /// <summary>
    /// Encodes documents into one stream. When <paramref name="endOfTextId"/> is given, each document is preceded by it
    /// (as in GPT-2's and llm.c's data), so the stream reads <c>EOT doc EOT doc ...</c> and a model learns how documents start
    /// after the end-of-text token. Documents are encoded in parallel; the order of the stream is the order of <paramref name="documents"/>.
    /// </summary>
    public static TokenDataset FromDocuments(IEnumerable<string> documents, ITokenizer tokenizer, int? endOfTextId = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (endOfTextId is < 0) throw new ForgeException($"The end-of-text id must be non-negative, found {endOfTextId}.");
        var tokens = new List<int>();
        foreach (string[] chunk in documents.Chunk(EncodeChunk))
        {
            foreach (IReadOnlyList<int> encoded in chunk.AsParallel().AsOrdered().Select(tokenizer.Encode))
            {
                if (endOfTextId is int eot) tokens.Add(eot);
                tokens.AddRange(encoded);
            }
        }
        return new TokenDataset(tokens.ToArray());
    }

    /// <summary>The token ids.</summary>
    public ReadOnlyMemory<int> Tokens { get; }

    /// <summary>The number of tokens.</summary>
    public int Count => Tokens.Length;

    /// <summary>A short hash of the token ids (64-bit FNV-1a, hex), recorded in data loader states to detect resuming on different data.</summary>
    public string Fingerprint => fingerprint ??= ComputeFingerprint(Tokens.Span);

    /// <summary>
    /// Splits off the last <c>round(Count * validationFraction)</c> tokens as the validation set: a contiguous tail of the stream,
    /// as nanoGPT splits its text, so no window crosses the boundary and the split does not depend on any seed. Both parts share
    /// this dataset's memory.
    /// </summary>
    public (TokenDataset Train, TokenDataset Validation) Split(double validationFraction)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ForgeException($"The validation fraction must be in [0, 1), found {validationFraction}.");
        int validation = (int)Math.Round(Count * validationFraction, MidpointRounding.AwayFromZero);
        int train = Count - validation;
        return (new TokenDataset(Tokens[..train]), new TokenDataset(Tokens[train..]));
    }

    /// <summary>How many windows of <paramref name="sequenceLength"/> inputs (plus one target token) the stream holds.</summary>
    public int WindowCount(int sequenceLength)
    {
        if (sequenceLength < 1) throw new ForgeException($"The sequence length must be at least 1, found {sequenceLength}.");
        return Count > sequenceLength ? (Count - 1) / sequenceLength : 0;
    }

    /// <summary>Copies window <paramref name="window"/>'s inputs and targets (see the class remarks) as Int64 values.</summary>
    internal void CopyWindow(int window, int sequenceLength, Span<long> input, Span<long> target)
    {
        ReadOnlySpan<int> source = Tokens.Span.Slice(window * sequenceLength, sequenceLength + 1);
        for (int t = 0; t < sequenceLength; t++)
        {
            input[t] = source[t];
            target[t] = source[t + 1];
        }
    }

    private static string ComputeFingerprint(ReadOnlySpan<int> tokens)
    {
        ulong hash = 14695981039346656037UL;
        foreach (int token in tokens)
        {
            hash = (hash ^ (uint)token) * 1099511628211UL;
        }
        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }
}
