using System.Globalization;
using System.Text;
using Forge.Tensors;

namespace Forge.Serialization;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>, padded with spaces),
/// then the row-major little-endian tensor bytes, with offsets relative to the start of that buffer.
/// </summary>
public static class SafeTensors
{
    /// <summary>The header key that holds string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly (DType DType, string Name)[] Names =
    [
        (DType.Float32, "F32"), (DType.Float16, "F16"), (DType.BFloat16, "BF16"), (DType.Int64, "I64"),
        (DType.Int32, "I32"), (DType.Int8, "I8"), (DType.UInt8, "U8"), (DType.Bool, "BOOL"),
    ];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The safetensors dtype names Forge reads and writes.</summary>
    public static IReadOnlyList<string> DTypeNames { get; } = Names.Select(n => n.Name).ToList().AsReadOnly();

    /// <summary>The safetensors name of <paramref name="dtype"/> (F32, F16, BF16, I64, I32, I8, U8, BOOL).</summary>
    public static string DTypeName(DType dtype)
    {
        foreach (var (d, name) in Names)
        {
            if (d == dtype) return name;
        }
        throw new ForgeException($"Dtype {dtype} has no safetensors name.");
    }

    /// <summary>The dtype for a safetensors dtype name, or null when Forge does not support it.</summary>
    public static DType? ParseDType(string name)
    {
        foreach (var (d, n) in Names)
        {
            if (n == name) return d;
        }
        return null;
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (sorted by name; non-contiguous ones are written contiguous) and optional metadata to
    /// <paramref name="path"/>. The header is padded with spaces so the data starts at a multiple of 8 bytes, as the reference
    /// implementation does. The write is atomic: a temporary file in the same directory is flushed to disk, then renamed over the target.
    /// </summary>
    public static unsafe void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(byte[] Key, string Name, Tensor Tensor)>();
        foreach (var (name, tensor) in tensors)
        {
            if (name == MetadataKey) throw new ForgeException($"Cannot save '{path}': '{MetadataKey}' is reserved for metadata and cannot name a tensor.");
            if (tensor is null) throw new ForgeException($"Cannot save '{path}': tensor '{name}' is null.");
            if (tensor.Device.Type != DeviceType.Cpu) throw new ForgeException($"Cannot save '{path}': tensor '{name}' is on {tensor.Device}; copy it to the CPU first.");
            entries.Add((Encode(name, path), name, tensor.Detach().Contiguous()));
        }
        // UTF-8 byte order is code-point order, the order Python and Rust sort names in.
        entries.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));

        byte[] header = BuildHeader(entries.Select(e => (e.Name, e.Tensor)).ToList(), metadata, path);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BitConverter.TryWriteBytes(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var (_, _, tensor) in entries)
            {
                byte* data = (byte*)tensor.storage.Pointer + tensor.offset * tensor.DType.SizeOf();
                long remaining = tensor.Numel * tensor.DType.SizeOf();
                while (remaining > 0)
                {
                    int chunk = (int)Math.Min(remaining, 1 << 30);
                    stream.Write(new ReadOnlySpan<byte>(data, chunk));
                    data += chunk;
                    remaining -= chunk;
                }
            }
        });
    }

    /// <summary>Opens <paramref name="path"/>, validates its header and memory-maps it; tensors are read lazily without copying.</summary>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return SafeTensorsFile.Open(path);
    }

    /// <summary>Reads every tensor of <paramref name="path"/> into memory Forge owns (the file is closed afterwards).</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using SafeTensorsFile file = Open(path);
        return file.LoadAll(copy: true);
    }

    /// <summary>The JSON header, byte for byte as the reference writer makes it: compact, metadata first, then tensors in order, space-padded to a multiple of 8.</summary>
    private static byte[] BuildHeader(List<(string Name, Tensor Tensor)> entries, IReadOnlyDictionary<string, string>? metadata, string path)
    {
        var json = new StringBuilder("{");
        bool first = true;
        if (metadata is { Count: > 0 })
        {
            json.Append('"').Append(MetadataKey).Append("\":{");
            var pairs = new List<(byte[] Order, string Key, string Value)>();
            foreach (var (key, value) in metadata)
            {
                if (value is null) throw new ForgeException($"Cannot save '{path}': metadata value of '{key}' is null.");
                Encode(value, path);
                pairs.Add((Encode(key, path), key, value));
            }
            pairs.Sort((a, b) => a.Order.AsSpan().SequenceCompareTo(b.Order));
            for (int i = 0; i < pairs.Count; i++)
            {
                if (i > 0) json.Append(',');
                AppendString(json, pairs[i].Key);
                json.Append(':');
                AppendString(json, pairs[i].Value);
            }
            json.Append('}');
            first = false;
        }

        long offset = 0;
        foreach (var (name, tensor) in entries)
        {
            if (!first) json.Append(',');
            first = false;
            long bytes = tensor.Numel * tensor.DType.SizeOf();
            AppendString(json, name);
            json.Append(":{\"dtype\":\"").Append(DTypeName(tensor.DType)).Append("\",\"shape\":[");
            json.AppendJoin(',', tensor.Shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));
            json.Append("],\"data_offsets\":[").Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append((offset + bytes).ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset += bytes;
        }
        json.Append('}');
        int padding = (8 - StrictUtf8.GetByteCount(json.ToString()) % 8) % 8;
        json.Append(' ', padding);
        return StrictUtf8.GetBytes(json.ToString());
    }

    /// <summary>A JSON string escaped as serde_json and Python's json (ensure_ascii off) escape it: quote, backslash and control characters only.</summary>
    private static void AppendString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        json.Append('"');
    }

    private static byte[] Encode(string text, string path)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ForgeException($"Cannot save '{path}': the name or metadata '{text}' is not valid Unicode (it has a lone surrogate).", e);
        }
    }

}
