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

    /// <summary>
    /// Causal attention weights: y = softmax(scale·x) over the last dimension of contiguous Float32 [..., Lq, Lk] tensors, where
    /// query row i (its index in dimension −2) sees keys j ≤ i only and y is 0 beyond. Needs Lk &gt; 0.
    /// </summary>
    void CausalSoftmax(Tensor x, Tensor y, float scale);

    /// <summary>
    /// Gradient of <see cref="CausalSoftmax"/> with respect to x: gradInput = scale·y·(gradOutput − Σ gradOutput·y) over the keys
    /// each row sees, and 0 at the masked positions.
    /// </summary>
    void CausalSoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput, float scale);
}
