using System.Text.Json.Nodes;
using Forge.Tensors;

namespace Forge.Serialization;

/// <summary>What <see cref="Checkpoint.Load"/> returns: the weights, the free-form state, and the optimizer tensors when they were saved.</summary>
public sealed record CheckpointData(
    IReadOnlyDictionary<string, Tensor> Weights,
    JsonObject State,
    IReadOnlyDictionary<string, Tensor>? OptimizerTensors);
