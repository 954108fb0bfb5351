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

        List<Tensor> order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradient };
        using var mode = createGraph ? GradMode.EnableGrad() : GradMode.NoGrad();
        foreach (Tensor tensor in order)
        {
            if (!grads.Remove(tensor, out Tensor? grad)) continue;
            if (tensor.Hooks is { } hooks)
            {
                foreach (var hook in hooks.ToArray()) grad = hook(grad) ?? grad;
            }
            GradNode? node = tensor.GradFn;
            if (node is null || tensor.RetainsGrad) Accumulate(tensor, grad, createGraph);
            if (node is null) continue;
            Tensor?[] inputs = node.Inputs;
            Tensor?[] inputGrads = node.Apply(grad);
            for (int i = 0; i < inputs.Length; i++)
            {
                Tensor? input = inputs[i];
                Tensor? g = inputGrads[i];
                if (input is null || g is null || !input.RequiresGrad) continue;
                if (!g.Shape.SequenceEqual(input.Shape)) throw new InvalidOperationException($"{node.Name} produced a gradient of shape {Tensor.Format(g.Shape)} for an input of shape {Tensor.Format(input.Shape)}.");
                grads[input] = grads.TryGetValue(input, out Tensor? existing) ? existing.Add(g) : g;
            }
            if (!retainGraph && !createGraph) node.Release();
        }
    }

    private static void Accumulate(Tensor tensor, Tensor grad, bool createGraph)
    {
        if (tensor.Grad is null) tensor.Grad = createGraph ? grad : grad.Detach().Clone();
        else if (createGraph) tensor.Grad = tensor.Grad.Add(grad);
        else tensor.Grad.AddInPlace(grad);
    }

    /// <summary>Tensors reachable from the root, each after every tensor that consumes it (reverse post-order).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var postOrder = new List<Tensor>();
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
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
}
