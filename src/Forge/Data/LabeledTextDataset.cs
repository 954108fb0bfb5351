using System.Globalization;
using System.Text;
using System.Text.Json;
using Forge.Serialization;

namespace Forge.Data;

/// <summary>One labeled text: the text, the optional second text of a pair, and the label id.</summary>
public sealed record LabeledExample(string Text, string? TextPair, int Label);

/// <summary>Which columns (CSV) or fields (JSON Lines) hold the text, the label and the optional second text.</summary>
public sealed record LabeledTextColumns
{
    /// <summary>The text column; when null, the first of "text", "sentence", "review", "content" that exists.</summary>
    public string? Text { get; init; }

    /// <summary>The label column; when null, the first of "label", "category", "class", "sentiment" that exists.</summary>
    public string? Label { get; init; }

    /// <summary>The column of the second text of a pair; none when null.</summary>
    public string? TextPair { get; init; }
}

/// <summary>The parts of a split dataset; <see cref="Test"/> is null when the split made no test part.</summary>
public sealed record DatasetSplits(LabeledTextDataset Train, LabeledTextDataset Validation, LabeledTextDataset? Test);

/// <summary>
/// Labeled texts for classification, read from CSV (RFC 4180, header row) or JSON Lines (one object per line). Labels that are
/// all non-negative integers keep their values as ids; other labels are strings given ids in ordinal sorted order.
/// <see cref="Id2Label"/> names every id.
/// </summary>
public sealed class LabeledTextDataset
{
    private static readonly string[] TextCandidates = ["text", "sentence", "review", "content"];
    private static readonly string[] LabelCandidates = ["label", "category", "class", "sentiment"];

    private LabeledTextDataset(IReadOnlyList<LabeledExample> examples, IReadOnlyList<string> id2Label)
    {
        Examples = examples;
        Id2Label = id2Label;
    }

    /// <summary>The examples, in file order.</summary>
    public IReadOnlyList<LabeledExample> Examples { get; }

    /// <summary>The label name of each id.</summary>
    public IReadOnlyList<string> Id2Label { get; }

    /// <summary>The number of examples.</summary>
    public int Count => Examples.Count;

    /// <summary>The id of a label name; an unknown name is a <see cref="ForgeException"/>.</summary>
    public int LabelId(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        for (int i = 0; i < Id2Label.Count; i++)
        {
            if (Id2Label[i] == label) return i;
        }
        throw new ForgeException($"Unknown label '{label}'; expected one of [{string.Join(", ", Id2Label)}].");
    }

    /// <summary>Reads a <c>.csv</c> or <c>.jsonl</c> file (by extension) with the given or default columns.</summary>
    public static LabeledTextDataset Load(string path, LabeledTextColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        columns ??= new LabeledTextColumns();
        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return FromRows(ReadCsv(path), columns, path);
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return FromRows(ReadJsonLines(path), columns, path);
        throw new ForgeException($"Labeled text file '{path}': expected a .csv or .jsonl file.");
    }

    /// <summary>A dataset of (text, label name) pairs, with label ids as <see cref="Load"/> assigns them.</summary>
    public static LabeledTextDataset FromTexts(IEnumerable<(string Text, string Label)> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var rows = examples.Select((e, i) => new Row(i + 1, new Dictionary<string, string?> { ["text"] = e.Text, ["label"] = e.Label }));
        return FromRows(([.. rows], ["text", "label"]), new LabeledTextColumns(), "examples");
    }

    /// <summary>
    /// The same examples with the label ids of <paramref name="id2Label"/> (say, a test file's labels in the ids of the training file's
    /// label set); a label missing from <paramref name="id2Label"/> is a <see cref="ForgeException"/>.
    /// </summary>
    public LabeledTextDataset WithLabels(IReadOnlyList<string> id2Label)
    {
        ArgumentNullException.ThrowIfNull(id2Label);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < id2Label.Count; i++) ids.TryAdd(id2Label[i], i);
        return new LabeledTextDataset([.. Examples.Select(e => ids.TryGetValue(Id2Label[e.Label], out int id) ? e with { Label = id }
            : throw new ForgeException($"Label '{Id2Label[e.Label]}' is not among the labels [{string.Join(", ", id2Label)}]."))], [.. id2Label]);
    }

    /// <summary>
    /// Writes the examples as CSV (RFC 4180, UTF-8) with a <c>text,label</c> header, or <c>text,text_pair,label</c> when there are
    /// pairs; labels are written by name, so <see cref="Load"/> reads the same examples and label ids back.
    /// </summary>
    public void SaveCsv(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        bool pairs = Examples.Any(e => e.TextPair is not null);
        string[] header = pairs ? ["text", "text_pair", "label"] : ["text", "label"];
        var rows = Examples.Select(e => (IReadOnlyList<string>)(pairs ? [e.Text, e.TextPair ?? "", Id2Label[e.Label]] : [e.Text, Id2Label[e.Label]]));
        AtomicFile.Write(Path.GetFullPath(path), stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            Csv.Write(writer, header, rows);
        });
    }

    /// <summary>
    /// Splits every class in proportion: of each class's examples, shuffled with <paramref name="seed"/>, a rounded
    /// <paramref name="testFraction"/> go to test, a rounded <paramref name="validationFraction"/> to validation and the rest (at
    /// least one) to train; each part keeps file order. With <paramref name="testFraction"/> 0 (when a test set exists
    /// elsewhere) there is no test part. The same data and seed always give the same split.
    /// </summary>
    public DatasetSplits StratifiedSplit(double validationFraction = 0.15, double testFraction = 0.15, int seed = 0)
    {
        if (!(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1))
            throw new ForgeException($"A split needs fractions >= 0 that leave some training data, found validation {validationFraction} and test {testFraction}.");
        var parts = new List<int>[] { [], [], [] };
        foreach (var group in Enumerable.Range(0, Count).GroupBy(i => Examples[i].Label).OrderBy(g => g.Key))
        {
            int[] indices = [.. group];
            Shuffle(indices, seed, group.Key);
            int test = (int)Math.Round(indices.Length * testFraction, MidpointRounding.AwayFromZero);
            int validation = (int)Math.Round(indices.Length * validationFraction, MidpointRounding.AwayFromZero);
            while (test + validation >= indices.Length && test + validation > 0)
            {
                if (test >= validation) test--;
                else validation--;
            }
            parts[2].AddRange(indices[..test]);
            parts[1].AddRange(indices[test..(test + validation)]);
            parts[0].AddRange(indices[(test + validation)..]);
        }
        LabeledTextDataset Part(List<int> indices) => new([.. indices.Order().Select(i => Examples[i])], Id2Label);
        return new DatasetSplits(Part(parts[0]), Part(parts[1]), testFraction > 0 ? Part(parts[2]) : null);
    }

    /// <summary>A Fisher–Yates shuffle driven by SplitMix64 on the seed and the class, so it is the same on every platform.</summary>
    private static void Shuffle(int[] items, int seed, int label)
    {
        ulong state = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)label + 1;
        for (int i = items.Length - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            int j = (int)(z % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private sealed record Row(int Line, Dictionary<string, string?> Values);

    private static LabeledTextDataset FromRows((List<Row> Rows, IReadOnlyList<string> Columns) table, LabeledTextColumns columns, string source)
    {
        string text = Column(columns.Text, TextCandidates, "text", table.Columns, source);
        string label = Column(columns.Label, LabelCandidates, "label", table.Columns, source);
        string? pair = columns.TextPair is null ? null : Column(columns.TextPair, [], "text pair", table.Columns, source);
        if (table.Rows.Count == 0) throw new ForgeException($"'{source}' holds no examples.");
        var raw = new List<(string Text, string? Pair, string Label)>();
        foreach (Row row in table.Rows)
        {
            raw.Add((Value(row, text, source)!, pair is null ? null : Value(row, pair, source), Value(row, label, source)!));
        }
        string[] names = [.. raw.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal)];
        IReadOnlyList<string> id2Label;
        Func<string, int> idOf;
        if (names.All(IsId))
        {
            int max = names.Max(n => int.Parse(n, CultureInfo.InvariantCulture));
            id2Label = [.. Enumerable.Range(0, max + 1).Select(i => i.ToString(CultureInfo.InvariantCulture))];
            idOf = n => int.Parse(n, CultureInfo.InvariantCulture);
        }
        else
        {
            id2Label = names;
            var ids = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
            idOf = n => ids[n];
        }
        return new LabeledTextDataset([.. raw.Select(r => new LabeledExample(r.Text, r.Pair, idOf(r.Label)))], id2Label);
    }

    private static bool IsId(string label) =>
        label.Length is > 0 and < 10 && label.All(char.IsAsciiDigit) && (label == "0" || label[0] != '0');

    private static string Column(string? requested, string[] candidates, string role, IReadOnlyList<string> available, string source)
    {
        string? found = requested is not null ? (available.Contains(requested) ? requested : null) : candidates.FirstOrDefault(available.Contains);
        if (found is not null) return found;
        string wanted = requested is not null ? $"'{requested}'" : string.Join(", ", candidates.Select(c => $"'{c}'"));
        throw new ForgeException($"'{source}' has no {role} column {wanted}; its columns are [{string.Join(", ", available)}].");
    }

    private static string? Value(Row row, string column, string source)
    {
        if (!row.Values.TryGetValue(column, out string? value))
            throw new ForgeException($"'{source}' line {row.Line}: expected a value in column '{column}', found none.");
        if (value is null) throw new ForgeException($"'{source}' line {row.Line}: expected a value in column '{column}', found null.");
        return value;
    }

    private static (List<Row>, IReadOnlyList<string>) ReadCsv(string path)
    {
        List<(int Line, string[] Fields)> records = Csv.Parse(TextSource.ReadTextFile(path), path);
        if (records.Count == 0) throw new ForgeException($"'{path}' holds no header row; expected column names such as text,label.");
        string[] header = records[0].Fields;
        for (int i = 0; i < header.Length; i++)
        {
            if (Array.IndexOf(header, header[i]) != i) throw new ForgeException($"'{path}': the header names column '{header[i]}' twice.");
        }
        var rows = new List<Row>();
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Length != header.Length)
                throw new ForgeException($"'{path}' line {line}: expected {header.Length} fields as in the header, found {fields.Length}.");
            rows.Add(new Row(line, header.Zip(fields).ToDictionary(p => p.First, p => (string?)p.Second, StringComparer.Ordinal)));
        }
        return (rows, header);
    }

    private static (List<Row>, IReadOnlyList<string>) ReadJsonLines(string path)
    {
        string[] lines = TextSource.ReadTextFile(path).Split('\n');
        var rows = new List<Row>();
        var columns = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            try
            {
                using JsonDocument document = JsonDocument.Parse(lines[i]);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    throw new ForgeException($"'{path}' line {i + 1}: expected a JSON object, found {document.RootElement.ValueKind}.");
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    values[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Number => property.Value.GetRawText(),
                        JsonValueKind.Null => null,
                        _ => property.Value.GetRawText(),
                    };
                    if (!columns.Contains(property.Name)) columns.Add(property.Name);
                }
            }
            catch (JsonException e)
            {
                throw new ForgeException($"'{path}' line {i + 1}: expected a JSON object, found invalid JSON ({e.Message}).", e);
            }
            rows.Add(new Row(i + 1, values));
        }
        return (rows, columns);
    }
}
