using Forge.Tensors;

namespace Forge.Serialization;

/// <summary>
/// One tensor's entry in a safetensors header: its dtype, shape and byte range
/// (<paramref name="Begin"/> inclusive, <paramref name="End"/> exclusive, relative to the start of the data buffer).
/// </summary>
public sealed record TensorInfo(string Name, DType DType, IReadOnlyList<int> Shape, long Begin, long End)
{
    /// <summary>Number of bytes the tensor occupies.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Number of elements.</summary>
    public long Numel => ByteLength / DType.SizeOf();
}
