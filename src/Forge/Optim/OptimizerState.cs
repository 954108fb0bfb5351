using System.Text.Json.Nodes;
using Forge.Tensors;

namespace Forge.Optim;

/// <summary>
/// An optimizer's state as named tensors plus JSON values, so a checkpoint can store it as safetensors + JSON.
/// <see cref="Tensors"/> holds per-parameter buffers under keys "state.{index}.{buffer}" (index counts parameters across
/// groups in order, buffer is e.g. "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer"). <see cref="Values"/> holds
/// "optimizer" (the type name), "state" ({"index": {"step": n}}) and "param_groups" (per group: "params" indices and the
/// hyper-parameters under PyTorch's names: "lr", "weight_decay", "momentum", "beta1", "eps", "initial_lr", ...).
/// </summary>
public sealed class OptimizerState
{
    /// <summary>Wraps tensors and values (for example as read back from a checkpoint).</summary>
    public OptimizerState(IReadOnlyDictionary<string, Tensor> tensors, JsonObject values)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(values);
        Tensors = tensors;
        Values = values;
    }

    /// <summary>The state buffers by key.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>Step counts and hyper-parameters.</summary>
    public JsonObject Values { get; }
}
