using System.Text;

namespace Forge.Tokenizers;

/// <summary>
/// Learns byte-level BPE merges from a corpus, as Hugging Face's ByteLevelBPE trainer does: the text is split with GPT-2's
/// pattern, words start as their UTF-8 bytes (the 256 byte symbols are the initial alphabet), and the most frequent adjacent
/// pair (ties broken by the ordinally smallest left token, then right token) is merged until the vocabulary is full or no
/// pair occurs <c>minFrequency</c> times. Pair counts are updated incrementally, only for the words a merge touches.
/// </summary>
public sealed class BpeTrainer
{
    /// <summary>The longest token (in characters of its byte-level spelling) a merge may create; null for no limit.</summary>
    public int? MaxTokenLength { get; init; }

    /// <summary>Trains a tokenizer. Its ids are: the special tokens (in the order given), the 256 byte symbols (in character order), then one per merge.</summary>
    /// <param name="texts">The corpus; special tokens written in it are left out of the counts.</param>
    /// <param name="vocabSize">The vocabulary size to reach, special tokens and the byte alphabet included.</param>
    /// <param name="minFrequency">The fewest occurrences a pair needs to be merged.</param>
    /// <param name="specialTokens">Special tokens, given the first ids.</param>
    public ByteLevelBpeTokenizer Train(IEnumerable<string> texts, int vocabSize, int minFrequency = 2, IReadOnlyList<string>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        string[] specials = specialTokens is null ? [] : [.. specialTokens];
        if (specials.Any(string.IsNullOrEmpty) || specials.Distinct(StringComparer.Ordinal).Count() != specials.Length)
        {
            throw new ForgeException($"Special tokens must be non-empty and distinct, found [{string.Join(", ", specials)}].");
        }
        if (vocabSize < specials.Length + 256)
        {
            throw new ForgeException($"vocabSize must be at least {specials.Length + 256} (special tokens plus the 256 byte symbols), found {vocabSize}.");
        }
        if (minFrequency < 0)
        {
            throw new ForgeException($"minFrequency must be non-negative, found {minFrequency}.");
        }
        if (MaxTokenLength is <= 0)
        {
            throw new ForgeException($"MaxTokenLength must be positive, found {MaxTokenLength}.");
        }

        var tokens = new List<string>(vocabSize);
        var ids = new Dictionary<string, int>(vocabSize, StringComparer.Ordinal);
        foreach (string token in specials.Concat(ByteLevel.Alphabet.Order().Select(c => c.ToString())))
        {
            if (ids.TryAdd(token, tokens.Count))
            {
                tokens.Add(token);
            }
        }
        var byteIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            byteIds[b] = ids[ByteLevel.ByteToChar((byte)b).ToString()];
        }

        var (words, wordCounts) = CountWords(texts, specials, byteIds);
        var lengths = words.Select(w => w.Length).ToArray();
        var pairCounts = new Dictionary<long, long>();
        var where = new Dictionary<long, HashSet<int>>();
        for (int w = 0; w < words.Length; w++)
        {
            for (int k = 0; k + 1 < lengths[w]; k++)
            {
                long pair = Pair(words[w][k], words[w][k + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + wordCounts[w];
                Where(where, pair).Add(w);
            }
        }

        var heap = new PriorityQueue<long, Candidate>(new CandidateOrder(tokens));
        foreach (var (pair, count) in pairCounts)
        {
            heap.Enqueue(pair, new Candidate(count, pair));
        }

        var merges = new List<(string, string)>();
        var deltas = new Dictionary<long, long>();
        while (tokens.Count < vocabSize && heap.TryDequeue(out long best, out Candidate candidate))
        {
            long current = pairCounts.GetValueOrDefault(best);
            if (current != candidate.Count)
            {
                if (current > 0 && current < candidate.Count)
                {
                    heap.Enqueue(best, new Candidate(current, best));
                }
                continue;
            }
            if (current < Math.Max(minFrequency, 1))
            {
                break;
            }
            int left = (int)(best >> 32), right = (int)best;
            string merged = tokens[left] + tokens[right];
            if (merged.Length > MaxTokenLength)
            {
                continue;
            }
            if (!ids.TryGetValue(merged, out int mergedId))
            {
                mergedId = tokens.Count;
                ids.Add(merged, mergedId);
                tokens.Add(merged);
            }
            merges.Add((tokens[left], tokens[right]));

            deltas.Clear();
            foreach (int w in where[best])
            {
                int[] word = words[w];
                long count = wordCounts[w];
                int n = lengths[w];
                for (int k = 0; k + 1 < n; k++)
                {
                    long pair = Pair(word[k], word[k + 1]);
                    deltas[pair] = deltas.GetValueOrDefault(pair) - count;
                }
                int written = 0;
                for (int k = 0; k < n;)
                {
                    if (k + 1 < n && word[k] == left && word[k + 1] == right)
                    {
                        word[written++] = mergedId;
                        k += 2;
                    }
                    else
                    {
                        word[written++] = word[k++];
                    }
                }
                lengths[w] = written;
                for (int k = 0; k + 1 < written; k++)
                {
                    long pair = Pair(word[k], word[k + 1]);
                    deltas[pair] = deltas.GetValueOrDefault(pair) + count;
                    if (pair != best)
                    {
                        Where(where, pair).Add(w);
                    }
                }
            }
            where.Remove(best);
            foreach (var (pair, delta) in deltas)
            {
                if (delta == 0)
                {
                    continue;
                }
                long updated = pairCounts.GetValueOrDefault(pair) + delta;
                if (updated > 0)
                {
                    pairCounts[pair] = updated;
                }
                else
                {
                    pairCounts.Remove(pair);
                }
                if (delta > 0)
                {
                    heap.Enqueue(pair, new Candidate(updated, pair));
                }
            }
        }

        var vocabulary = new Dictionary<string, int>(ids, StringComparer.Ordinal);
        var added = specials.Select(s => new AddedToken(s, ids[s]));
        return new ByteLevelBpeTokenizer(vocabulary, merges, added);
    }

    private static (int[][] Words, long[] Counts) CountWords(IEnumerable<string> texts, string[] specials, int[] byteIds)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (string text in texts)
        {
            ArgumentNullException.ThrowIfNull(text);
            int position = 0;
            while (position < text.Length)
            {
                int end = text.Length, skip = 0;
                foreach (string special in specials)
                {
                    int at = text.IndexOf(special, position, StringComparison.Ordinal);
                    if (at >= 0 && (at < end || (at == end && special.Length > skip)))
                    {
                        end = at;
                        skip = special.Length;
                    }
                }
                ReadOnlySpan<char> segment = text.AsSpan(position, end - position);
                for (int start = 0; start < segment.Length;)
                {
                    int length = Gpt2PreTokenizer.NextPieceLength(segment, start);
                    ReadOnlySpan<char> piece = segment.Slice(start, length);
                    lookup[piece] = lookup.TryGetValue(piece, out long count) ? count + 1 : 1;
                    start += length;
                }
                position = end + skip;
            }
        }

        var words = new int[counts.Count][];
        var wordCounts = new long[counts.Count];
        int w = 0;
        foreach (var (piece, count) in counts)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(piece);
            var symbols = new int[bytes.Length];
            for (int i = 0; i < bytes.Length; i++)
            {
                symbols[i] = byteIds[bytes[i]];
            }
            words[w] = symbols;
            wordCounts[w++] = count;
        }
        return (words, wordCounts);
    }

    private static HashSet<int> Where(Dictionary<long, HashSet<int>> where, long pair)
    {
        if (!where.TryGetValue(pair, out var set))
        {
            set = [];
            where[pair] = set;
        }
        return set;
    }

    private static long Pair(int left, int right) => ((long)left << 32) | (uint)right;

    private readonly record struct Candidate(long Count, long Pair);

    /// <summary>Most frequent first; among equal counts the ordinally smallest (left, right) spelling.</summary>
    private sealed class CandidateOrder(List<string> tokens) : IComparer<Candidate>
    {
        public int Compare(Candidate x, Candidate y)
        {
            int byCount = y.Count.CompareTo(x.Count);
            if (byCount != 0 || x.Pair == y.Pair)
            {
                return byCount;
            }
            int byLeft = string.CompareOrdinal(tokens[(int)(x.Pair >> 32)], tokens[(int)(y.Pair >> 32)]);
            return byLeft != 0 ? byLeft : string.CompareOrdinal(tokens[(int)x.Pair], tokens[(int)y.Pair]);
        }
    }
}
