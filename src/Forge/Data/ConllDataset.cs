namespace Forge.Data;

/// <summary>One sentence of a token-classification corpus: its tokens and their tags.</summary>
public sealed record TaggedSentence(IReadOnlyList<string> Tokens, IReadOnlyList<string> Tags);

/// <summary>
/// A named-entity corpus in CoNLL format: one token per line with the token in the first column and its tag in the last
/// (columns separated by spaces or tabs), a blank line between sentences, and <c>-DOCSTART-</c> lines skipped. Tags are BIO:
/// "O", or "B-" or "I-" followed by a type. <see cref="Tags"/> lists "O" first, then the other tags in ordinal order.
/// </summary>
public sealed class ConllDataset
{
    private readonly Dictionary<string, int> tagIds;

    private ConllDataset(IReadOnlyList<TaggedSentence> sentences)
    {
        Sentences = sentences;
        Tags = [.. sentences.SelectMany(s => s.Tags).Append("O").Distinct().OrderBy(t => t == "O" ? 0 : 1).ThenBy(t => t, StringComparer.Ordinal)];
        tagIds = Tags.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>The sentences, in file order.</summary>
    public IReadOnlyList<TaggedSentence> Sentences { get; }

    /// <summary>The tag set: "O" first, then the others in ordinal order; a tag's id is its index.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>The id of a tag; an unknown tag is a <see cref="ForgeException"/>.</summary>
    public int TagId(string tag) =>
        tagIds.TryGetValue(tag, out int id) ? id : throw new ForgeException($"Unknown tag '{tag}'; expected one of [{string.Join(", ", Tags)}].");

    /// <summary>Reads a CoNLL file (UTF-8).</summary>
    public static ConllDataset Load(string path) => Parse(TextSource.ReadTextFile(path), path);

    /// <summary>Parses CoNLL text; <paramref name="source"/> names it in errors, which give the 1-based line.</summary>
    public static ConllDataset Parse(string text, string source = "CoNLL text")
    {
        ArgumentNullException.ThrowIfNull(text);
        var sentences = new List<TaggedSentence>();
        var tokens = new List<string>();
        var tags = new List<string>();
        string[] lines = text.ReplaceLineEndings("\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string[] columns = lines[i].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length == 0)
            {
                EndSentence();
                continue;
            }
            if (columns[0].StartsWith("-DOCSTART-", StringComparison.Ordinal)) continue;
            if (columns.Length < 2)
                throw new ForgeException($"'{source}' line {i + 1}: expected a token and a tag separated by a space or tab, found '{lines[i]}'.");
            string tag = columns[^1];
            if (!IsBio(tag))
                throw new ForgeException($"'{source}' line {i + 1}: expected a BIO tag ('O', 'B-TYPE' or 'I-TYPE') in the last column, found '{tag}'.");
            tokens.Add(columns[0]);
            tags.Add(tag);
        }
        EndSentence();
        if (sentences.Count == 0) throw new ForgeException($"'{source}' holds no sentences.");
        return new ConllDataset(sentences);

        void EndSentence()
        {
            if (tokens.Count == 0) return;
            sentences.Add(new TaggedSentence([.. tokens], [.. tags]));
            tokens.Clear();
            tags.Clear();
        }
    }

    private static bool IsBio(string tag) => tag == "O" || (tag.Length > 2 && tag[0] is 'B' or 'I' && tag[1] == '-');
}
