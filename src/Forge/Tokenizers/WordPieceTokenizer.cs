using System.Text;

namespace Forge.Tokenizers;

/// <summary>The tokens BERT gives roles to. A null role is absent (without <see cref="Cls"/> and <see cref="Sep"/> no special tokens are added).</summary>
/// <param name="Unknown">Stands for a word the vocabulary cannot spell.</param>
/// <param name="Cls">Starts every encoded text.</param>
/// <param name="Sep">Ends each sequence.</param>
/// <param name="Pad">Fills padding.</param>
/// <param name="Mask">Hides a token for masked language modelling.</param>
public sealed record BertSpecialTokens(string Unknown = "[UNK]", string? Cls = "[CLS]", string? Sep = "[SEP]", string? Pad = "[PAD]", string? Mask = "[MASK]");

/// <summary>
/// BERT's WordPiece tokenizer, identical to Hugging Face's <c>BertTokenizer</c>: added tokens such as <c>[MASK]</c> are matched whole
/// (case-sensitively, in the raw text), the rest is normalized (<see cref="BertNormalizerOptions"/>), split on whitespace and
/// punctuation, and each word is cut greedily into the longest vocabulary pieces from its start, continuations spelled with
/// <c>##</c>. A word with no spelling, or longer than <see cref="MaxInputCharsPerWord"/>, becomes the unknown token.
/// Encoding wraps the text as <c>[CLS] text [SEP]</c> (pairs as <c>[CLS] a [SEP] b [SEP]</c>). Safe to use from several threads at once.
/// </summary>
public sealed partial class WordPieceTokenizer : ITokenizer
{
    private readonly Dictionary<string, int> vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabularyLookup;
    private readonly string?[] idToToken;
    private readonly AddedToken[] rawAdded;
    private readonly AddedToken[] normalizedAdded;
    private readonly AddedToken[] addedTokens;
    private readonly Dictionary<int, AddedToken> addedById = [];
    private readonly Dictionary<string, int> specialTokens = new(StringComparer.Ordinal);
    private readonly int unknownId;
    private readonly int? clsId;
    private readonly int? sepId;
    private readonly int? padId;

    /// <summary>Builds a tokenizer from a vocabulary (token spelling to id).</summary>
    /// <param name="vocabulary">Every WordPiece token; continuation pieces start with <paramref name="continuingSubwordPrefix"/>.</param>
    /// <param name="normalizer">How text is normalized; by default BERT uncased (lowercase, strip accents, space CJK ideographs).</param>
    /// <param name="roles">The special tokens BERT uses; by default <c>[UNK] [CLS] [SEP] [PAD] [MASK]</c>.</param>
    /// <param name="addedTokens">Tokens matched whole in text before splitting; by default the role tokens found in the vocabulary, as special tokens.</param>
    /// <param name="continuingSubwordPrefix">The prefix of pieces that continue a word.</param>
    /// <param name="maxInputCharsPerWord">Longer words (in Unicode characters) become the unknown token.</param>
    public WordPieceTokenizer(
        IReadOnlyDictionary<string, int> vocabulary,
        BertNormalizerOptions? normalizer = null,
        BertSpecialTokens? roles = null,
        IEnumerable<AddedToken>? addedTokens = null,
        string continuingSubwordPrefix = "##",
        int maxInputCharsPerWord = 100)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(continuingSubwordPrefix);
        if (maxInputCharsPerWord <= 0)
        {
            throw new ForgeException($"maxInputCharsPerWord must be positive, found {maxInputCharsPerWord}.");
        }
        this.vocabulary = new Dictionary<string, int>(vocabulary, StringComparer.Ordinal);
        vocabularyLookup = this.vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        Normalizer = normalizer ?? new BertNormalizerOptions();
        Roles = roles ?? new BertSpecialTokens();
        ContinuingSubwordPrefix = continuingSubwordPrefix;
        MaxInputCharsPerWord = maxInputCharsPerWord;

        this.addedTokens = addedTokens is null
            ? [.. RoleTokens(Roles).Where(this.vocabulary.ContainsKey).Distinct(StringComparer.Ordinal)
                .Select(t => new AddedToken(t, this.vocabulary[t])).OrderBy(t => t.Id)]
            : [.. addedTokens];

        int maxId = -1;
        foreach (var (token, id) in this.vocabulary)
        {
            if (id < 0)
            {
                throw new ForgeException($"Vocabulary ids must be non-negative; token '{token}' has id {id}.");
            }
            maxId = Math.Max(maxId, id);
        }
        foreach (var added in this.addedTokens)
        {
            if (added.Id < 0 || added.Content.Length == 0)
            {
                throw new ForgeException($"Added tokens need non-empty content and a non-negative id; found '{added.Content}' with id {added.Id}.");
            }
            maxId = Math.Max(maxId, added.Id);
        }
        idToToken = new string?[maxId + 1];
        foreach (var (token, id) in this.vocabulary)
        {
            if (idToToken[id] is { } other)
            {
                throw new ForgeException($"Vocabulary ids must be unique; tokens '{other}' and '{token}' both have id {id}.");
            }
            idToToken[id] = token;
        }
        foreach (var added in this.addedTokens)
        {
            if (idToToken[added.Id] is { } other && other != added.Content)
            {
                throw new ForgeException($"Added token '{added.Content}' has id {added.Id}, which the vocabulary gives to '{other}'.");
            }
            idToToken[added.Id] = added.Content;
            addedById[added.Id] = added;
            if (added.Special)
            {
                specialTokens[added.Content] = added.Id;
            }
        }
        rawAdded = [.. this.addedTokens.Where(t => !t.Normalized)];
        normalizedAdded = [.. this.addedTokens.Where(t => t.Normalized)];

        unknownId = RequiredRole(Roles.Unknown, "unknown");
        clsId = Roles.Cls is null ? null : RequiredRole(Roles.Cls, "CLS");
        sepId = Roles.Sep is null ? null : RequiredRole(Roles.Sep, "SEP");
        padId = Roles.Pad is null ? null : TokenToId(Roles.Pad);
        if ((clsId is null) != (sepId is null))
        {
            throw new ForgeException($"BERT's template needs both a CLS and a SEP token, or neither; found CLS '{Roles.Cls}' and SEP '{Roles.Sep}'.");
        }
    }

    /// <inheritdoc />
    public int VocabularySize => idToToken.Length;

    /// <summary>The WordPiece vocabulary: token spelling to id (added tokens outside it are in <see cref="AddedTokens"/>).</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => vocabulary;

    /// <summary>The tokens matched whole in text before splitting.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => addedTokens;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, int> SpecialTokens => specialTokens;

    /// <summary>How text is normalized.</summary>
    public BertNormalizerOptions Normalizer { get; }

    /// <summary>The special tokens BERT gives roles to.</summary>
    public BertSpecialTokens Roles { get; }

    /// <summary>The prefix of pieces that continue a word (<c>##</c>).</summary>
    public string ContinuingSubwordPrefix { get; }

    /// <summary>Words longer than this many Unicode characters become the unknown token.</summary>
    public int MaxInputCharsPerWord { get; }

    /// <summary>The longest input the model takes (<c>model_max_length</c>), used by truncation without a max length; null when unknown.</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary>Decoding removes the space before <c>. , ! ?</c> (the WordPiece decoder's <c>cleanup</c>).</summary>
    public bool CleanUpTokenizationSpaces { get; init; } = true;

    /// <summary>The id of the padding token, or null when there is none.</summary>
    public int? PadTokenId => padId;

    /// <summary>The id of the unknown token.</summary>
    public int UnknownTokenId => unknownId;

    /// <summary>The id of the mask token, or null when there is none.</summary>
    public int? MaskTokenId => Roles.Mask is null ? null : TokenToId(Roles.Mask);

    /// <summary>The id of the CLS token, or null when encoding adds no special tokens.</summary>
    public int? ClsTokenId => clsId;

    /// <summary>The id of the SEP token, or null when encoding adds no special tokens.</summary>
    public int? SepTokenId => sepId;

    /// <inheritdoc />
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (vocabulary.TryGetValue(token, out int id))
        {
            return id;
        }
        return Array.Find(addedTokens, t => t.Content == token)?.Id;
    }

    /// <inheritdoc />
    public string? IdToToken(int id) => (uint)id < (uint)idToToken.Length ? idToToken[id] : null;

    IReadOnlyList<int> ITokenizer.Encode(string text) => Encode(text);

    /// <summary>The token ids of a text with BERT's special tokens, as Hugging Face's <c>tokenizer(text)["input_ids"]</c>.</summary>
    public int[] Encode(string text) => Encode(text, null).InputIds;

    /// <summary>The token ids of a text pair, <c>[CLS] a [SEP] b [SEP]</c>, as Hugging Face's <c>tokenizer(text, text_pair)["input_ids"]</c>.</summary>
    public int[] EncodePair(string text, string textPair)
    {
        ArgumentNullException.ThrowIfNull(textPair);
        return Encode(text, textPair).InputIds;
    }

    /// <summary>Encodes a text or a text pair with truncation and padding, as Hugging Face's <c>tokenizer(text, text_pair, ...)</c>.</summary>
    /// <param name="text">The first text.</param>
    /// <param name="textPair">The second text, or null.</param>
    /// <param name="options">Special tokens, truncation and padding; by default special tokens are added and nothing is cut or padded.</param>
    public EncodedText Encode(string text, string? textPair, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= new EncodeOptions();
        List<Piece> first = EncodeSequence(text);
        List<Piece>? second = textPair is null ? null : EncodeSequence(textPair);
        bool addSpecial = options.AddSpecialTokens && clsId is not null;
        if (options.Truncation != TruncationStrategy.None)
        {
            int maxLength = options.MaxLength ?? ModelMaxLength
                ?? throw new ForgeException($"Truncation {options.Truncation} needs a MaxLength (the tokenizer has no model maximum length).");
            int added = addSpecial ? (second is null ? 2 : 3) : 0;
            if (maxLength < added)
            {
                throw new ForgeException($"MaxLength {maxLength} leaves no room for the {added} special tokens.");
            }
            Truncate(first, second, maxLength - added, options.Truncation);
        }

        var tokens = new List<Piece>(first.Count + (second?.Count ?? 0) + 3);
        var types = new List<int>(tokens.Capacity);
        if (addSpecial)
        {
            Add(new Piece(clsId!.Value, 0, 0), 0);
        }
        first.ForEach(p => Add(p, 0));
        if (addSpecial)
        {
            Add(new Piece(sepId!.Value, 0, 0), 0);
        }
        if (second is not null)
        {
            second.ForEach(p => Add(p, 1));
            if (addSpecial)
            {
                Add(new Piece(sepId!.Value, 0, 0), 1);
            }
        }

        int target = tokens.Count;
        if (options.Padding == PaddingStrategy.MaxLength)
        {
            target = Math.Max(target, options.MaxLength ?? ModelMaxLength
                ?? throw new ForgeException("PaddingStrategy.MaxLength needs a MaxLength (the tokenizer has no model maximum length)."));
        }
        return Build(tokens, types, target, options.PaddingSide);

        void Add(Piece piece, int type)
        {
            tokens.Add(piece);
            types.Add(type);
        }
    }

    /// <summary>The word pieces of a text, without the special tokens encoding adds (Hugging Face's <c>tokenizer.tokenize(text)</c>).</summary>
    public string[] Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return [.. EncodeSequence(text).Select(p => idToToken[p.Id]!)];
    }

    /// <summary>Encodes several texts (or text pairs) in parallel with common truncation and padding options, as Hugging Face's
    /// <c>tokenizer(texts, text_pairs, padding=..., truncation=..., max_length=...)</c>.</summary>
    /// <param name="texts">The first texts.</param>
    /// <param name="options">Special tokens, truncation and padding.</param>
    /// <param name="textPairs">The second texts, one per first text, or null.</param>
    public BatchEncoding EncodeBatch(IReadOnlyList<string> texts, EncodeOptions? options = null, IReadOnlyList<string>? textPairs = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (textPairs is not null && textPairs.Count != texts.Count)
        {
            throw new ForgeException($"Expected one text pair per text ({texts.Count}), found {textPairs.Count}.");
        }
        options ??= new EncodeOptions();
        var rowOptions = options.Padding == PaddingStrategy.Longest ? options with { Padding = PaddingStrategy.None } : options;
        var rows = new EncodedText[texts.Count];
        Parallel.For(0, texts.Count, i => rows[i] = Encode(texts[i], textPairs?[i], rowOptions));
        if (options.Padding == PaddingStrategy.Longest && rows.Length > 0)
        {
            int longest = rows.Max(r => r.Length);
            for (int i = 0; i < rows.Length; i++)
            {
                rows[i] = Pad(rows[i], longest, options.PaddingSide);
            }
        }
        return new BatchEncoding([.. rows.Select(r => r.InputIds)], [.. rows.Select(r => r.AttentionMask)])
        {
            TokenTypeIds = [.. rows.Select(r => r.TokenTypeIds)],
        };
    }

    /// <summary>Decodes ids into text, keeping special tokens.</summary>
    public string Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: false);

    /// <summary>Decodes ids as Hugging Face's WordPiece decoder: tokens joined by spaces, <c>##</c> pieces glued to the one before, and
    /// (with <see cref="CleanUpTokenizationSpaces"/>) no space before <c>. , ! ?</c>.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave special tokens out of the text.</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        bool first = true;
        foreach (int id in ids)
        {
            if (skipSpecialTokens && addedById.TryGetValue(id, out var added) && added.Special)
            {
                continue;
            }
            string token = IdToToken(id)
                ?? throw new ForgeException($"Token id {id} is not in the vocabulary (ids 0 to {VocabularySize - 1}).");
            if (!first)
            {
                token = token.StartsWith(ContinuingSubwordPrefix, StringComparison.Ordinal)
                    ? token[ContinuingSubwordPrefix.Length..]
                    : " " + token;
            }
            text.Append(CleanUpTokenizationSpaces ? CleanUp(token) : token);
            first = false;
        }
        return text.ToString();
    }

    /// <summary>The WordPiece decoder's per-token cleanup.</summary>
    private static string CleanUp(string token) => token
        .Replace(" .", ".", StringComparison.Ordinal)
        .Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal)
        .Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal)
        .Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal)
        .Replace(" do not", " don't", StringComparison.Ordinal)
        .Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);

    private static IEnumerable<string> RoleTokens(BertSpecialTokens roles) =>
        new[] { roles.Pad, roles.Unknown, roles.Cls, roles.Sep, roles.Mask }.OfType<string>();

    private int RequiredRole(string token, string role) =>
        TokenToId(token) ?? throw new ForgeException($"The {role} token '{token}' is not in the vocabulary.");

    /// <summary>Hugging Face's truncation of one or two sequences to <paramref name="maxLength"/> tokens in all (special tokens excluded).</summary>
    private static void Truncate(List<Piece> first, List<Piece>? second, int maxLength, TruncationStrategy strategy)
    {
        int total = first.Count + (second?.Count ?? 0);
        if (total <= maxLength)
        {
            return;
        }
        int toRemove = total - maxLength;
        switch (strategy)
        {
            case TruncationStrategy.LongestFirst when second is not null:
                int n1 = first.Count, n2 = second.Count;
                bool swap = n1 > n2;
                if (swap)
                {
                    (n1, n2) = (n2, n1);
                }
                n2 = n1 > maxLength ? n1 : Math.Max(n1, maxLength - n1);
                if (n1 + n2 > maxLength)
                {
                    n1 = maxLength / 2;
                    n2 = n1 + maxLength % 2;
                }
                if (swap)
                {
                    (n1, n2) = (n2, n1);
                }
                Cut(first, n1);
                Cut(second, n2);
                break;
            case TruncationStrategy.LongestFirst:
                Cut(first, maxLength);
                break;
            default:
                List<Piece> target = strategy == TruncationStrategy.OnlyFirst ? first
                    : second ?? throw new ForgeException("Truncation OnlySecond needs a second text.");
                if (target.Count <= toRemove)
                {
                    throw new ForgeException(
                        $"Truncation {strategy} cannot reach {maxLength} tokens (special tokens excluded): the sequence it may cut has {target.Count} tokens and {toRemove} must go.");
                }
                Cut(target, target.Count - toRemove);
                break;
        }
    }

    private static void Cut(List<Piece> pieces, int length)
    {
        if (pieces.Count > length)
        {
            pieces.RemoveRange(length, pieces.Count - length);
        }
    }

    private EncodedText Build(List<Piece> pieces, List<int> types, int length, PaddingSide side)
    {
        var row = new EncodedText(
            [.. pieces.Select(p => idToToken[p.Id]!)],
            [.. pieces.Select(p => p.Id)],
            [.. types],
            [.. pieces.Select(_ => 1)],
            [.. pieces.Select(p => (p.Start, p.End))]);
        return Pad(row, length, side);
    }

    private EncodedText Pad(EncodedText row, int length, PaddingSide side)
    {
        int missing = length - row.Length;
        if (missing <= 0)
        {
            return row;
        }
        int pad = padId ?? throw new ForgeException("Padding needs a pad token, and this tokenizer has none.");
        string padToken = idToToken[pad]!;
        return new EncodedText(
            Padded(row.Tokens, padToken),
            Padded(row.InputIds, pad),
            Padded(row.TokenTypeIds, 0),
            Padded(row.AttentionMask, 0),
            Padded(row.Offsets, (0, 0)));

        T[] Padded<T>(T[] values, T fill)
        {
            var result = new T[length];
            Array.Fill(result, fill);
            values.CopyTo(result, side == PaddingSide.Left ? missing : 0);
            return result;
        }
    }

    /// <summary>One sequence's pieces: added tokens matched in the raw text, then in the normalized text, then WordPiece over each word.</summary>
    private List<Piece> EncodeSequence(string text)
    {
        var pieces = new List<Piece>(text.Length / 4 + 4);
        int position = 0;
        while (position < text.Length)
        {
            int found = FindAddedToken(rawAdded, text, position, out int at);
            if (found < 0)
            {
                break;
            }
            EncodeNormalized(text, position, at, pieces);
            pieces.Add(new Piece(rawAdded[found].Id, at, at + rawAdded[found].Content.Length));
            position = at + rawAdded[found].Content.Length;
        }
        EncodeNormalized(text, position, text.Length, pieces);
        return pieces;
    }

    private void EncodeNormalized(string text, int start, int end, List<Piece> pieces)
    {
        if (start >= end)
        {
            return;
        }
        NormalizedText normalized = BertPreTokenizer.Normalize(text, start, end, Normalizer);
        string n = normalized.Text.ToString();
        int position = 0;
        while (position < n.Length)
        {
            int found = FindAddedToken(normalizedAdded, n, position, out int at);
            if (found < 0)
            {
                break;
            }
            EncodeWords(n, position, at, normalized, pieces);
            int last = at + normalizedAdded[found].Content.Length - 1;
            pieces.Add(new Piece(normalizedAdded[found].Id, normalized.Starts[at], normalized.Ends[last]));
            position = last + 1;
        }
        EncodeWords(n, position, n.Length, normalized, pieces);
    }

    private void EncodeWords(string n, int start, int end, NormalizedText map, List<Piece> pieces)
    {
        foreach (var (wordStart, wordEnd) in BertPreTokenizer.Split(n.AsSpan(start, end - start)))
        {
            WordPiece(n, start + wordStart, start + wordEnd, map, pieces);
        }
    }

    /// <summary>Greedy longest-match-first: the longest vocabulary piece from the start of the word, then from where it ended, with the prefix.</summary>
    private void WordPiece(string n, int start, int end, NormalizedText map, List<Piece> pieces)
    {
        ReadOnlySpan<char> word = n.AsSpan(start, end - start);
        int characters = 0;
        foreach (Rune _ in word.EnumerateRunes())
        {
            characters++;
        }
        var unknown = new Piece(unknownId, map.Starts[start], map.Ends[end - 1]);
        if (characters > MaxInputCharsPerWord)
        {
            pieces.Add(unknown);
            return;
        }
        int count = pieces.Count;
        for (int from = start; from < end;)
        {
            int to = end, id = -1;
            while (from < to)
            {
                bool found = from == start
                    ? vocabularyLookup.TryGetValue(n.AsSpan(from, to - from), out id)
                    : TryContinuation(n, from, to, out id);
                if (found)
                {
                    break;
                }
                to -= to - from >= 2 && char.IsLowSurrogate(n[to - 1]) && char.IsHighSurrogate(n[to - 2]) ? 2 : 1;
            }
            if (from == to)
            {
                pieces.RemoveRange(count, pieces.Count - count);
                pieces.Add(unknown);
                return;
            }
            pieces.Add(new Piece(id, map.Starts[from], map.Ends[to - 1]));
            from = to;
        }
    }

    private bool TryContinuation(string n, int from, int to, out int id)
    {
        int length = ContinuingSubwordPrefix.Length + to - from;
        Span<char> buffer = length <= 256 ? stackalloc char[length] : new char[length];
        ContinuingSubwordPrefix.CopyTo(buffer);
        n.AsSpan(from, to - from).CopyTo(buffer[ContinuingSubwordPrefix.Length..]);
        return vocabularyLookup.TryGetValue(buffer, out id);
    }

    /// <summary>The index of the added token that occurs first at or after <paramref name="start"/> (the longest on a tie), or -1.</summary>
    private static int FindAddedToken(AddedToken[] tokens, string text, int start, out int foundAt)
    {
        int best = -1;
        foundAt = int.MaxValue;
        for (int k = 0; k < tokens.Length; k++)
        {
            int at = text.IndexOf(tokens[k].Content, start, StringComparison.Ordinal);
            if (at >= 0 && (at < foundAt || (at == foundAt && tokens[k].Content.Length > tokens[best].Content.Length)))
            {
                best = k;
                foundAt = at;
            }
        }
        return best;
    }

    /// <summary>A token id with its [Start, End) range in the original text.</summary>
    private readonly record struct Piece(int Id, int Start, int End);
}
