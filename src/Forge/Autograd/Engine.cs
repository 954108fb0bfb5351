using Forge.Tensors;

namespace Forge.Autograd;

/// <summary>Reverse-mode differentiation over the recorded graph.</summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? gradient, bool retainGraph, bool createGraph)
    {
        if (!root.RequiresGrad) throw new ForgeException("Backward() was called on a tensor that does not require gradients (no parameter or input with RequiresGrad took part in computing it).");
        if (gradient is null)
        {
            if (root.Numel != 1) throw new ForgeException($"Backward() without a gradient needs a tensor with one element, found shape {Tensor.Format(root.Shape)}; pass the gradient explicitly.");
            gradient = Tensor.OnesLike(root);
        }
        else if (!gradient.Shape.SequenceEqual(root.Shape))
        {
            throw new ForgeException($"Gradient shape {Tensor.Format(gradient.Shape)} does not match the tensor's shape {Tensor.Format(root.Shape)}.");
        }

        Workspace workspace = spare ?? new Workspace();
        spare = null;
        try
        {
            Run(root, gradient, retainGraph, createGraph, workspace);
        }
        finally
        {
            workspace.Clear();
            spare = workspace;
        }
    }

    /// <summary>The collections of this thread's last finished pass, kept (emptied) for the next: a pass over a large graph
    /// otherwise grows them from empty every training step. A backward run from inside another (a hook) gets its own.</summary>
    [ThreadStatic]
    private static Workspace? spare;

    private static void Run(Tensor root, Tensor gradient, bool retainGraph, bool createGraph, Workspace workspace)
    {
        List<Tensor> order = TopologicalOrder(root, workspace);
        var buffers = new GradientBuffers(enabled: !createGraph, workspace.Holders);
        Dictionary<Tensor, PendingGradient> pending = workspace.Pending;
        pending[root] = new PendingGradient(gradient, buffers);
        using var mode = createGraph ? GradMode.EnableGrad() : GradMode.NoGrad();
        foreach (Tensor tensor in order)
        {
            if (!pending.Remove(tensor, out PendingGradient? entry)) continue;
            var (grad, owned) = entry.Materialize(createGraph);
            bool hooked = false;
            if (tensor.Hooks is { } hooks)
            {
                foreach (var hook in hooks.ToArray()) grad = hook(grad) ?? grad;
                owned = false;
                hooked = true;
            }
            GradNode? node = tensor.GradFn;
            if (node is null || tensor.RetainsGrad)
                Accumulate(tensor, grad, createGraph, transfer: owned && node is null, disposable: node is null && !hooked && buffers.IsExclusive(grad));
            if (node is not null)
            {
                if (!createGraph && node.Slice is { } slice)
                {
                    // A slice's gradient is kept as it is and written into the input's full gradient once all its consumers are done.
                    if (node.Inputs[0] is { RequiresGrad: true } sliced) PendingFor(pending, sliced, buffers).AddSlice(slice, grad);
                }
                else if (!createGraph && node.Rows is { } rows)
                {
                    // Gathered rows' gradients are added into the input's gradient once all its other contributions are summed.
                    if (node.Inputs[0] is { RequiresGrad: true } gathered) PendingFor(pending, gathered, buffers).AddRows(rows, grad);
                }
                else
                {
                    Tensor?[] inputs = node.Inputs;
                    Tensor?[] inputGrads = node.Apply(grad);
                    for (int i = 0; i < inputs.Length; i++)
                    {
                        Tensor? input = inputs[i];
                        Tensor? g = inputGrads[i];
                        if (input is null || g is null || !input.RequiresGrad) continue;
                        if (!g.Shape.SequenceEqual(input.Shape)) throw new InvalidOperationException($"{node.Name} produced a gradient of shape {Tensor.Format(g.Shape)} for an input of shape {Tensor.Format(input.Shape)}.");
                        PendingFor(pending, input, buffers).Add(g, createGraph);
                    }
                }
                if (!retainGraph && !createGraph) node.Release();
            }
            // A hook may have kept the gradient it saw; otherwise the engine is done with this one.
            if (!hooked) buffers.Drop(grad);
        }
    }

    private static PendingGradient PendingFor(Dictionary<Tensor, PendingGradient> pending, Tensor tensor, GradientBuffers buffers)
    {
        if (!pending.TryGetValue(tensor, out PendingGradient? entry)) pending[tensor] = entry = new PendingGradient(null, buffers);
        return entry;
    }

    /// <summary>
    /// Gives the memory of intermediate gradients back to the pool as soon as the engine is done with them, so a backward pass
    /// needs at most the gradients pending at once rather than all it computed (which a <see cref="TensorScope"/> would otherwise
    /// hold until it ends). Only storages created during this pass count, each as long as a pending gradient refers to it; one
    /// that became a <see cref="Tensor.Grad"/> (or was otherwise kept) is never released. Off when the pass records a graph.
    /// </summary>
    private sealed class GradientBuffers(bool enabled, Dictionary<Storage, int> holders)
    {
        private readonly long firstSerial = Storage.NextSerial;

        /// <summary>A pending gradient refers to <paramref name="gradient"/>'s storage.</summary>
        public void Hold(Tensor gradient)
        {
            Storage storage = gradient.Storage;
            if (!enabled || storage.Serial < firstSerial) return;
            holders[storage] = holders.GetValueOrDefault(storage) + 1;
        }

        /// <summary>
        /// Whether only one pending gradient refers to <paramref name="gradient"/>'s storage, created in this pass and not kept, and
        /// the gradient is contiguous: the engine may then add into it in place.
        /// </summary>
        public bool IsExclusive(Tensor gradient)
        {
            Storage storage = gradient.Storage;
            return enabled && storage.Serial >= firstSerial && !storage.Kept && gradient.IsContiguous
                && holders.TryGetValue(storage, out int count) && count == 1;
        }

        /// <summary>One reference to <paramref name="gradient"/>'s storage is gone; the last one releases it.</summary>
        public void Drop(Tensor gradient)
        {
            Storage storage = gradient.Storage;
            if (!enabled || storage.Serial < firstSerial || !holders.TryGetValue(storage, out int count)) return;
            if (count > 1)
            {
                holders[storage] = count - 1;
                return;
            }
            holders.Remove(storage);
            if (!storage.Kept) storage.Release();
        }
    }

    /// <summary>
    /// Stores the gradient of a leaf (or a tensor that retains its gradient); an engine-owned gradient, or one that is
    /// <paramref name="disposable"/> (the engine releases it next), is kept without a copy, and a disposable one may instead
    /// trade its memory with a kept buffer.
    /// </summary>
    private static void Accumulate(Tensor tensor, Tensor grad, bool createGraph, bool transfer, bool disposable)
    {
        if (createGraph) StoreGrad(tensor, tensor.Grad is { } existing ? existing.Add(grad) : grad);
        else if (!tensor.AccumulateIntoGrad(grad, disposable))
            StoreGrad(tensor, transfer || disposable && grad.OwnsWholeStorage ? grad.Detach() : grad.Detach().Clone());
    }

    /// <summary>Sets a tensor's gradient; a <see cref="StepGraph"/> being captured sets it again at each replay (after ZeroGrad to none).</summary>
    private static void StoreGrad(Tensor tensor, Tensor grad)
    {
        tensor.Grad = grad;
        StepGraph.Capturing?.AddHostWork(tensor.GradSetter(grad));
    }

    /// <summary>
    /// The gradient collected for one tensor: the sum of the dense contributions, added in place once the engine owns the sum
    /// (a tensor only it holds), and the gradients of slices of the tensor, written into the full gradient at the end (into an
    /// uninitialized tensor when the slices tile it, as after Split).
    /// </summary>
    private sealed class PendingGradient
    {
        private readonly GradientBuffers buffers;
        private Tensor? dense;
        private bool denseOwned;
        private List<(SliceOfInput Slice, Tensor Gradient)>? slices;
        private List<(RowsOfInput Rows, Tensor Gradient)>? rows;

        public PendingGradient(Tensor? gradient, GradientBuffers buffers)
        {
            this.buffers = buffers;
            dense = gradient;
            if (gradient is not null) buffers.Hold(gradient);
        }

        public void Add(Tensor g, bool createGraph)
        {
            buffers.Hold(g);
            if (dense is null)
            {
                dense = g;
                return;
            }
            if (denseOwned && !createGraph || buffers.IsExclusive(dense) && g.DType == dense.DType)
            {
                dense.AddInPlace(g);
            }
            else if (buffers.IsExclusive(g) && g.DType == dense.DType)
            {
                // Addition commutes exactly, so the sum can be built in the new gradient's memory.
                g.AddInPlace(dense);
                (dense, g) = (g, dense);
                denseOwned = true;
            }
            else
            {
                Tensor previous = dense;
                dense = dense.Add(g);
                denseOwned = !createGraph;
                buffers.Hold(dense);
                buffers.Drop(previous);
            }
            buffers.Drop(g);
        }

        public void AddSlice(SliceOfInput slice, Tensor g)
        {
            buffers.Hold(g);
            (slices ??= []).Add((slice, g));
        }

        public void AddRows(RowsOfInput gathered, Tensor g)
        {
            buffers.Hold(g);
            (rows ??= []).Add((gathered, g));
        }

        /// <summary>The full gradient, and whether the engine alone holds it.</summary>
        public (Tensor Gradient, bool Owned) Materialize(bool createGraph)
        {
            if (rows is not null) return AddRowsInto(createGraph);
            if (slices is null) return (dense!, denseOwned && !createGraph);
            Tensor first = slices[0].Gradient;
            int[] shape = slices[0].Slice.InputShape;
            bool tiled = dense is null && Tiles(slices);
            Tensor result = tiled ? Tensor.Empty(shape, first.DType, first.Device)
                : denseOwned ? dense!
                : dense?.Clone() ?? Tensor.Zeros(shape, first.DType, first.Device);
            if (!ReferenceEquals(result, dense))
            {
                buffers.Hold(result);
                if (dense is not null) buffers.Drop(dense);
            }
            foreach (var (slice, g) in slices)
            {
                Tensor target = result.Slice(slice.Dim, slice.Start, slice.End, slice.Step);
                if (tiled) target.CopyFrom(g);
                else target.AddInPlace(g);
                buffers.Drop(g);
            }
            return (result, true);
        }

        /// <summary>
        /// The other contributions' sum with every gathered row's gradient added into its input row: in place when the engine
        /// alone holds that sum, otherwise (or without other contributions) into zeros that are then added to it.
        /// </summary>
        private (Tensor Gradient, bool Owned) AddRowsInto(bool createGraph)
        {
            var gathered = rows!;
            rows = null;
            Tensor first = gathered[0].Gradient;
            var (others, owned) = slices is null && dense is null ? (null, false) : Materialize(createGraph);
            bool inPlace = others is not null && (owned || buffers.IsExclusive(others)) && others.IsContiguous && others.DType == first.DType;
            Tensor result = inPlace ? others! : Tensor.Zeros(gathered[0].Rows.InputShape, first.DType, first.Device);
            foreach (var (row, g) in gathered)
            {
                result.Backend.IndexAdd(result, 0, row.Index, g.Reshape(-1, result.Shape[1]).Contiguous());
                buffers.Drop(g);
            }
            if (inPlace) return (result, true);
            if (others is not null) result = others.Add(result);
            buffers.Hold(result);
            if (others is not null) buffers.Drop(others);
            return (result, true);
        }

        /// <summary>Whether the slices are step-1 pieces of one dimension that cover it exactly once.</summary>
        private static bool Tiles(List<(SliceOfInput Slice, Tensor Gradient)> slices)
        {
            SliceOfInput first = slices[0].Slice;
            var pieces = slices.Select(s => s.Slice).OrderBy(s => s.Start).ToList();
            int next = 0;
            foreach (SliceOfInput piece in pieces)
            {
                if (piece.Dim != first.Dim || piece.Step != 1 || piece.Start != next) return false;
                next = piece.End;
            }
            return next == first.InputShape[first.Dim];
        }
    }

    /// <summary>Tensors reachable from the root, each after every tensor that consumes it (reverse post-order).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root, Workspace workspace)
    {
        HashSet<Tensor> visited = workspace.Visited;
        List<Tensor> postOrder = workspace.Order;
        Stack<(Tensor Tensor, int NextInput)> stack = workspace.Stack;
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (tensor, next) = stack.Pop();
            Tensor?[] inputs = tensor.GradFn?.Inputs ?? [];
            bool descended = false;
            for (int i = next; i < inputs.Length; i++)
            {
                Tensor? input = inputs[i];
                if (input is null || !input.RequiresGrad || !visited.Add(input)) continue;
                stack.Push((tensor, i + 1));
                stack.Push((input, 0));
                descended = true;
                break;
            }
            if (!descended) postOrder.Add(tensor);
        }
        postOrder.Reverse();
        return postOrder;
    }

    /// <summary>The collections one backward pass works with.</summary>
    private sealed class Workspace
    {
        public HashSet<Tensor> Visited { get; } = new(ReferenceEqualityComparer.Instance);

        public List<Tensor> Order { get; } = [];

        public Stack<(Tensor Tensor, int NextInput)> Stack { get; } = new();

        public Dictionary<Tensor, PendingGradient> Pending { get; } = new(ReferenceEqualityComparer.Instance);

        public Dictionary<Storage, int> Holders { get; } = new(ReferenceEqualityComparer.Instance);

        /// <summary>Empties every collection (keeping their capacity), so no tensor of the finished pass stays reachable.</summary>
        public void Clear()
        {
            Visited.Clear();
            Order.Clear();
            Stack.Clear();
            Pending.Clear();
            Holders.Clear();
        }
    }
}
