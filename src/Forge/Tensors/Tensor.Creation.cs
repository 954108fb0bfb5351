using Forge.Autograd;
using Forge.Backends;

namespace Forge.Tensors;

public partial class Tensor
{
    /// <summary>An uninitialized tensor.</summary>
    public static Tensor Empty(int[] shape, DType dtype = DType.Float32, Device? device = null) =>
        Allocate(shape, dtype, device ?? Device.Cpu, zeroed: false);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, Device? device = null) =>
        Allocate(shape, dtype, device ?? Device.Cpu, zeroed: true);

    /// <summary>A Float32 tensor of zeros with the given sizes.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 1, dtype, device);

    /// <summary>A Float32 tensor of ones with the given sizes.</summary>
    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        Tensor t = Empty(shape, dtype, device);
        t.Backend.Fill(t, value);
        return t;
    }

    /// <summary>A zero-dimensional Float32 tensor.</summary>
    public static Tensor Scalar(float value, Device? device = null) => Full([], value, DType.Float32, device);

    /// <summary>Zeros with the shape, dtype and device of <paramref name="other"/>.</summary>
    public static Tensor ZerosLike(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Zeros(other.shape, other.DType, other.Device);
    }

    /// <summary>Ones with the shape, dtype and device of <paramref name="other"/>.</summary>
    public static Tensor OnesLike(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Ones(other.shape, other.DType, other.Device);
    }

    /// <summary>An uninitialized tensor with the shape, dtype and device of <paramref name="other"/>.</summary>
    public static Tensor EmptyLike(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Uninitialized(other.shape, other.DType, other.Device);
    }

    /// <summary>
    /// Values start, start+step, ... below end. Without a dtype the result is Int64 when start, end and step are all
    /// whole numbers and Float32 otherwise, like torch.arange.
    /// </summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null, Device? device = null)
    {
        if (!double.IsFinite(start) || !double.IsFinite(end) || !double.IsFinite(step))
            throw new ForgeException($"Arange needs finite start, end and step, found {start}, {end} and {step}.");
        if (step == 0) throw new ForgeException("Arange step must not be zero.");
        int count = checked((int)Math.Max(0, Math.Ceiling((end - start) / step)));
        bool integral = double.IsInteger(start) && double.IsInteger(end) && double.IsInteger(step);
        Tensor t = Empty([count], dtype ?? (integral ? DType.Int64 : DType.Float32));
        for (int i = 0; i < count; i++) t.SetElement(i, start + i * step);
        StepGraph.Capturing?.RestoreAtReplay(t.Storage);
        return t.To(device ?? Device.Cpu);
    }

    /// <summary>Values 0, 1, ..., end-1 as Int64.</summary>
    public static Tensor Arange(long end) => Arange(0, end);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null, Device? device = null)
    {
        var g = HostGenerator(generator);
        var data = new float[ShapeNumel(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = g.NextFloat();
        return FromArray(data, shape).To(device ?? Device.Cpu);
    }

    /// <summary>Standard normal samples.</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null, Device? device = null)
    {
        var g = HostGenerator(generator);
        var data = new float[ShapeNumel(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)g.NextNormal();
        return FromArray(data, shape).To(device ?? Device.Cpu);
    }

    /// <summary>Uniform integers in [low, high) as Int64.</summary>
    public static Tensor RandInt(long low, long high, int[] shape, Generator? generator = null, Device? device = null)
    {
        if (high <= low) throw new ForgeException($"RandInt needs low < high, found [{low}, {high}).");
        var g = HostGenerator(generator);
        var data = new long[ShapeNumel(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = low + g.NextInt64(high - low);
        return FromArray(data, shape).To(device ?? Device.Cpu);
    }

    /// <summary>The generator a random tensor is drawn from on the host: not inside a step graph's capture, whose replays would not draw again.</summary>
    private static Generator HostGenerator(Generator? generator) => StepGraph.Capturing is null ? generator ?? Generator.Default
        : throw new StepGraphCaptureException("A step being captured into a StepGraph cannot draw random tensors on the host (Rand, Randn, RandInt): a replay would reuse the same values. Create them outside the capture and refill them before each replay.");

    /// <summary>A CPU tensor holding a copy of <paramref name="data"/>; without a shape it is one-dimensional.</summary>
    public static Tensor FromArray<T>(T[] data, params int[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        int[] dims = shape.Length == 0 ? [data.Length] : shape;
        if (ShapeNumel(dims) != data.Length)
            throw new ForgeException($"Shape {Format(dims)} holds {ShapeNumel(dims)} elements, but {data.Length} values were given.");
        Tensor t = Empty(dims, DTypeOf<T>());
        data.AsSpan().CopyTo(t.Span<T>());
        StepGraph.Capturing?.RestoreAtReplay(t.Storage);
        return t;
    }

    /// <summary>The dtype that stores <typeparamref name="T"/>.</summary>
    public static DType DTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(int) ? DType.Int32
        : typeof(T) == typeof(bool) ? DType.Bool
        : typeof(T) == typeof(sbyte) ? DType.Int8
        : typeof(T) == typeof(byte) ? DType.UInt8
        : typeof(T) == typeof(Half) ? DType.Float16
        : throw new ForgeException($"No dtype stores {typeof(T).Name}; use float, long, int, bool, sbyte, byte or Half.");

    /// <summary>A copy of the elements in row-major order; <typeparamref name="T"/> must match the dtype (BFloat16 reads as ushort).</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        ThrowIfCapturing();
        bool matches = DType == DType.BFloat16 ? typeof(T) == typeof(ushort) : DTypeOf<T>() == DType;
        if (!matches) throw new ForgeException($"ToArray<{typeof(T).Name}>() does not match dtype {DType}; convert with To(dtype) first.");
        Tensor source = Device.Type == DeviceType.Cpu ? this : To(Device.Cpu);
        Tensor dense = source.IsContiguous ? source : source.Contiguous();
        T[] values = dense.Span<T>().ToArray();
        GC.KeepAlive(dense);
        return values;
    }

    /// <summary>The value of a one-element tensor, as a float.</summary>
    public float Item()
    {
        if (Numel != 1) throw new ForgeException($"Item() needs a tensor with one element, found shape {Format(shape)}.");
        ThrowIfCapturing();
        return Device.Type == DeviceType.Cpu ? (float)GetElement(0) : To(DType.Float32).ToArray<float>()[0];
    }

    private static void ThrowIfCapturing()
    {
        if (StepGraph.Capturing is not null)
            throw new StepGraphCaptureException("A step being captured into a StepGraph cannot read tensor values on the host (Item, ToArray): a replay would not repeat what it decided. Read them after the capture or a replay.");
    }

    /// <summary>A copy converted to <paramref name="dtype"/> (this tensor itself when the dtype already matches). Differentiable between float types.</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        Tensor result = Empty(shape, dtype, Device);
        Backend.Copy(this, result);
        if (dtype.IsFloatingPoint() && DType.IsFloatingPoint())
        {
            DType original = DType;
            return Record(result, "ToBackward", g => [g.To(original)], this);
        }
        return result;
    }

    /// <summary>A copy on <paramref name="device"/> (this tensor itself when already there).</summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        BackendRegistry.For(device);
        throw new ForgeException($"Copying between {Device} and {device} is not available yet.");
    }

    /// <summary>A new tensor with the same values in its own contiguous storage. Differentiable.</summary>
    public Tensor Clone()
    {
        Tensor result = Uninitialized(shape, DType, Device);
        Backend.Copy(this, result);
        return Record(result, "CloneBackward", g => [g], this);
    }

    /// <summary>This tensor if contiguous, otherwise a contiguous copy. Differentiable.</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>Copies <paramref name="source"/> (broadcast to this shape, converted to this dtype) into this tensor, without recording gradients.</summary>
    public Tensor CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Backend.Copy(source.KernelOperand(shape), this);
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/>, without recording gradients.</summary>
    public Tensor Fill(double value)
    {
        Backend.Fill(this, value);
        return this;
    }

    /// <summary>Sets every element to zero.</summary>
    public Tensor Zero() => Fill(0);

    private static Tensor Allocate(int[] shape, DType dtype, Device device, bool zeroed)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return Uninitialized((int[])shape.Clone(), dtype, device, zeroed);
    }

    /// <summary>
    /// A new contiguous tensor that takes <paramref name="shape"/> as its own, without copying it: for an array built for it, or
    /// another tensor's shape (tensors never change their shape arrays).
    /// </summary>
    internal static Tensor Uninitialized(int[] shape, DType dtype, Device device, bool zeroed = false)
    {
        Storage storage = BackendRegistry.For(device).Allocate(dtype, ShapeNumel(shape), zeroed);
        return new Tensor(storage, shape);
    }

    /// <summary>Writes element <paramref name="index"/> (row-major) of a contiguous CPU tensor.</summary>
    internal unsafe void SetElement(long index, double value)
    {
        Backends.Cpu.CpuBackend.Write(DType, (byte*)storage.Pointer + (offset + index) * DType.SizeOf(), value);
        GC.KeepAlive(this);
    }

    /// <summary>Reads element <paramref name="index"/> (row-major) of a contiguous CPU tensor.</summary>
    internal unsafe double GetElement(long index)
    {
        double value = Backends.Cpu.CpuBackend.Read(DType, (byte*)storage.Pointer + (offset + index) * DType.SizeOf());
        GC.KeepAlive(this);
        return value;
    }

    internal static long ShapeNumel(IReadOnlyList<int> shape)
    {
        long n = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ForgeException($"Tensor sizes must be non-negative, found shape {Format(shape)}.");
            n *= s;
        }
        return n;
    }

    /// <summary>"AddBackward", "GeluTanhBackward", ...: the name of the node that differentiates <paramref name="op"/>, built once per op.</summary>
    private static string BackwardName<TOp>(TOp op) where TOp : struct, Enum => BackwardNames<TOp>.Of[op];

    private static class BackwardNames<TOp> where TOp : struct, Enum
    {
        public static readonly Dictionary<TOp, string> Of = Enum.GetValues<TOp>().Distinct().ToDictionary(op => op, op => op + "Backward");
    }

    /// <summary>Records <paramref name="result"/> as produced from <paramref name="inputs"/> when any of them needs gradients.</summary>
    internal static Tensor Record(Tensor result, string name, Func<Tensor, Tensor?[]> backward, params ReadOnlySpan<Tensor?> inputs)
    {
        if (Tracks(inputs)) result.GradFn = new GradNode(name, inputs.ToArray(), backward);
        return result;
    }

    /// <summary>
    /// Whether an operation on <paramref name="inputs"/> is recorded: grad mode is on and one of them requires gradients. The
    /// busiest operations ask first and build their backward closure in a separate method only then, so inference creates none.
    /// </summary>
    internal static bool Tracks(params ReadOnlySpan<Tensor?> inputs)
    {
        if (!GradMode.IsEnabled) return false;
        foreach (Tensor? input in inputs)
        {
            if (input is not null && input.RequiresGrad) return true;
        }
        return false;
    }
}
