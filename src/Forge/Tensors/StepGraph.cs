using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using Forge.Backends;

namespace Forge.Tensors;

/// <summary>
/// A step recorded once and replayed, as PyTorch's CUDA graphs do: <see cref="Capture"/> runs the step, recording every kernel
/// call it makes on this thread with its operands; <see cref="Replay"/> runs the same kernels again on the same tensors, without
/// building tensors, autograd graphs or closures, so a replayed step allocates no managed memory.
/// </summary>
/// <remarks>
/// <para>The step's tensors are static. To feed a new batch, copy it into the input tensors the step was captured with
/// (<see cref="Tensor.CopyFrom"/>) before replaying; read the results (the loss, the parameters' gradients) from the tensors the
/// capture produced. The shapes and the path through the step must not change, and the step must not read values on the host
/// (<see cref="Tensor.Item"/>, <see cref="Tensor.ToArray{T}"/>) or draw random tensors there: a replay would not repeat those
/// decisions, so capture refuses them. Dropout masks and seeds are drawn again at each replay, in the order the eager step
/// draws them.</para>
/// <para>The memory of every tensor created during the capture belongs to the graph (the step's temporaries are not released
/// early and no <see cref="TensorScope"/> takes them back) until the graph is disposed; gradients stored in
/// <see cref="Tensor.Grad"/> and other kept tensors stay valid after that.</para>
/// <para>Typical use: <c>graph = StepGraph.Capture(() =&gt; { optimizer.ZeroGrad(); loss = model.Loss(x, y); loss.Backward(); });</c>
/// then per step <c>x.CopyFrom(batch); graph.Replay(); optimizer.Step();</c>.</para>
/// </remarks>
public sealed class StepGraph : IDisposable
{
    [ThreadStatic]
    private static StepGraph? capturing;

    private static readonly ConcurrentDictionary<MethodInfo, MethodInvoker> Invokers = new();

    private readonly List<Entry> entries = [];
    private readonly List<Storage> storages = [];
    private readonly Dictionary<ulong, Seed> seeds = [];

    /// <summary>Memory the capture's temporaries gave back, by array length, for its later allocations.</summary>
    private readonly Dictionary<int, Stack<(object Owner, long[] Array)>> free = [];
    private bool disposed;

    private StepGraph()
    {
    }

    /// <summary>The graph being captured on this thread, or null.</summary>
    internal static StepGraph? Capturing => capturing;

    /// <summary>Kernel calls a replay makes.</summary>
    public int KernelCount { get; private set; }

    /// <summary>Pieces of host work a replay repeats (dropout masks, seeds, index checks, gradient bookkeeping).</summary>
    public int HostWorkCount => entries.Count - KernelCount;

    /// <summary>Runs <paramref name="step"/> once and records it; the step's effects are those of running it eagerly.</summary>
    public static StepGraph Capture(Action step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (capturing is not null) throw new StepGraphCaptureException("A step graph is already being captured on this thread; captures do not nest.");
        var graph = new StepGraph();
        IBackend inner = BackendRegistry.Cpu;
        IBackend previous = BackendRegistry.UseCpu(Recorder.Wrap(inner, graph));
        capturing = graph;
        try
        {
            step();
        }
        catch
        {
            capturing = null;
            graph.Dispose();
            throw;
        }
        finally
        {
            capturing = null;
            BackendRegistry.UseCpu(previous);
        }
        return graph;
    }

    /// <summary>Runs the recorded kernels and host work again, in order, on the CPU backend installed now.</summary>
    public void Replay()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (capturing is not null) throw new ForgeException("Cannot replay a step graph while another is being captured on this thread.");
        IBackend backend = BackendRegistry.Cpu;
        foreach (Entry entry in entries)
        {
            // A method invoker lets the kernel's own exception through (no TargetInvocationException around it).
            if (entry.Host is { } host) host();
            else entry.Invoker!.Invoke(backend, entry.Arguments.AsSpan());
        }
    }

    /// <summary>Gives the memory of the tensors created during the capture back to the pool (except kept ones: gradients, state).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        var kept = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (Storage storage in storages)
        {
            if (storage.Kept) kept.Add(storage.Owner!);
        }
        var returned = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (Storage storage in storages)
        {
            if (!kept.Contains(storage.Owner!)) storage.ReleaseFromGraph(returnMemory: returned.Add(storage.Owner!));
        }
        storages.Clear();
        free.Clear();
        entries.Clear();
    }

    /// <summary>Records host work that a replay repeats at this point; the caller runs it now itself.</summary>
    internal void AddHostWork(Action work) => entries.Add(new Entry(work));

    /// <summary>
    /// Takes a storage allocated during the capture: the graph holds it (releases wait for <see cref="Dispose"/>), and a zeroed
    /// one is zeroed again at each replay, since kernels of the step may accumulate into it.
    /// </summary>
    internal void Track(Storage storage, bool zeroed)
    {
        storages.Add(storage);
        if (zeroed) AddHostWork(() => storage.AsSpan<byte>().Clear());
    }

    /// <summary>
    /// Records the values the host has just written into a tensor created during the capture (Arange, FromArray): a replay
    /// writes them again at this point, since once the step has released the tensor its memory may hold a later temporary.
    /// </summary>
    internal void RestoreAtReplay(Storage storage)
    {
        byte[] values = storage.AsSpan<byte>().ToArray();
        AddHostWork(() => values.CopyTo(storage.AsSpan<byte>()));
    }

    /// <summary>Takes back the memory of a temporary the step released during the capture (the autograd engine frees gradients early).</summary>
    internal void Recycle(object owner, long[] array)
    {
        if (!free.TryGetValue(array.Length, out var stack)) free[array.Length] = stack = new();
        stack.Push((owner, array));
    }

    /// <summary>
    /// Memory for an allocation of <paramref name="words"/> during the capture from what its temporaries gave back (cleared when
    /// <paramref name="zeroed"/>): a replay runs the kernels in the same order, so the storages sharing it never overlap in time.
    /// </summary>
    internal bool TryReuse(int words, bool zeroed, [NotNullWhen(true)] out object? owner, [NotNullWhen(true)] out long[]? array)
    {
        if (free.TryGetValue(CpuMemoryPool.ArrayWords(words), out var stack) && stack.TryPop(out var memory))
        {
            (owner, array) = memory;
            if (zeroed) Array.Clear(array);
            return true;
        }
        owner = null;
        array = null;
        return false;
    }

    /// <summary>
    /// Draws a seed for a kernel (dropout in fused attention) from <paramref name="generator"/>; while capturing, the kernels that
    /// receive it as their <c>seed</c> argument get a fresh draw at each replay.
    /// </summary>
    internal static ulong DrawSeed(Generator generator)
    {
        ulong value = generator.NextUInt64();
        if (capturing is { } graph)
        {
            var seed = new Seed(generator);
            graph.seeds[value] = seed;
            graph.AddHostWork(seed.Redraw);
        }
        return value;
    }

    private void AddKernel(MethodInfo method, object?[] arguments)
    {
        ParameterInfo[] parameters = method.GetParameters();
        for (int i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].Name == "seed" && arguments[i] is ulong value && seeds.TryGetValue(value, out Seed? seed)) seed.Boxes.Add(arguments[i]!);
        }
        entries.Add(new Entry(Invokers.GetOrAdd(method, MethodInvoker.Create), arguments));
        KernelCount++;
    }

    private readonly record struct Entry(MethodInvoker? Invoker, object?[] Arguments, Action? Host)
    {
        public Entry(MethodInvoker invoker, object?[] arguments) : this(invoker, arguments, null)
        {
        }

        public Entry(Action host) : this(null, [], host)
        {
        }
    }

    /// <summary>A seed drawn during capture, and the boxed arguments of the kernel calls that received it.</summary>
    private sealed class Seed(Generator generator)
    {
        public List<object> Boxes { get; } = [];

        public void Redraw()
        {
            ulong value = generator.NextUInt64();
            foreach (object box in Boxes) Unsafe.Unbox<ulong>(box) = value;
        }
    }

    /// <summary>The backend installed while a step is captured: it runs each kernel and records it for the capturing thread.</summary>
    private class Recorder : DispatchProxy
    {
        private IBackend inner = null!;
        private StepGraph graph = null!;

        public static IBackend Wrap(IBackend inner, StepGraph graph)
        {
            IBackend proxy = Create<IBackend, Recorder>();
            var recorder = (Recorder)(object)proxy;
            recorder.inner = inner;
            recorder.graph = graph;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            object?[] arguments = args ?? [];
            bool ownThread = ReferenceEquals(capturing, graph), records = ownThread && targetMethod.ReturnType == typeof(void);
            if (ownThread && !records && targetMethod.Name is not (nameof(IBackend.Allocate) or "get_Name"))
            {
                throw new StepGraphCaptureException($"The kernel {targetMethod.Name} returns a value to the host, which a step graph cannot replay; run it outside the capture.");
            }
            object? result = targetMethod.Invoke(inner, BindingFlags.DoNotWrapExceptions, null, arguments, null);
            if (records) graph.AddKernel(targetMethod, (object?[])arguments.Clone());
            return result;
        }
    }
}
