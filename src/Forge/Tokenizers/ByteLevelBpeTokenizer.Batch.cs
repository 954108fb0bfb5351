namespace Forge.Tokenizers;

public sealed partial class ByteLevelBpeTokenizer
{
    /// <summary>Encodes several texts (in parallel), optionally truncating them and padding them to a common length.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="maxLength">The length rows are truncated to (with <paramref name="truncation"/>) or padded to (with <see cref="PaddingStrategy.MaxLength"/>).</param>
    /// <param name="truncation">Cut rows longer than <paramref name="maxLength"/>, keeping their first tokens.</param>
    /// <param name="padding">How rows are padded.</param>
    /// <param name="padTokenId">The id written into padding; by default <see cref="EndOfTextId"/> (GPT-2 has no pad token and pads with end-of-text).</param>
    /// <param name="side">Which end padding goes on.</param>
    /// <param name="parseSpecialTokens">Whether added tokens written in the texts become their ids.</param>
    public BatchEncoding EncodeBatch(
        IReadOnlyList<string> texts,
        int? maxLength = null,
        bool truncation = false,
        PaddingStrategy padding = PaddingStrategy.None,
        int? padTokenId = null,
        PaddingSide side = PaddingSide.Right,
        bool parseSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (maxLength is <= 0)
        {
            throw new ForgeException($"maxLength must be positive, found {maxLength}.");
        }
        if (truncation && maxLength is null)
        {
            throw new ForgeException("Truncation needs a maxLength.");
        }
        if (padding == PaddingStrategy.MaxLength && maxLength is null)
        {
            throw new ForgeException("PaddingStrategy.MaxLength needs a maxLength.");
        }

        var rows = new int[texts.Count][];
        Parallel.For(0, texts.Count, i => rows[i] = Encode(texts[i], parseSpecialTokens));
        if (truncation)
        {
            for (int i = 0; i < rows.Length; i++)
            {
                if (rows[i].Length > maxLength!.Value)
                {
                    rows[i] = rows[i][..maxLength.Value];
                }
            }
        }

        int target = padding switch
        {
            PaddingStrategy.Longest => rows.Length == 0 ? 0 : rows.Max(r => r.Length),
            PaddingStrategy.MaxLength => maxLength!.Value,
            _ => 0,
        };
        int pad = 0;
        if (padding != PaddingStrategy.None)
        {
            pad = padTokenId ?? EndOfTextId
                ?? throw new ForgeException("Padding needs a padTokenId: this tokenizer has no special token to pad with.");
        }

        var ids = new int[rows.Length][];
        var masks = new int[rows.Length][];
        for (int i = 0; i < rows.Length; i++)
        {
            int[] row = rows[i];
            int length = Math.Max(row.Length, target);
            int offset = side == PaddingSide.Left ? length - row.Length : 0;
            ids[i] = new int[length];
            masks[i] = new int[length];
            Array.Fill(ids[i], pad);
            row.CopyTo(ids[i], offset);
            Array.Fill(masks[i], 1, offset, row.Length);
        }
        return new BatchEncoding(ids, masks);
    }
}
