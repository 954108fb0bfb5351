using System.Text;
using System.Text.Json;

namespace Forge.Data;

/// <summary>
/// Reads training text as documents: a plain text file is one document, a JSON Lines file (<c>.jsonl</c>) holds one document per
/// line in its <c>"text"</c> field, a CSV file (<c>.csv</c>, named as a file) one per row in its text column, and a directory contributes its <c>.txt</c> and <c>.jsonl</c> files in ordinal path order.
/// </summary>
public static class TextSource
{
    /// <summary>
    /// The documents of a file or directory: <c>.jsonl</c> files through <see cref="ReadJsonLines"/>, <c>.csv</c> files through
    /// <see cref="ReadCsvColumn"/>, other files whole through
    /// <see cref="ReadTextFile"/>; a directory's <c>.txt</c> and <c>.jsonl</c> files (searched recursively) in ordinal order of their
    /// relative paths. Documents are read lazily, one file at a time.
    /// </summary>
    public static IEnumerable<string> ReadDocuments(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path)) return ReadFile(path);
        if (!Directory.Exists(path)) throw new ForgeException($"Text source '{path}' does not exist; expected a .txt or .jsonl file or a directory of them.");
        string[] files = [.. Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => IsJsonLines(f) || f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
            .OrderBy(f => Path.GetRelativePath(path, f), StringComparer.Ordinal)];
        if (files.Length == 0) throw new ForgeException($"Directory '{path}' holds no .txt or .jsonl files.");
        return files.SelectMany(ReadFile);
    }

    /// <summary>
    /// A UTF-8 text file as one document (a byte-order mark is dropped; line endings are kept as they are). An empty file or one
    /// that is not valid UTF-8 is a <see cref="ForgeException"/> naming the file (and the offset of the first bad byte).
    /// </summary>
    public static string ReadTextFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgeException($"Cannot read text file '{path}': {e.Message}", e);
        }
        ReadOnlySpan<byte> body = bytes.AsSpan().StartsWith(ByteOrderMark) ? bytes.AsSpan(ByteOrderMark.Length) : bytes;
        if (body.IsEmpty) throw new ForgeException($"Text file '{path}' is empty.");
        try
        {
            return StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException e)
        {
            throw new ForgeException($"Text file '{path}' is not valid UTF-8 (bad byte at offset {e.Index}).", e);
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// The documents of a JSON Lines file, read lazily: each non-blank line must be a JSON object whose <paramref name="field"/> is a
    /// string. A line that is not raises a <see cref="ForgeException"/> naming the file and the 1-based line number.
    /// </summary>
    public static IEnumerable<string> ReadJsonLines(string path, string field = "text")
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentException.ThrowIfNullOrEmpty(field);
        if (!File.Exists(path)) throw new ForgeException($"JSON Lines file '{path}' does not exist.");
        return ReadJsonLinesIterator(path, field);
    }

    /// <summary>
    /// The documents of a CSV file with a header row: each row's <paramref name="column"/>, or when null the first of the columns
    /// "text", "sentence", "review", "content" the header has (blank cells are skipped).
    /// </summary>
    public static IEnumerable<string> ReadCsvColumn(string path, string? column = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        List<(int Line, string[] Fields)> records = Csv.Parse(ReadTextFile(path), path);
        if (records.Count == 0) throw new ForgeException($"CSV file '{path}' holds no header row; expected a column such as text.");
        string[] header = records[0].Fields;
        string[] candidates = column is null ? ["text", "sentence", "review", "content"] : [column];
        string? found = candidates.FirstOrDefault(c => header.Contains(c, StringComparer.Ordinal));
        int index = found is null ? -1 : Array.IndexOf(header, found);
        if (index < 0)
            throw new ForgeException($"CSV file '{path}' has no {(column is null ? "text column (text, sentence, review or content)" : $"column '{column}'")}; its columns are {string.Join(", ", header)}.");
        return [.. records.Skip(1).Select(r => index < r.Fields.Length ? r.Fields[index] : "").Where(t => !string.IsNullOrWhiteSpace(t))];
    }

    private static IEnumerable<string> ReadFile(string path) =>
        IsJsonLines(path) ? ReadJsonLines(path)
        : path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? ReadCsvColumn(path)
        : [ReadTextFile(path)];

    private static bool IsJsonLines(string path) => path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> ReadJsonLinesIterator(string path, string field)
    {
        int lineNumber = 0;
        foreach (string line in ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return TextOf(line, field, path, lineNumber);
        }
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadLines(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgeException($"Cannot read JSON Lines file '{path}': {e.Message}", e);
        }
    }

    private static string TextOf(string line, string field, string path, int lineNumber)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new ForgeException($"'{path}' line {lineNumber}: expected a JSON object with a string \"{field}\", found invalid JSON ({e.Message}).", e);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ForgeException($"'{path}' line {lineNumber}: expected a JSON object with a string \"{field}\", found {root.ValueKind}.");
            if (!root.TryGetProperty(field, out JsonElement text))
                throw new ForgeException($"'{path}' line {lineNumber}: expected a string \"{field}\", found no such field.");
            if (text.ValueKind != JsonValueKind.String)
                throw new ForgeException($"'{path}' line {lineNumber}: expected \"{field}\" to be a string, found {text.ValueKind}.");
            return text.GetString()!;
        }
    }
}
