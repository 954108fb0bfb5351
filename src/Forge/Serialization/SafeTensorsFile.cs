using Forge.Tensors;

namespace Forge.Serialization;

/// <summary>
/// An open safetensors file, memory-mapped. The header is validated when the file is opened; <see cref="Get"/> then returns
/// tensors whose storage wraps the mapped bytes without copying them.
/// <para>
/// Lifetime: a tensor returned by <see cref="Get"/> keeps the mapping alive on its own. Disposing this object only stops it from
/// handing out more tensors; the mapping is unmapped at once when no tensor wraps it, and otherwise by the garbage collector
/// after the last wrapping tensor became unreachable. (While mapped, the file must not be truncated by another process.)
/// </para>
/// <para>
/// Mapped tensors are meant to be read: copy them (<see cref="Tensor.Clone"/>, <see cref="Tensor.CopyFrom"/>) before mutating.
/// The mapping is copy-on-write, so a write never reaches the file, but it does turn the touched pages into private memory.
/// Data that is not aligned for its dtype is copied rather than wrapped. This class is not thread-safe.
/// </para>
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly SafeTensorsHeader header;
    private readonly Dictionary<string, TensorInfo> byName;
    private readonly byte* pointer;
    private object? owner;

    private SafeTensorsFile(string source, SafeTensorsHeader header, byte* pointer, object owner)
    {
        Path = source;
        this.header = header;
        this.pointer = pointer;
        this.owner = owner;
        byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Names = header.Tensors.Select(t => t.Name).ToList().AsReadOnly();
    }

    /// <summary>The file this object reads.</summary>
    public string Path { get; }

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The header's <c>__metadata__</c> (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => header.Metadata;

    /// <summary>Offset of the data buffer from the start of the file; <see cref="TensorInfo"/> ranges are relative to it.</summary>
    public long DataStart => header.DataStart;

    /// <summary>True when the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);

    /// <summary>The dtype, shape and byte range of tensor <paramref name="name"/>.</summary>
    public TensorInfo Info(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return byName.TryGetValue(name, out TensorInfo? info)
            ? info
            : throw new ForgeException($"Safetensors file '{Path}' has no tensor '{name}' (it holds {byName.Count} tensors{(byName.Count > 0 ? ", e.g. '" + Names[0] + "'" : "")}).");
    }

    /// <summary>
    /// Tensor <paramref name="name"/>, wrapping the mapped memory (no copy) when its data is aligned for its dtype, else a copy.
    /// Treat it as read-only; see the class remarks.
    /// </summary>
    public Tensor Get(string name)
    {
        TensorInfo info = Info(name);
        object current = owner ?? throw new ObjectDisposedException(nameof(SafeTensorsFile), $"Safetensors file '{Path}' was disposed.");
        byte* data = pointer + header.DataStart + info.Begin;
        if ((nuint)data % (nuint)info.DType.SizeOf() != 0) return Copy(info);
        (current as MappedRegion)?.MarkShared();
        Storage storage = Storage.Wrap(data, info.Numel, info.DType, Device.Cpu, current);
        return new Tensor(storage, [.. info.Shape]);
    }

    /// <summary>Tensor <paramref name="name"/> copied into memory Forge owns (safe to mutate, independent of the file).</summary>
    public Tensor Copy(string name) => Copy(Info(name));

    /// <summary>Every tensor by name: wrapping the mapping, or copies when <paramref name="copy"/> is true.</summary>
    public Dictionary<string, Tensor> LoadAll(bool copy = false)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in Names) result[name] = copy ? Copy(name) : Get(name);
        return result;
    }

    /// <summary>Stops handing out tensors; the mapping is released once no tensor wraps it (see the class remarks).</summary>
    public void Dispose()
    {
        object? current = owner;
        owner = null;
        (current as MappedRegion)?.ReleaseFromFile();
    }

    /// <summary>Opens and validates <paramref name="path"/>, mapping it into memory.</summary>
    internal static SafeTensorsFile Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ForgeException($"Cannot open safetensors file '{path}': {e.Message}", e);
        }

        long length = stream.Length;
        if (length < 8)
        {
            stream.Dispose();
            throw SafeTensorsHeader.TooShort(path, length);
        }
        MappedRegion region;
        try
        {
            region = MappedRegion.Map(stream, length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgeException($"Cannot map safetensors file '{path}' into memory: {e.Message}", e);
        }

        try
        {
            ulong headerLength = *(ulong*)region.Pointer;
            long available = Math.Min(length, 8 + (long)Math.Min(headerLength, SafeTensorsHeader.MaxHeaderLength));
            var prefix = new ReadOnlySpan<byte>(region.Pointer, (int)available);
            SafeTensorsHeader header = SafeTensorsHeader.Parse(prefix, length, path);
            return new SafeTensorsFile(path, header, region.Pointer, region);
        }
        catch
        {
            region.ReleaseFromFile();
            throw;
        }
    }

    /// <summary>
    /// Parses safetensors bytes held in memory (they are copied into pinned memory the returned object owns).
    /// <paramref name="source"/> names the data in error messages.
    /// </summary>
    internal static SafeTensorsFile Parse(ReadOnlySpan<byte> bytes, string source)
    {
        byte[] pinned = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
        bytes.CopyTo(pinned);
        SafeTensorsHeader header = SafeTensorsHeader.Parse(pinned, pinned.Length, source);
        byte* data = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(pinned));
        return new SafeTensorsFile(source, header, data, pinned);
    }

    private Tensor Copy(TensorInfo info)
    {
        if (owner is null) throw new ObjectDisposedException(nameof(SafeTensorsFile), $"Safetensors file '{Path}' was disposed.");
        Tensor result = Tensor.Empty([.. info.Shape], info.DType);
        byte* source = pointer + header.DataStart + info.Begin;
        Buffer.MemoryCopy(source, result.storage.Pointer, result.storage.ByteLength, info.ByteLength);
        return result;
    }
}
