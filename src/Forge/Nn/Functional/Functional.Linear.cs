using Forge.Tensors;

namespace Forge.Nn;

public static partial class Functional
{
    /// <summary>
    /// y = x·weightᵀ + bias, with x [..., in], weight [out, in] (PyTorch's layout) and bias [out]. The weight is read through
    /// a transposed view, so nothing is copied.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Dim != 2) throw new ForgeException($"Linear needs a weight of shape [out, in], found {Tensor.Format(weight.Shape)}.");
        if (x.Dim == 0 || x.Shape[^1] != weight.Shape[1])
            throw new ForgeException($"Linear input of shape {Tensor.Format(x.Shape)} does not end in the weight's {weight.Shape[1]} input features (weight {Tensor.Format(weight.Shape)}).");
        if (bias is not null && (bias.Dim != 1 || bias.Shape[0] != weight.Shape[0]))
            throw new ForgeException($"Linear bias must have shape [{weight.Shape[0]}], found {Tensor.Format(bias.Shape)}.");
        return bias is null ? x.MatMul(weight.MT) : x.MatMulAdd(weight.MT, bias);
    }
}
