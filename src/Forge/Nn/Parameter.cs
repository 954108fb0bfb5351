using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// A tensor that is a learnable parameter of a module: modules find members of this type by reflection.
/// It shares the storage of the tensor it was made from (which then outlives any <see cref="TensorScope"/>) and requires
/// gradients unless told otherwise.
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/> (detached; storage shared) as a parameter.</summary>
    public Parameter(Tensor data, bool requiresGrad = true)
        : base((data ?? throw new ArgumentNullException(nameof(data))).Storage, [.. data.Shape], [.. data.Strides], data.StorageOffset)
    {
        RequiresGrad = requiresGrad;
        Storage.Kept = true;
    }
}
