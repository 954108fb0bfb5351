using Forge.Autograd;
using Forge.Tensors;

namespace Forge.Nn;

public static partial class Functional
{
    /// <summary>
    /// Looks up rows of <paramref name="weight"/> [vocabulary, dim] for Int64 <paramref name="indices"/> of any shape, giving
    /// [..., dim]. The gradient adds each output row's gradient into its weight row; the <paramref name="paddingIndex"/> row
    /// (negative counts from the end) gets none. An index outside the vocabulary raises <see cref="ForgeException"/>.
    /// </summary>
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIndex = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(weight);
        if (indices.DType != DType.Int64) throw new ForgeException($"Embedding needs Int64 indices, found {indices.DType}.");
        if (weight.Dim != 2) throw new ForgeException($"Embedding needs a weight of shape [vocabulary, dim], found {Tensor.Format(weight.Shape)}.");
        int vocabulary = weight.Shape[0], width = weight.Shape[1];
        int? padding = paddingIndex is int p && p < 0 ? p + vocabulary : paddingIndex;
        if (padding is int pad && (pad < 0 || pad >= vocabulary))
            throw new ForgeException($"Embedding padding index {paddingIndex} is out of range for a vocabulary of {vocabulary}.");
        Tensor flat = indices.Detach().Contiguous().Reshape(-1);
        Tensor.CheckIndices(flat, vocabulary, bad => $"Embedding index {bad} is out of range for a vocabulary of {vocabulary} (valid indices are 0 to {vocabulary - 1}).");
        Tensor rows = Tensor.Empty([(int)flat.Numel, width], weight.DType, weight.Device);
        weight.Backend.IndexSelect(weight.Detach().Contiguous(), 0, flat, rows);
        Tensor result = rows.View([.. indices.Shape, width]);
        Tensor recorded = Tensor.Record(result, "EmbeddingBackward", g =>
        {
            Tensor rowGrads = g.Reshape(-1, width);
            if (padding is int pad) rowGrads = rowGrads.MaskedFill(flat.Eq(pad).Unsqueeze(-1), 0);
            return [Tensor.IndexAddInto([vocabulary, width], 0, flat, rowGrads)];
        }, weight);
        // Without a padding row, the engine adds the rows' gradients straight into the weight's gradient.
        if (padding is null && recorded.GradFn is { } node) node.Rows = new RowsOfInput([vocabulary, width], flat);
        return recorded;
    }
}
