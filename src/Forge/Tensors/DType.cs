namespace Forge.Tensors;

/// <summary>Element types. Float32 is the compute type; BFloat16 and Float16 are storage types; Int8 holds quantized weights.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (safetensors F32).</summary>
    Float32,
    /// <summary>16-bit IEEE half (F16).</summary>
    Float16,
    /// <summary>Brain float: the upper 16 bits of a float32 (BF16).</summary>
    BFloat16,
    /// <summary>64-bit signed integer, used for indices (I64).</summary>
    Int64,
    /// <summary>32-bit signed integer (I32).</summary>
    Int32,
    /// <summary>8-bit signed integer, for quantized weights (I8).</summary>
    Int8,
    /// <summary>8-bit unsigned integer (U8).</summary>
    UInt8,
    /// <summary>Boolean stored as one byte, used for masks (BOOL).</summary>
    Bool,
}

/// <summary>Facts about element types.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float16 or DType.BFloat16 => 2,
        DType.Int64 => 8,
        DType.Int8 or DType.UInt8 or DType.Bool => 1,
        _ => throw new ForgeException($"Unknown dtype {dtype}."),
    };

    /// <summary>True for Float32, Float16 and BFloat16.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float16 or DType.BFloat16;

    /// <summary>Rounds a float to bfloat16 (round to nearest even; NaN stays NaN).</summary>
    public static ushort FloatToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>Widens a bfloat16 to float.</summary>
    public static float BFloat16ToFloat(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);
}
