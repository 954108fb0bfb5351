using System.Text.Json;
using System.Text.Unicode;
using Forge.Tensors;

namespace Forge.Serialization;

/// <summary>
/// A validated safetensors header: the tensor entries (in header order), the metadata, and where the data buffer starts.
/// Parsing checks everything the format requires, so reading a tensor afterwards cannot go out of bounds.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>Largest header accepted, as in the reference implementation (checked before anything is allocated).</summary>
    internal const long MaxHeaderLength = 100_000_000;

    private SafeTensorsHeader(IReadOnlyList<TensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, long dataStart, long dataLength)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
        DataLength = dataLength;
    }

    /// <summary>The tensor entries in the order the header lists them.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The string-to-string metadata (empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Offset of the data buffer from the start of the file (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Length of the data buffer in bytes.</summary>
    public long DataLength { get; }

    /// <summary>
    /// Parses and validates the header of a safetensors file of <paramref name="fileLength"/> bytes whose first bytes are
    /// <paramref name="prefix"/> (at least the 8-byte length and the header itself when the file is long enough).
    /// <paramref name="source"/> names the file in error messages.
    /// </summary>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> prefix, long fileLength, string source)
    {
        if (fileLength < 8) throw TooShort(source, fileLength);
        ulong headerLength = BitConverter.ToUInt64(prefix[..8]);
        if (headerLength > MaxHeaderLength)
            throw Invalid(source, $"the header length prefix says {headerLength} bytes, more than the {MaxHeaderLength} bytes allowed");
        if ((long)headerLength > fileLength - 8)
            throw Invalid(source, $"the header length prefix says {headerLength} bytes, but only {fileLength - 8} bytes follow it");
        int length = (int)headerLength;
        ReadOnlySpan<byte> text = prefix.Slice(8, length);
        if (length == 0 || text[0] != (byte)'{')
            throw Invalid(source, "the header must be a JSON object starting with '{'");
        if (!Utf8.IsValid(text))
            throw Invalid(source, "the header is not valid UTF-8");

        long dataStart = 8 + length;
        long dataLength = fileLength - dataStart;
        try
        {
            using JsonDocument document = JsonDocument.Parse(text.ToArray());
            return FromJson(document.RootElement, dataStart, dataLength, source);
        }
        catch (JsonException e)
        {
            throw new ForgeException($"Invalid safetensors file '{source}': the header is not valid JSON ({e.Message}).", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ForgeException($"Invalid safetensors file '{source}': the header holds a string that is not valid Unicode ({e.Message}).", e);
        }
    }

    private static SafeTensorsHeader FromJson(JsonElement root, long dataStart, long dataLength, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"the header must be a JSON object, found {root.ValueKind}");
        var tensors = new List<TensorInfo>();
        IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
        foreach (var (name, value) in Properties(root, source, "tensor name"))
        {
            if (name == SafeTensors.MetadataKey)
                metadata = ParseMetadata(value, source);
            else
                tensors.Add(ParseEntry(name, value, dataLength, source));
        }
        CheckCoverage(tensors, dataLength, source);
        return new SafeTensorsHeader(tensors, metadata, dataStart, dataLength);
    }

    /// <summary>The properties of an object, rejecting a name that appears twice.</summary>
    private static List<(string Name, JsonElement Value)> Properties(JsonElement element, string source, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<(string, JsonElement)>();
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw Invalid(source, $"duplicate {what} '{property.Name}' in the header");
            result.Add((property.Name, property.Value));
        }
        return result;
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"'{SafeTensors.MetadataKey}' must be an object of strings, found {value.ValueKind}");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, item) in Properties(value, source, "metadata key"))
        {
            if (item.ValueKind != JsonValueKind.String)
                throw Invalid(source, $"metadata value of '{key}' must be a string, found {item.ValueKind}");
            metadata[key] = item.GetString()!;
        }
        return metadata;
    }

    private static TensorInfo ParseEntry(string name, JsonElement value, long dataLength, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"entry '{name}' must be an object with dtype, shape and data_offsets, found {value.ValueKind}");
        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (var (key, item) in Properties(value, source, $"key of entry '{name}'"))
        {
            switch (key)
            {
                case "dtype": dtypeElement = item; break;
                case "shape": shapeElement = item; break;
                case "data_offsets": offsetsElement = item; break;
            }
        }

        JsonElement dtypeJson = dtypeElement ?? throw Invalid(source, $"entry '{name}' has no dtype");
        JsonElement shapeJson = shapeElement ?? throw Invalid(source, $"entry '{name}' has no shape");
        JsonElement offsetsJson = offsetsElement ?? throw Invalid(source, $"entry '{name}' has no data_offsets");

        if (dtypeJson.ValueKind != JsonValueKind.String)
            throw Invalid(source, $"dtype of '{name}' must be a string, found {dtypeJson.ValueKind}");
        string dtypeName = dtypeJson.GetString()!;
        DType dtype = SafeTensors.ParseDType(dtypeName)
            ?? throw Invalid(source, $"tensor '{name}' has dtype '{dtypeName}', which Forge does not support (expected one of {string.Join(", ", SafeTensors.DTypeNames)})");

        if (shapeJson.ValueKind != JsonValueKind.Array)
            throw Invalid(source, $"shape of '{name}' must be an array of integers, found {shapeJson.ValueKind}");
        var shape = new int[shapeJson.GetArrayLength()];
        long numel = 1;
        int dim = 0;
        foreach (JsonElement item in shapeJson.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long size) || size < 0)
                throw Invalid(source, $"shape of '{name}' must hold non-negative integers, found {item.GetRawText()}");
            if (size > int.MaxValue)
                throw Invalid(source, $"shape of '{name}' has size {size}, more than the {int.MaxValue} Forge supports in one dimension");
            shape[dim++] = (int)size;
            if (size != 0 && numel > long.MaxValue / size)
                throw Invalid(source, $"shape {Tensor.Format(shape[..dim])}... of '{name}' holds more elements than fit in 64 bits");
            numel *= size;
        }

        if (offsetsJson.ValueKind != JsonValueKind.Array || offsetsJson.GetArrayLength() != 2)
            throw Invalid(source, $"data_offsets of '{name}' must be an array of two integers [begin, end], found {Describe(offsetsJson)}");
        long begin = Offset(offsetsJson[0], name, source);
        long end = Offset(offsetsJson[1], name, source);
        if (begin > end)
            throw Invalid(source, $"data_offsets of '{name}' are reversed: begin {begin} is after end {end}");
        if (end > dataLength)
            throw Invalid(source, $"data_offsets [{begin}, {end}] of '{name}' go beyond the {dataLength}-byte data buffer");

        int elementSize = dtype.SizeOf();
        if (numel > long.MaxValue / elementSize || numel * elementSize != end - begin)
            throw Invalid(source, $"tensor '{name}' of shape {Tensor.Format(shape)} and dtype {dtypeName} needs {(numel > long.MaxValue / elementSize ? "more than 2^63" : numel * elementSize)} bytes, but its data_offsets [{begin}, {end}] span {end - begin}");
        return new TensorInfo(name, dtype, Array.AsReadOnly(shape), begin, end);
    }

    private static long Offset(JsonElement item, string name, string source)
    {
        if (item.ValueKind != JsonValueKind.Number)
            throw Invalid(source, $"data_offsets of '{name}' must hold integers, found {item.GetRawText()}");
        if (item.TryGetInt64(out long value))
        {
            if (value < 0) throw Invalid(source, $"data_offsets of '{name}' must be non-negative, found {value}");
            return value;
        }
        if (item.TryGetUInt64(out ulong huge))
            throw Invalid(source, $"data_offsets of '{name}' hold {huge}, beyond the data buffer");
        throw Invalid(source, $"data_offsets of '{name}' must hold integers, found {item.GetRawText()}");
    }

    /// <summary>The reference implementation requires the tensors to tile the buffer exactly: no overlap, no gap, nothing left over.</summary>
    private static void CheckCoverage(List<TensorInfo> tensors, long dataLength, string source)
    {
        var ordered = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long expected = 0;
        TensorInfo? previous = null;
        foreach (TensorInfo tensor in ordered)
        {
            if (tensor.Begin < expected)
                throw Invalid(source, $"tensor '{tensor.Name}' at bytes [{tensor.Begin}, {tensor.End}] overlaps tensor '{previous!.Name}' at [{previous.Begin}, {previous.End}]");
            if (tensor.Begin > expected)
                throw Invalid(source, $"there is a gap in the data buffer: bytes [{expected}, {tensor.Begin}] before tensor '{tensor.Name}' belong to no tensor (tensors must cover the buffer contiguously)");
            expected = tensor.End;
            previous = tensor;
        }
        if (expected != dataLength)
            throw Invalid(source, $"bytes [{expected}, {dataLength}] at the end of the data buffer belong to no tensor (tensors must cover the buffer contiguously)");
    }

    /// <summary>The error for a file too short to hold the 8-byte header length.</summary>
    public static ForgeException TooShort(string source, long fileLength) =>
        Invalid(source, $"the file is {fileLength} bytes long, shorter than the 8-byte header length prefix");

    private static string Describe(JsonElement element) => element.ValueKind == JsonValueKind.Array ? element.GetRawText() : element.ValueKind.ToString();

    private static ForgeException Invalid(string source, string problem) => new($"Invalid safetensors file '{source}': {problem}.");
}
