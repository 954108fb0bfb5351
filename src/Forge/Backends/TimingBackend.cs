using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Forge.Tensors;

namespace Forge.Backends;

/// <summary>
/// A decorator that times every kernel call of the backend it wraps, keyed by kernel name (and op for the enum-driven
/// kernels, and optionally by the operands' shapes). Create with <see cref="Wrap(IBackend)"/>, install with
/// <see cref="BackendRegistry.UseCpu"/>, read <see cref="Report"/>.
/// </summary>
public class TimingBackend : DispatchProxy
{
    private IBackend inner = null!;
    private bool keyByShape;
    private readonly ConcurrentDictionary<string, (long Calls, long Ticks)> totals = new();

    /// <summary>Wraps <paramref name="backend"/>; the result implements <see cref="IBackend"/> and <see cref="TimingBackend"/>.</summary>
    public static IBackend Wrap(IBackend backend) => Wrap(backend, keyByShape: false);

    /// <summary>
    /// Wraps <paramref name="backend"/>; with <paramref name="keyByShape"/> each kernel's key also names the shapes of its tensor
    /// operands, with ᵀ after a matrix whose last dimension is not contiguous (so "MatMul [1,64,384]x[1,384,1152]ᵀ").
    /// </summary>
    public static IBackend Wrap(IBackend backend, bool keyByShape)
    {
        IBackend proxy = Create<IBackend, TimingBackend>();
        var timing = (TimingBackend)(object)proxy;
        timing.inner = backend;
        timing.keyByShape = keyByShape;
        return proxy;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a <see cref="TimingBackend"/> around the CPU backend installed (restoring the previous
    /// one afterwards, even on failure) and returns its <see cref="Report"/>.
    /// </summary>
    public static IReadOnlyList<(string Kernel, long Calls, double Seconds)> Measure(Action body, bool keyByShape)
    {
        ArgumentNullException.ThrowIfNull(body);
        IBackend proxy = Wrap(BackendRegistry.Cpu, keyByShape);
        IBackend previous = BackendRegistry.UseCpu(proxy);
        try
        {
            body();
        }
        finally
        {
            BackendRegistry.UseCpu(previous);
        }
        return ((TimingBackend)(object)proxy).Report();
    }

    /// <summary>Calls and total seconds per kernel, slowest first.</summary>
    public IReadOnlyList<(string Kernel, long Calls, double Seconds)> Report() =>
        totals.Select(kv => (kv.Key, kv.Value.Calls, kv.Value.Ticks / (double)Stopwatch.Frequency))
              .OrderByDescending(r => r.Item3).ToList();

    /// <summary>Forgets the times measured so far.</summary>
    public void Reset() => totals.Clear();

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        long start = Stopwatch.GetTimestamp();
        try
        {
            return targetMethod.Invoke(inner, BindingFlags.DoNotWrapExceptions, null, args, null);
        }
        finally
        {
            long elapsed = Stopwatch.GetTimestamp() - start;
            string key = args is { Length: > 0 } && args[0] is Enum op ? $"{targetMethod.Name}.{op}" : targetMethod.Name;
            if (keyByShape && args is not null) key = $"{key} {string.Join("x", args.OfType<Tensor>().Select(Describe))}";
            totals.AddOrUpdate(key, (1, elapsed), (_, t) => (t.Calls + 1, t.Ticks + elapsed));
        }
    }

    private static string Describe(Tensor t) =>
        Tensor.Format(t.Shape) + (t.Dim >= 2 && t.Shape[^1] > 1 && t.Strides[^1] != 1 ? "ᵀ" : "");
}
