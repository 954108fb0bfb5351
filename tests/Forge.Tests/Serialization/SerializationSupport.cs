using System.Text;
using System.Text.Json;
using Forge.Serialization;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Serialization;

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "forge-serialization-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Helpers shared by the serialization tests.</summary>
internal static class SerializationSupport
{
    /// <summary>The raw row-major bytes of a CPU tensor.</summary>
    public static unsafe byte[] Bytes(Tensor tensor)
    {
        Tensor dense = tensor.Contiguous();
        int size = dense.DType.SizeOf();
        return new ReadOnlySpan<byte>((byte*)dense.Storage.Pointer + dense.StorageOffset * size, checked((int)(dense.Numel * size))).ToArray();
    }

    /// <summary>Asserts same dtype, shape and bytes.</summary>
    public static void Identical(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(Bytes(expected), Bytes(actual));
    }

    /// <summary>Reads every element (so a bad tensor cannot go unnoticed); returns how many were read.</summary>
    public static long ReadAll(Tensor tensor) => tensor.DType switch
    {
        DType.Float32 => tensor.ToArray<float>().Length,
        DType.Float16 => tensor.ToArray<Half>().Length,
        DType.BFloat16 => tensor.ToArray<ushort>().Length,
        DType.Int64 => tensor.ToArray<long>().Length,
        DType.Int32 => tensor.ToArray<int>().Length,
        DType.Int8 => tensor.ToArray<sbyte>().Length,
        DType.UInt8 => tensor.ToArray<byte>().Length,
        DType.Bool => tensor.ToArray<bool>().Length,
        _ => throw new InvalidOperationException($"Unexpected dtype {tensor.DType}."),
    };

    /// <summary>A safetensors file from a header text and a data buffer; the length prefix is the header's byte length unless given.</summary>
    public static byte[] Build(string header, byte[]? buffer = null, ulong? lengthPrefix = null)
    {
        byte[] text = Encoding.UTF8.GetBytes(header);
        return Build(text, buffer, lengthPrefix);
    }

    /// <summary>A safetensors file from header bytes and a data buffer.</summary>
    public static byte[] Build(byte[] header, byte[]? buffer = null, ulong? lengthPrefix = null)
    {
        buffer ??= [];
        var result = new byte[8 + header.Length + buffer.Length];
        BitConverter.TryWriteBytes(result.AsSpan(0, 8), lengthPrefix ?? (ulong)header.Length);
        header.CopyTo(result, 8);
        buffer.CopyTo(result, 8 + header.Length);
        return result;
    }

    /// <summary>A tensor from a fixture entry {"dtype": "F32", "shape": [...], "data": [...]} (shape [] gives a 0-d tensor).</summary>
    public static Tensor FromJson(JsonElement entry)
    {
        int[] shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var data = entry.GetProperty("data").EnumerateArray().ToArray();
        Tensor flat = entry.GetProperty("dtype").GetString() switch
        {
            "F32" => Tensor.FromArray(data.Select(e => e.GetSingle()).ToArray()),
            "F16" => Tensor.FromArray(data.Select(e => (Half)e.GetSingle()).ToArray()),
            "BF16" => Tensor.FromArray(data.Select(e => e.GetSingle()).ToArray()).To(DType.BFloat16),
            "I64" => Tensor.FromArray(data.Select(e => e.GetInt64()).ToArray()),
            "I32" => Tensor.FromArray(data.Select(e => e.GetInt32()).ToArray()),
            "I8" => Tensor.FromArray(data.Select(e => e.GetSByte()).ToArray()),
            "U8" => Tensor.FromArray(data.Select(e => e.GetByte()).ToArray()),
            "BOOL" => Tensor.FromArray(data.Select(e => e.GetBoolean()).ToArray()),
            var other => throw new InvalidOperationException($"Unexpected dtype {other}."),
        };
        return flat.Reshape(shape);
    }

    /// <summary>Path of a committed fixture file.</summary>
    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>A few tensors of different dtypes, for tests that need a valid file.</summary>
    public static Dictionary<string, Tensor> SampleTensors() => new()
    {
        ["embed.weight"] = Tensor.FromArray([1f, -2f, 3.5f, 0.25f, 8f, -0.5f], 2, 3),
        ["ids"] = Tensor.FromArray([3L, -4L, 1L << 40]),
        ["norm.bf16"] = Tensor.FromArray([1f, 2f, -3f, 0.5f]).To(DType.BFloat16),
        ["mask"] = Tensor.FromArray([true, false, true]),
        ["scale"] = Tensor.Scalar(0.125f),
    };
}
