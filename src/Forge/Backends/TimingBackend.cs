using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Forge.Backends;

/// <summary>
/// A decorator that times every kernel call of the backend it wraps, keyed by kernel name (and op for the enum-driven
/// kernels). Create with <see cref="Wrap"/>, install with <see cref="BackendRegistry.UseCpu"/>, read <see cref="Report"/>.
/// </summary>
public class TimingBackend : DispatchProxy
{
    private IBackend inner = null!;
    private readonly ConcurrentDictionary<string, (long Calls, long Ticks)> totals = new();

    /// <summary>Wraps <paramref name="backend"/>; the result implements <see cref="IBackend"/> and <see cref="TimingBackend"/>.</summary>
    public static IBackend Wrap(IBackend backend)
    {
        IBackend proxy = Create<IBackend, TimingBackend>();
        ((TimingBackend)(object)proxy).inner = backend;
        return proxy;
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
            return targetMethod.Invoke(inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        finally
        {
            long elapsed = Stopwatch.GetTimestamp() - start;
            string key = args is { Length: > 0 } && args[0] is Enum op ? $"{targetMethod.Name}.{op}" : targetMethod.Name;
            totals.AddOrUpdate(key, (1, elapsed), (_, t) => (t.Calls + 1, t.Ticks + elapsed));
        }
    }
}
