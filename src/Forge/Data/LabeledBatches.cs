using Forge.Tensors;

namespace Forge.Data;

/// <summary>
/// One encoded, labeled example: token ids with the special tokens in place, their segment ids, and either one label (sequence
/// classification) or one label per token (token classification, −100 where no prediction counts).
/// </summary>
public sealed record EncodedExample(int[] InputIds, int[] TokenTypeIds, int[] Labels);

/// <summary>
/// A padded batch of labeled examples: Int64 <c>[batch, length]</c> ids, segment ids and attention mask (1 for real tokens), and
/// labels of shape <c>[batch]</c> (sequence classification) or <c>[batch, length]</c> (token classification, −100 on padding).
/// </summary>
public sealed record LabeledBatch(Tensor InputIds, Tensor TokenTypeIds, Tensor AttentionMask, Tensor Labels)
{
    /// <summary>The real (not padding) tokens of the batch.</summary>
    public long TokenCount => AttentionMask.ToArray<long>().Sum();

    /// <summary>
    /// Pads <paramref name="examples"/> to the longest of them (dynamic padding, as Hugging Face's DataCollatorWithPadding): ids with
    /// <paramref name="padTokenId"/>, segment ids and mask with 0, per-token labels with −100.
    /// </summary>
    public static LabeledBatch Collate(IReadOnlyList<EncodedExample> examples, int padTokenId)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ForgeException("A batch needs at least one example.");
        bool perToken = examples[0].Labels.Length != 1 || examples[0].InputIds.Length == 1;
        int length = examples.Max(e => e.InputIds.Length);
        int count = examples.Count;
        var ids = new long[count * length];
        var types = new long[count * length];
        var mask = new long[count * length];
        var labels = new long[perToken ? count * length : count];
        Array.Fill(ids, padTokenId);
        if (perToken) Array.Fill(labels, LanguageModelMasker.IgnoreIndex);
        for (int b = 0; b < count; b++)
        {
            EncodedExample example = examples[b];
            if (example.TokenTypeIds.Length != example.InputIds.Length || (perToken ? example.Labels.Length != example.InputIds.Length : example.Labels.Length != 1))
            {
                throw new ForgeException($"Example {b} has {example.InputIds.Length} ids, {example.TokenTypeIds.Length} segment ids and " +
                    $"{example.Labels.Length} labels; expected as many segment ids as ids and {(perToken ? "one label per id" : "one label")}.");
            }
            for (int t = 0; t < example.InputIds.Length; t++)
            {
                ids[b * length + t] = example.InputIds[t];
                types[b * length + t] = example.TokenTypeIds[t];
                mask[b * length + t] = 1;
                if (perToken) labels[b * length + t] = example.Labels[t];
            }
            if (!perToken) labels[b] = example.Labels[0];
        }
        return new LabeledBatch(Tensor.FromArray(ids, count, length), Tensor.FromArray(types, count, length), Tensor.FromArray(mask, count, length),
            perToken ? Tensor.FromArray(labels, count, length) : Tensor.FromArray(labels, count));
    }

    /// <summary>
    /// Word-level labels moved onto word pieces as Hugging Face's token-classification examples do: the first piece of each word gets
    /// the word's label, later pieces and special tokens (word index null) get −100.
    /// </summary>
    /// <param name="wordIds">For each token, the index of the word it comes from, or null for a special token.</param>
    /// <param name="wordLabels">One label per word.</param>
    public static int[] AlignLabels(IReadOnlyList<int?> wordIds, IReadOnlyList<int> wordLabels)
    {
        ArgumentNullException.ThrowIfNull(wordIds);
        ArgumentNullException.ThrowIfNull(wordLabels);
        var labels = new int[wordIds.Count];
        int? previous = null;
        for (int t = 0; t < wordIds.Count; t++)
        {
            int? word = wordIds[t];
            if (word is int w && w != previous)
            {
                if (w < 0 || w >= wordLabels.Count) throw new ForgeException($"Token {t} comes from word {w}, but there are {wordLabels.Count} word labels.");
                labels[t] = wordLabels[w];
            }
            else
            {
                labels[t] = LanguageModelMasker.IgnoreIndex;
            }
            previous = word;
        }
        return labels;
    }
}
