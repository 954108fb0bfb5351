using Forge.Tensors;

namespace Forge.Backends;

public partial interface IBackend
{
    /// <summary>y = softmax(x) over the last dimension of contiguous Float32 tensors (max-subtracted, so large logits are safe).</summary>
    void Softmax(Tensor x, Tensor y);

    /// <summary>gradInput = y·(gradOutput − Σ gradOutput·y) per row of the last dimension, where y is the softmax output.</summary>
    void SoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput);

    /// <summary>y = x − logΣexp(x) over the last dimension of contiguous Float32 tensors.</summary>
    void LogSoftmax(Tensor x, Tensor y);

    /// <summary>gradInput = gradOutput − exp(y)·Σ gradOutput per row of the last dimension, where y is the log-softmax output.</summary>
    void LogSoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput);
}
