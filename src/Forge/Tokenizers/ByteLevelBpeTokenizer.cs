using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Forge.Tokenizers;

/// <summary>
/// GPT-2's byte-level BPE tokenizer: text is split with GPT-2's pre-tokenization pattern, each piece is spelled as UTF-8 bytes
/// (one printable character per byte, see <see cref="ByteLevel"/>), and adjacent symbols are merged by merge rank until no
/// ranked pair is left. Added tokens such as <c>&lt;|endoftext|&gt;</c> are matched whole in the text first.
/// Safe to use from several threads at once.
/// </summary>
public sealed partial class ByteLevelBpeTokenizer : ITokenizer
{
    private const int CacheCapacity = 1 << 17;
    private const int StackLimit = 256;

    private readonly Dictionary<string, int> vocabulary;
    private readonly (string Left, string Right)[] merges;
    private readonly string?[] idToToken;
    private readonly Dictionary<long, int> mergeRanks;
    private readonly int[] mergeLeft;
    private readonly int[] mergeRight;
    private readonly int[] mergeResult;
    private readonly int[] byteIds = new int[256];
    private readonly AddedToken[] addedTokens;
    private readonly Dictionary<int, AddedToken> addedById = [];
    private readonly Dictionary<string, int> specialTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> cacheLookup;

    /// <summary>Builds a tokenizer from a vocabulary (token spelling to id), merges in rank order, and added tokens.</summary>
    /// <param name="vocabulary">Every token of the model, spelled with <see cref="ByteLevel"/> characters; it must hold all 256 byte characters.</param>
    /// <param name="merges">Merge rules, highest priority first; each side and their concatenation must be in the vocabulary.</param>
    /// <param name="addedTokens">Tokens matched whole in text before splitting (their ids may lie outside the vocabulary).</param>
    /// <param name="addPrefixSpace">Prepend a space to text that does not start with one (Hugging Face's <c>add_prefix_space</c>).</param>
    public ByteLevelBpeTokenizer(
        IReadOnlyDictionary<string, int> vocabulary,
        IReadOnlyList<(string Left, string Right)> merges,
        IEnumerable<AddedToken>? addedTokens = null,
        bool addPrefixSpace = false)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(merges);
        this.vocabulary = new Dictionary<string, int>(vocabulary, StringComparer.Ordinal);
        this.merges = [.. merges];
        this.addedTokens = addedTokens is null ? [] : [.. addedTokens];
        AddPrefixSpace = addPrefixSpace;

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

        for (int b = 0; b < 256; b++)
        {
            char symbol = ByteLevel.ByteToChar((byte)b);
            if (!this.vocabulary.TryGetValue(symbol.ToString(), out byteIds[b]))
            {
                throw new ForgeException($"A byte-level vocabulary must hold all 256 byte symbols; '{symbol}' (byte 0x{b:X2}) is missing.");
            }
        }

        mergeRanks = new Dictionary<long, int>(this.merges.Length);
        mergeLeft = new int[this.merges.Length];
        mergeRight = new int[this.merges.Length];
        mergeResult = new int[this.merges.Length];
        for (int rank = 0; rank < this.merges.Length; rank++)
        {
            var (left, right) = this.merges[rank];
            mergeLeft[rank] = IdOfMergePart(left, rank);
            mergeRight[rank] = IdOfMergePart(right, rank);
            mergeResult[rank] = IdOfMergePart(left + right, rank);
            // A repeated pair keeps its last rank, as GPT-2's dict(zip(merges, range(...))) does.
            mergeRanks[PairKey(mergeLeft[rank], mergeRight[rank])] = rank;
        }

        cacheLookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <inheritdoc />
    public int VocabularySize => idToToken.Length;

    /// <summary>The model's vocabulary: token spelling to id (added tokens outside it are in <see cref="AddedTokens"/>).</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => vocabulary;

    /// <summary>The merge rules, highest priority first.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges => merges;

    /// <summary>The tokens matched whole in text before splitting.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => addedTokens;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, int> SpecialTokens => specialTokens;

    /// <summary>True when a space is prepended to text that does not start with one.</summary>
    public bool AddPrefixSpace { get; }

    /// <summary>The id of <c>&lt;|endoftext|&gt;</c> when it is a special token, otherwise of the first special token, otherwise null.</summary>
    public int? EndOfTextId =>
        specialTokens.TryGetValue("<|endoftext|>", out int id) ? id
        : addedTokens.FirstOrDefault(t => t.Special)?.Id;

    /// <inheritdoc />
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (vocabulary.TryGetValue(token, out int id))
        {
            return id;
        }
        foreach (var added in addedTokens)
        {
            if (added.Content == token)
            {
                return added.Id;
            }
        }
        return null;
    }

    /// <inheritdoc />
    public string? IdToToken(int id) => (uint)id < (uint)idToToken.Length ? idToToken[id] : null;

    IReadOnlyList<int> ITokenizer.Encode(string text) => Encode(text);

    /// <summary>Encodes text into token ids.</summary>
    /// <param name="text">The text.</param>
    /// <param name="parseSpecialTokens">When true (the default, as Hugging Face's <c>tokenizer(text)</c>), added tokens written in the
    /// text become their ids; when false they are encoded as ordinary text.</param>
    public int[] Encode(string text, bool parseSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 4);
        int position = 0;
        if (parseSpecialTokens && addedTokens.Length > 0)
        {
            var nextAt = new int[addedTokens.Length];
            Array.Fill(nextAt, -2);
            while (position < text.Length)
            {
                int found = FindAddedToken(text, position, nextAt, out int foundAt);
                if (found < 0)
                {
                    break;
                }
                EncodeOrdinary(text.AsSpan(position, foundAt - position), output);
                output.Add(addedTokens[found].Id);
                position = foundAt + addedTokens[found].Content.Length;
            }
        }
        EncodeOrdinary(text.AsSpan(position), output);
        return [.. output];
    }

    /// <summary>Decodes ids into text, keeping special tokens. Byte sequences that are not valid UTF-8 become U+FFFD, as Python's <c>errors="replace"</c>.</summary>
    public string Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: false);

    /// <summary>Decodes ids into text. Byte sequences that are not valid UTF-8 become U+FFFD, as Python's <c>errors="replace"</c>.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave special tokens out of the text.</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new ArrayBufferWriter<byte>(256);
        Span<byte> runeBytes = stackalloc byte[4];
        foreach (int id in ids)
        {
            if (addedById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special))
                {
                    Encoding.UTF8.GetBytes(added.Content, bytes);
                }
                continue;
            }
            string token = IdToToken(id)
                ?? throw new ForgeException($"Token id {id} is not in the vocabulary (ids 0 to {VocabularySize - 1}).");
            foreach (Rune rune in token.EnumerateRunes())
            {
                int b = ByteLevel.CharToByte(rune.Value);
                if (b >= 0)
                {
                    bytes.GetSpan(1)[0] = (byte)b;
                    bytes.Advance(1);
                }
                else
                {
                    int count = rune.EncodeToUtf8(runeBytes);
                    bytes.Write(runeBytes[..count]);
                }
            }
        }
        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <summary>The index of the added token that occurs first at or after <paramref name="start"/> (the longest on a tie), or -1.</summary>
    private int FindAddedToken(string text, int start, int[] nextAt, out int foundAt)
    {
        int best = -1;
        foundAt = int.MaxValue;
        for (int k = 0; k < addedTokens.Length; k++)
        {
            if (nextAt[k] != -1 && nextAt[k] < start)
            {
                nextAt[k] = text.IndexOf(addedTokens[k].Content, start, StringComparison.Ordinal);
            }
            int at = nextAt[k];
            if (at >= 0 && (at < foundAt || (at == foundAt && addedTokens[k].Content.Length > addedTokens[best].Content.Length)))
            {
                best = k;
                foundAt = at;
            }
        }
        return best;
    }

    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int> output)
    {
        if (text.IsEmpty)
        {
            return;
        }
        if (AddPrefixSpace && text[0] != ' ')
        {
            text = string.Concat(" ", text);
        }
        int position = 0;
        while (position < text.Length)
        {
            int length = Gpt2PreTokenizer.NextPieceLength(text, position);
            ReadOnlySpan<char> piece = text.Slice(position, length);
            if (!cacheLookup.TryGetValue(piece, out int[]? ids))
            {
                ids = Bpe(piece);
                if (cache.Count < CacheCapacity)
                {
                    cacheLookup.TryAdd(piece, ids);
                }
            }
            output.AddRange(ids);
            position += length;
        }
    }

    /// <summary>GPT-2's merge loop over one piece: repeatedly take the lowest-ranked adjacent pair and merge all its occurrences left to right.</summary>
    private int[] Bpe(ReadOnlySpan<char> piece)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rentedBytes = null;
        Span<byte> bytes = maxBytes <= StackLimit * 4 ? stackalloc byte[maxBytes] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        int n = Encoding.UTF8.GetBytes(piece, bytes);

        int[]? rentedInts = null;
        Span<int> buffer = n <= StackLimit ? stackalloc int[2 * n] : (rentedInts = ArrayPool<int>.Shared.Rent(2 * n));
        Span<int> symbols = buffer[..n];
        Span<int> ranks = buffer.Slice(n, n);
        for (int i = 0; i < n; i++)
        {
            symbols[i] = byteIds[bytes[i]];
        }
        for (int i = 0; i + 1 < n; i++)
        {
            ranks[i] = Rank(symbols[i], symbols[i + 1]);
        }

        while (n > 1)
        {
            int best = int.MaxValue;
            for (int i = 0; i + 1 < n; i++)
            {
                best = Math.Min(best, ranks[i]);
            }
            if (best == int.MaxValue)
            {
                break;
            }
            int left = mergeLeft[best], right = mergeRight[best], merged = mergeResult[best];
            // In place: the write index never passes the read index, and ranks[k - 1] is read before anything overwrites it.
            int w = 0, previousUnchanged = -2;
            for (int k = 0; k < n;)
            {
                if (k + 1 < n && symbols[k] == left && symbols[k + 1] == right)
                {
                    symbols[w] = merged;
                    if (w > 0)
                    {
                        ranks[w - 1] = Rank(symbols[w - 1], merged);
                    }
                    previousUnchanged = -2;
                    k += 2;
                }
                else
                {
                    int symbol = symbols[k];
                    if (w > 0)
                    {
                        ranks[w - 1] = previousUnchanged == k - 1 ? ranks[k - 1] : Rank(symbols[w - 1], symbol);
                    }
                    symbols[w] = symbol;
                    previousUnchanged = k;
                    k++;
                }
                w++;
            }
            n = w;
        }

        int[] result = symbols[..n].ToArray();
        if (rentedInts is not null)
        {
            ArrayPool<int>.Shared.Return(rentedInts);
        }
        if (rentedBytes is not null)
        {
            ArrayPool<byte>.Shared.Return(rentedBytes);
        }
        return result;
    }

    private int Rank(int left, int right) => mergeRanks.TryGetValue(PairKey(left, right), out int rank) ? rank : int.MaxValue;

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private int IdOfMergePart(string token, int rank) =>
        vocabulary.TryGetValue(token, out int id)
            ? id
            : throw new ForgeException($"Merge {rank} ('{merges[rank].Left}' '{merges[rank].Right}') needs token '{token}', which is not in the vocabulary.");
}
