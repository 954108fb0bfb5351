using Forge.Tensors;

namespace Forge.Backends.Cpu;

/// <summary>The managed CPU backend: SIMD kernels (System.Runtime.Intrinsics, System.Numerics.Tensors) on all cores.</summary>
public sealed unsafe partial class CpuBackend : IBackend
{
    /// <inheritdoc />
    public string Name => "cpu-managed";

    /// <summary>
    /// What computes fp32 matrix products: "managed" (Forge's GEMM, the default) or "openblas" (FORGE_BLAS=openblas; see
    /// README). A FORGE_BLAS value that names nothing loadable is a <see cref="ForgeException"/>.
    /// </summary>
    public static string MatrixProductProvider => SystemBlas.Current is null ? "managed" : "openblas";

    /// <inheritdoc />
    public Storage Allocate(DType dtype, long length, bool zeroed) => Storage.AllocateCpu(dtype, length, zeroed);

    /// <inheritdoc />
    public void Copy(Tensor source, Tensor destination)
    {
        long bytes = destination.Numel * destination.DType.SizeOf();
        if (bytes <= SmallCopyBytes && source.DType == destination.DType && source.IsContiguous && destination.IsContiguous && source.Numel == destination.Numel)
        {
            int size = source.DType.SizeOf();
            Buffer.MemoryCopy((byte*)source.Storage.Pointer + source.StorageOffset * size, (byte*)destination.Storage.Pointer + destination.StorageOffset * size, bytes, bytes);
            return;
        }
        CopyStrided(source, destination);
    }

    /// <summary>A copy of at most this many bytes between contiguous tensors of one type runs on the calling thread.</summary>
    private const long SmallCopyBytes = 64 * 1024;

    private static void CopyStrided(Tensor source, Tensor destination)
    {
        var body = new CopyRows
        {
            Layout = new StridedLayout(destination.Shape, source.Strides, destination.Strides),
            From = source.DType,
            To = destination.DType,
            Source = (byte*)source.Storage.Pointer + source.StorageOffset * source.DType.SizeOf(),
            Destination = (byte*)destination.Storage.Pointer + destination.StorageOffset * destination.DType.SizeOf(),
        };
        CpuParallel.For(body.Layout.Rows, Math.Max(1, 16384 / Math.Max(body.Layout.Inner, 1)), body);
    }

    private struct CopyRows : IRangeBody
    {
        public StridedLayout Layout;
        public DType From, To;
        public byte* Source, Destination;

        public readonly void Run(long start, long end)
        {
            Span<long> offsets = stackalloc long[2];
            int inner = Layout.Inner, srcSize = From.SizeOf(), dstSize = To.SizeOf();
            long ss = Layout.InnerStride(0), ds = Layout.InnerStride(1);
            for (long row = start; row < end; row++)
            {
                Layout.RowOffsets(row, offsets);
                byte* s = Source + offsets[0] * srcSize;
                byte* d = Destination + offsets[1] * dstSize;
                if (From == To && ss == 1 && ds == 1) Buffer.MemoryCopy(s, d, (long)inner * dstSize, (long)inner * srcSize);
                else if (From == To) CopySameType(s, d, inner, ss, ds, srcSize);
                else ConvertRow(From, s, ss, To, d, ds, inner);
            }
        }
    }

    /// <inheritdoc />
    public void Fill(Tensor destination, double value)
    {
        var body = new FillRows
        {
            Layout = new StridedLayout(destination.Shape, destination.Strides),
            DType = destination.DType,
            Destination = (byte*)destination.Storage.Pointer + destination.StorageOffset * destination.DType.SizeOf(),
            Value = value,
        };
        CpuParallel.For(body.Layout.Rows, Math.Max(1, 16384 / Math.Max(body.Layout.Inner, 1)), body);
    }

    private struct FillRows : IRangeBody
    {
        public StridedLayout Layout;
        public DType DType;
        public byte* Destination;
        public double Value;

        public readonly void Run(long start, long end)
        {
            Span<long> offsets = stackalloc long[1];
            int inner = Layout.Inner, size = DType.SizeOf();
            long stride = Layout.InnerStride(0);
            for (long row = start; row < end; row++)
            {
                Layout.RowOffsets(row, offsets);
                byte* d = Destination + offsets[0] * size;
                if (DType == DType.Float32 && stride == 1) new Span<float>(d, inner).Fill((float)Value);
                else for (int i = 0; i < inner; i++) Write(DType, d + i * stride * size, Value);
            }
        }
    }

    private static void CopySameType(byte* s, byte* d, int count, long ss, long ds, int size)
    {
        switch (size)
        {
            case 1: for (int i = 0; i < count; i++) d[i * ds] = s[i * ss]; break;
            case 2: for (int i = 0; i < count; i++) ((ushort*)d)[i * ds] = ((ushort*)s)[i * ss]; break;
            case 4: for (int i = 0; i < count; i++) ((uint*)d)[i * ds] = ((uint*)s)[i * ss]; break;
            default: for (int i = 0; i < count; i++) ((ulong*)d)[i * ds] = ((ulong*)s)[i * ss]; break;
        }
    }

    private static void ConvertRow(DType from, byte* s, long ss, DType to, byte* d, long ds, int count)
    {
        if (from == DType.Float32 && to == DType.BFloat16)
        {
            for (int i = 0; i < count; i++) ((ushort*)d)[i * ds] = DTypes.FloatToBFloat16(((float*)s)[i * ss]);
        }
        else if (from == DType.BFloat16 && to == DType.Float32)
        {
            for (int i = 0; i < count; i++) ((float*)d)[i * ds] = DTypes.BFloat16ToFloat(((ushort*)s)[i * ss]);
        }
        else if (from == DType.Float32 && to == DType.Float16)
        {
            for (int i = 0; i < count; i++) ((Half*)d)[i * ds] = (Half)((float*)s)[i * ss];
        }
        else if (from == DType.Float16 && to == DType.Float32)
        {
            for (int i = 0; i < count; i++) ((float*)d)[i * ds] = (float)((Half*)s)[i * ss];
        }
        else
        {
            int srcSize = from.SizeOf(), dstSize = to.SizeOf();
            for (int i = 0; i < count; i++) Write(to, d + i * ds * dstSize, Read(from, s + i * ss * srcSize));
        }
    }

    internal static double Read(DType dtype, byte* p) => dtype switch
    {
        DType.Float32 => *(float*)p,
        DType.Float16 => (double)*(Half*)p,
        DType.BFloat16 => DTypes.BFloat16ToFloat(*(ushort*)p),
        DType.Int64 => *(long*)p,
        DType.Int32 => *(int*)p,
        DType.Int8 => *(sbyte*)p,
        DType.UInt8 => *p,
        DType.Bool => *p != 0 ? 1 : 0,
        _ => throw new ForgeException($"Unknown dtype {dtype}."),
    };

    internal static void Write(DType dtype, byte* p, double value)
    {
        switch (dtype)
        {
            case DType.Float32: *(float*)p = (float)value; break;
            case DType.Float16: *(Half*)p = (Half)value; break;
            case DType.BFloat16: *(ushort*)p = DTypes.FloatToBFloat16((float)value); break;
            case DType.Int64: *(long*)p = (long)value; break;
            case DType.Int32: *(int*)p = (int)value; break;
            case DType.Int8: *(sbyte*)p = (sbyte)value; break;
            case DType.UInt8: *p = (byte)value; break;
            case DType.Bool: *p = value != 0 ? (byte)1 : (byte)0; break;
            default: throw new ForgeException($"Unknown dtype {dtype}.");
        }
    }
}
