namespace Forge.Tokenizers;

/// <summary>
/// Learns a WordPiece vocabulary from a corpus as Hugging Face's <c>WordPieceTrainer</c> does: texts are normalized and split as BERT
/// does, each word starts as its characters (all but the first spelled with the <c>##</c> prefix), and the most frequent adjacent pair
/// (ties broken by the ordinally smallest left token, then right token) is merged, BPE-style, until the vocabulary is full or no pair
/// occurs <see cref="MinFrequency"/> times. The vocabulary is the special tokens, the alphabet, then the merged tokens in order.
/// </summary>
public sealed class WordPieceTrainer
{
    /// <summary>The vocabulary size to reach, special tokens and alphabet included.</summary>
    public int VocabSize { get; init; } = 30000;

    /// <summary>The fewest occurrences a pair needs to be merged.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>The special tokens, given the first ids; must hold the unknown token of <see cref="Roles"/>.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>Characters that join the alphabet even when the corpus lacks them.</summary>
    public IReadOnlyList<char> InitialAlphabet { get; init; } = [];

    /// <summary>The prefix of pieces that continue a word.</summary>
    public string ContinuingSubwordPrefix { get; init; } = "##";

    /// <summary>How texts are normalized before counting, and how the trained tokenizer normalizes.</summary>
    public BertNormalizerOptions Normalizer { get; init; } = new();

    /// <summary>The roles of the special tokens in the trained tokenizer; roles whose token is not among <see cref="SpecialTokens"/> are dropped.</summary>
    public BertSpecialTokens Roles { get; init; } = new();

    /// <summary>Trains a tokenizer on <paramref name="texts"/>; special tokens written in them are left out of the counts.</summary>
    public WordPieceTokenizer Train(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        string[] specials = [.. SpecialTokens];
        if (specials.Any(string.IsNullOrEmpty) || specials.Distinct(StringComparer.Ordinal).Count() != specials.Length)
        {
            throw new ForgeException($"Special tokens must be non-empty and distinct, found [{string.Join(", ", specials)}].");
        }
        if (!specials.Contains(Roles.Unknown))
        {
            throw new ForgeException($"The special tokens must hold the unknown token '{Roles.Unknown}', found [{string.Join(", ", specials)}].");
        }
        if (MinFrequency < 0)
        {
            throw new ForgeException($"MinFrequency must be non-negative, found {MinFrequency}.");
        }

        Dictionary<string, long> wordCounts = CountWords(texts, specials);
        var tokens = new List<string>(specials);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            ids[tokens[i]] = i;
        }
        int Id(string token)
        {
            if (!ids.TryGetValue(token, out int id))
            {
                id = tokens.Count;
                ids.Add(token, id);
                tokens.Add(token);
            }
            return id;
        }

        var alphabet = new SortedSet<string>(InitialAlphabet.Select(c => c.ToString()), StringComparer.Ordinal);
        var continuations = new SortedSet<string>(StringComparer.Ordinal);
        var spelled = new List<string[]>(wordCounts.Count);
        foreach (string word in wordCounts.Keys)
        {
            string[] characters = [.. word.EnumerateRunes().Select(r => r.ToString())];
            alphabet.UnionWith(characters);
            for (int k = 1; k < characters.Length; k++)
            {
                characters[k] = ContinuingSubwordPrefix + characters[k];
                continuations.Add(characters[k]);
            }
            spelled.Add(characters);
        }
        foreach (string symbol in alphabet.Concat(continuations))
        {
            Id(symbol);
        }
        if (VocabSize < tokens.Count)
        {
            throw new ForgeException($"VocabSize must be at least {tokens.Count} (the special tokens and the alphabet of the corpus), found {VocabSize}.");
        }

        var words = spelled.Select(w => w.Select(Id).ToList()).ToArray();
        long[] counts = [.. wordCounts.Values];
        var pairCounts = new Dictionary<(int, int), long>();
        var where = new Dictionary<(int, int), HashSet<int>>();
        for (int w = 0; w < words.Length; w++)
        {
            AddPairs(w, +1);
        }

        while (tokens.Count < VocabSize && pairCounts.Count > 0)
        {
            var best = pairCounts.Aggregate((x, y) => Better(x, y) ? x : y);
            if (best.Value < Math.Max(MinFrequency, 1))
            {
                break;
            }
            var (left, right) = best.Key;
            string rightPart = tokens[right].StartsWith(ContinuingSubwordPrefix, StringComparison.Ordinal)
                ? tokens[right][ContinuingSubwordPrefix.Length..]
                : tokens[right];
            int merged = Id(tokens[left] + rightPart);
            foreach (int w in where[best.Key].ToArray())
            {
                AddPairs(w, -1);
                List<int> word = words[w];
                for (int k = 0; k + 1 < word.Count; k++)
                {
                    if (word[k] == left && word[k + 1] == right)
                    {
                        word[k] = merged;
                        word.RemoveAt(k + 1);
                    }
                }
                AddPairs(w, +1);
            }
        }

        var roles = new BertSpecialTokens(
            Roles.Unknown,
            Roles.Cls is not null && Roles.Sep is not null && ids.ContainsKey(Roles.Cls) && ids.ContainsKey(Roles.Sep) ? Roles.Cls : null,
            Roles.Cls is not null && Roles.Sep is not null && ids.ContainsKey(Roles.Cls) && ids.ContainsKey(Roles.Sep) ? Roles.Sep : null,
            Roles.Pad is not null && specials.Contains(Roles.Pad) ? Roles.Pad : null,
            Roles.Mask is not null && specials.Contains(Roles.Mask) ? Roles.Mask : null);
        return new WordPieceTokenizer(
            ids, Normalizer, roles, specials.Select(s => new AddedToken(s, ids[s])), ContinuingSubwordPrefix);

        void AddPairs(int w, int sign)
        {
            List<int> word = words[w];
            for (int k = 0; k + 1 < word.Count; k++)
            {
                var pair = (word[k], word[k + 1]);
                long updated = pairCounts.GetValueOrDefault(pair) + sign * counts[w];
                if (updated > 0)
                {
                    pairCounts[pair] = updated;
                    if (!where.TryGetValue(pair, out var set))
                    {
                        where[pair] = set = [];
                    }
                    set.Add(w);
                }
                else
                {
                    pairCounts.Remove(pair);
                    where.Remove(pair);
                }
            }
        }

        bool Better(KeyValuePair<(int, int), long> x, KeyValuePair<(int, int), long> y)
        {
            if (x.Value != y.Value)
            {
                return x.Value > y.Value;
            }
            int byLeft = string.CompareOrdinal(tokens[x.Key.Item1], tokens[y.Key.Item1]);
            return byLeft != 0 ? byLeft < 0 : string.CompareOrdinal(tokens[x.Key.Item2], tokens[y.Key.Item2]) < 0;
        }
    }

    private Dictionary<string, long> CountWords(IEnumerable<string> texts, string[] specials)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
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
                string normalized = BertPreTokenizer.Normalize(text, position, end, Normalizer).Text.ToString();
                foreach (var (start, wordEnd) in BertPreTokenizer.Split(normalized))
                {
                    string word = normalized[start..wordEnd];
                    counts[word] = counts.GetValueOrDefault(word) + 1;
                }
                position = end + skip;
            }
        }
        return counts;
    }
}
