using Forge.Tensors;

namespace Forge.Data;

/// <summary>
/// A batch for masked-language-model pretraining: Int64 tensors of shape <c>[batch, length]</c>, labels −100 where no prediction
/// is asked for, and the next-sentence labels (<c>[batch]</c>, 0 = B follows A, 1 = B is random) when the examples are pairs.
/// </summary>
public sealed record MaskedLanguageModelingBatch(Tensor InputIds, Tensor TokenTypeIds, Tensor AttentionMask, Tensor Labels, Tensor? NextSentenceLabels)
{
    /// <summary>The real (not padding) tokens of the batch.</summary>
    public long TokenCount => AttentionMask.ToArray<long>().Sum();
}

/// <summary>One pretraining example: token ids with [CLS]/[SEP] in place, their segment ids, and the next-sentence label of a pair.</summary>
public sealed record PretrainingExample(int[] InputIds, int[] TokenTypeIds, int? NextSentenceLabel = null);

/// <summary>
/// Dynamic masking as Hugging Face's DataCollatorForLanguageModeling does it: each ordinary token is chosen with probability
/// <see cref="Probability"/> (special tokens never); a chosen token becomes [MASK] 80% of the time, a random token 10% and stays as it
/// is 10%, and only chosen tokens get a label. With whole-word masking (DataCollatorForWholeWordMask), words — a token and the
/// <c>##</c> continuations after it — are chosen whole until about <see cref="Probability"/> of the tokens are covered.
/// </summary>
public sealed class LanguageModelMasker
{
    /// <summary>The label of positions without a prediction: cross-entropy ignores it.</summary>
    public const int IgnoreIndex = -100;

    private readonly HashSet<int> special;
    private readonly Func<int, bool>? isContinuation;

    /// <summary>Creates a masker.</summary>
    /// <param name="vocabularySize">Random replacements are drawn from [0, vocabularySize).</param>
    /// <param name="maskTokenId">The id of [MASK].</param>
    /// <param name="specialTokenIds">Ids never masked ([CLS], [SEP], [PAD], ...).</param>
    /// <param name="probability">The share of tokens to predict (0.15 in BERT).</param>
    /// <param name="isContinuation">Whether an id continues the previous token's word (a <c>##</c> piece); given, masking is whole-word.</param>
    public LanguageModelMasker(int vocabularySize, int maskTokenId, IEnumerable<int> specialTokenIds, double probability = 0.15,
        Func<int, bool>? isContinuation = null)
    {
        ArgumentNullException.ThrowIfNull(specialTokenIds);
        if (vocabularySize < 2) throw new ForgeException($"The vocabulary must hold at least 2 tokens, found {vocabularySize}.");
        if (maskTokenId < 0 || maskTokenId >= vocabularySize)
            throw new ForgeException($"The [MASK] id must be in [0, {vocabularySize}), found {maskTokenId}.");
        if (!(probability > 0 && probability < 1)) throw new ForgeException($"The masking probability must be in (0, 1), found {probability}.");
        VocabularySize = vocabularySize;
        MaskTokenId = maskTokenId;
        Probability = probability;
        special = [.. specialTokenIds];
        this.isContinuation = isContinuation;
    }

    /// <summary>Random replacements are drawn from [0, VocabularySize).</summary>
    public int VocabularySize { get; }

    /// <summary>The id of [MASK].</summary>
    public int MaskTokenId { get; }

    /// <summary>The share of tokens to predict.</summary>
    public double Probability { get; }

    /// <summary>Whether whole words are masked.</summary>
    public bool WholeWord => isContinuation is not null;

    /// <summary>Masks <paramref name="ids"/>: the model's input and the labels (the original id where chosen, −100 elsewhere).</summary>
    public (int[] InputIds, int[] Labels) Mask(IReadOnlyList<int> ids, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(generator);
        bool[] chosen = isContinuation is null ? ChooseTokens(ids, generator) : ChooseWords(ids, generator, isContinuation);
        int[] input = [.. ids];
        int[] labels = new int[ids.Count];
        for (int i = 0; i < ids.Count; i++)
        {
            if (!chosen[i])
            {
                labels[i] = IgnoreIndex;
                continue;
            }
            labels[i] = ids[i];
            if (generator.NextDouble() < 0.8) input[i] = MaskTokenId;
            else if (generator.NextDouble() < 0.5) input[i] = (int)generator.NextInt64(VocabularySize);
        }
        return (input, labels);
    }

    /// <summary>Collates examples into a batch padded to its longest example with <paramref name="padTokenId"/>, masking each one.</summary>
    public MaskedLanguageModelingBatch Collate(IReadOnlyList<PretrainingExample> examples, int padTokenId, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ForgeException("A batch needs at least one example.");
        int length = examples.Max(e => e.InputIds.Length);
        int count = examples.Count;
        var input = new long[count * length];
        var types = new long[count * length];
        var mask = new long[count * length];
        var labels = new long[count * length];
        Array.Fill(input, padTokenId);
        Array.Fill(labels, IgnoreIndex);
        bool pairs = examples.All(e => e.NextSentenceLabel is not null);
        var next = pairs ? new long[count] : null;
        for (int b = 0; b < count; b++)
        {
            PretrainingExample example = examples[b];
            (int[] masked, int[] target) = Mask(example.InputIds, generator);
            for (int t = 0; t < masked.Length; t++)
            {
                input[b * length + t] = masked[t];
                types[b * length + t] = example.TokenTypeIds[t];
                mask[b * length + t] = 1;
                labels[b * length + t] = target[t];
            }
            if (next is not null) next[b] = example.NextSentenceLabel!.Value;
        }
        return new MaskedLanguageModelingBatch(Tensor.FromArray(input, count, length), Tensor.FromArray(types, count, length),
            Tensor.FromArray(mask, count, length), Tensor.FromArray(labels, count, length), next is null ? null : Tensor.FromArray(next, count));
    }

    private bool[] ChooseTokens(IReadOnlyList<int> ids, Generator generator)
    {
        var chosen = new bool[ids.Count];
        for (int i = 0; i < ids.Count; i++) chosen[i] = generator.NextDouble() < Probability && !special.Contains(ids[i]);
        return chosen;
    }

    private bool[] ChooseWords(IReadOnlyList<int> ids, Generator generator, Func<int, bool> continues)
    {
        var words = new List<(int Start, int Length)>();
        for (int i = 0; i < ids.Count; i++)
        {
            if (special.Contains(ids[i])) continue;
            if (words.Count > 0 && continues(ids[i]) && words[^1].Start + words[^1].Length == i) words[^1] = (words[^1].Start, words[^1].Length + 1);
            else words.Add((i, 1));
        }
        var chosen = new bool[ids.Count];
        int tokens = words.Sum(w => w.Length);
        if (tokens == 0) return chosen;
        int target = Math.Max(1, (int)Math.Round(tokens * Probability, MidpointRounding.ToEven));
        generator.Shuffle(words);
        int covered = 0;
        foreach (var (start, length) in words)
        {
            if (covered >= target) break;
            if (covered + length > target) continue;
            for (int i = start; i < start + length; i++) chosen[i] = true;
            covered += length;
        }
        return chosen;
    }
}

/// <summary>Builds BERT pretraining examples from tokenized text.</summary>
public static class PretrainingExamples
{
    /// <summary>
    /// Concatenates the documents' tokens and cuts them into blocks of <paramref name="maxLength"/> − 2 tokens, each wrapped as
    /// [CLS] block [SEP] (Hugging Face's run_mlm "group_texts"); the last, shorter block is kept when it holds at least a quarter
    /// of a block.
    /// </summary>
    public static IReadOnlyList<PretrainingExample> Blocks(IEnumerable<IReadOnlyList<int>> documents, int maxLength, int clsTokenId, int sepTokenId)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (maxLength < 3) throw new ForgeException($"The sequence length must be at least 3 ([CLS], a token, [SEP]), found {maxLength}.");
        int block = maxLength - 2;
        var stream = new List<int>();
        foreach (IReadOnlyList<int> document in documents) stream.AddRange(document);
        var examples = new List<PretrainingExample>();
        for (int start = 0; start < stream.Count; start += block)
        {
            int length = Math.Min(block, stream.Count - start);
            if (length < block && length < block / 4) break;
            int[] ids = new int[length + 2];
            ids[0] = clsTokenId;
            stream.CopyTo(start, ids, 1, length);
            ids[^1] = sepTokenId;
            examples.Add(new PretrainingExample(ids, new int[ids.Length]));
        }
        return examples;
    }

    /// <summary>
    /// Sentence-pair examples for next-sentence prediction, as BERT's create_pretraining_data: sentences of a document are gathered
    /// up to the length budget and split at a random point into A and B; half the time B is replaced by sentences from another
    /// document (label 1), otherwise it is the real continuation (label 0). Pairs are trimmed from the longer side to fit
    /// [CLS] A [SEP] B [SEP] in <paramref name="maxLength"/> tokens.
    /// </summary>
    public static IReadOnlyList<PretrainingExample> SentencePairs(IReadOnlyList<IReadOnlyList<IReadOnlyList<int>>> documents, int maxLength,
        int clsTokenId, int sepTokenId, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(generator);
        if (maxLength < 5) throw new ForgeException($"The sequence length must be at least 5 for sentence pairs, found {maxLength}.");
        if (documents.Count(d => d.Count > 0) < 2) throw new ForgeException("Sentence pairs need at least two non-empty documents.");
        int budget = maxLength - 3;
        var examples = new List<PretrainingExample>();
        for (int d = 0; d < documents.Count; d++)
        {
            IReadOnlyList<IReadOnlyList<int>> sentences = documents[d];
            int i = 0;
            while (i < sentences.Count)
            {
                var chunk = new List<IReadOnlyList<int>>();
                int length = 0;
                while (i < sentences.Count && (chunk.Count == 0 || length + sentences[i].Count <= budget))
                {
                    chunk.Add(sentences[i]);
                    length += sentences[i].Count;
                    i++;
                }
                int split = chunk.Count >= 2 ? 1 + (int)generator.NextInt64(chunk.Count - 1) : 1;
                var a = chunk.Take(split).SelectMany(s => s).ToList();
                List<int> b;
                int label;
                if (chunk.Count < 2 || generator.NextDouble() < 0.5)
                {
                    int other;
                    do other = (int)generator.NextInt64(documents.Count); while (other == d || documents[other].Count == 0);
                    IReadOnlyList<IReadOnlyList<int>> source = documents[other];
                    int from = (int)generator.NextInt64(source.Count);
                    b = [];
                    for (int k = from; k < source.Count && b.Count < budget - a.Count; k++) b.AddRange(source[k]);
                    label = 1;
                    i -= chunk.Count - split;
                }
                else
                {
                    b = chunk.Skip(split).SelectMany(s => s).ToList();
                    label = 0;
                }
                if (a.Count == 0 || b.Count == 0) continue;
                Trim(a, b, budget, generator);
                int[] ids = [clsTokenId, .. a, sepTokenId, .. b, sepTokenId];
                int[] types = [.. Enumerable.Repeat(0, a.Count + 2), .. Enumerable.Repeat(1, b.Count + 1)];
                examples.Add(new PretrainingExample(ids, types, label));
            }
        }
        return examples;
    }

    /// <summary>Removes tokens from the longer of the two, at its front or back at random, until both fit.</summary>
    private static void Trim(List<int> a, List<int> b, int budget, Generator generator)
    {
        while (a.Count + b.Count > budget)
        {
            List<int> longer = a.Count > b.Count ? a : b;
            if (generator.NextDouble() < 0.5) longer.RemoveAt(0);
            else longer.RemoveAt(longer.Count - 1);
        }
    }
}
