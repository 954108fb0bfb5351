using Forge.Tensors;

namespace Forge.Backends;

public partial interface IBackend
{
    /// <summary>
    /// result[p] = x[p with dimension <paramref name="dimension"/> replaced by index[p]] for every position p of the contiguous Int64
    /// <paramref name="index"/>; x has any strides, result is contiguous with the index's shape. Indices are already validated.
    /// </summary>
    void Gather(Tensor x, int dimension, Tensor index, Tensor result);

    /// <summary>
    /// result[p with dimension <paramref name="dimension"/> replaced by index[p]] += source[p] for every position p of the contiguous
    /// Int64 <paramref name="index"/>; Float32 result is contiguous, source has any strides. Indices are already validated.
    /// </summary>
    void ScatterAdd(Tensor result, int dimension, Tensor index, Tensor source);

    /// <summary>
    /// Picks slices of the contiguous <paramref name="x"/> along <paramref name="dimension"/>: result[.., j, ..] = x[.., index[j], ..];
    /// index is a contiguous 1-D Int64 tensor of validated indices, result is contiguous.
    /// </summary>
    void IndexSelect(Tensor x, int dimension, Tensor index, Tensor result);

    /// <summary>
    /// Accumulates slices along <paramref name="dimension"/>: result[.., index[j], ..] += source[.., j, ..] (repeated indices add up);
    /// Float32 result and source are contiguous, index is a contiguous 1-D Int64 tensor of validated indices.
    /// </summary>
    void IndexAdd(Tensor result, int dimension, Tensor index, Tensor source);

    /// <summary>
    /// Overwrites slices along <paramref name="dimension"/>: result[.., index[j], ..] = source[.., j, ..]; result and source are
    /// contiguous and of one dtype, index is a contiguous 1-D Int64 tensor of validated indices that do not repeat.
    /// </summary>
    void IndexCopy(Tensor result, int dimension, Tensor index, Tensor source);
}
