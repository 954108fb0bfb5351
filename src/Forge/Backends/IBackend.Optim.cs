using Forge.Tensors;

namespace Forge.Backends;

/// <summary>Fused optimizer kernels: each makes one pass over contiguous Float32 tensors of the same shape, updating them in place.</summary>
public partial interface IBackend
{
    /// <summary>
    /// One SGD step (PyTorch semantics): d = grad + weightDecay·param; with momentum, buf = d on the first step
    /// (<paramref name="initializeBuffer"/>) and buf = momentum·buf + (1 − dampening)·d afterwards, then d = d + momentum·buf
    /// (Nesterov) or d = buf; finally param −= lr·d. <paramref name="momentumBuffer"/> is null when momentum is zero.
    /// </summary>
    void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, double lr, double momentum, double dampening,
        double weightDecay, bool nesterov, bool initializeBuffer);

    /// <summary>
    /// One Adam/AdamW step at step count <paramref name="stepCount"/> (1-based): moments m, v are updated from the gradient,
    /// param −= lr/(1−β1^t) · m / (√v̂ / √(1−β2^t) + eps). v̂ is v, or the running maximum in <paramref name="maxExpAvgSq"/>
    /// (AMSGrad) when that is not null. Weight decay is added to the gradient (L2, Adam) or, when
    /// <paramref name="decoupled"/>, applied as param ·= 1 − lr·weightDecay first (AdamW). The gradient is read as
    /// grad·<paramref name="gradScale"/> (a clipping factor folded into the step; 1 reads it as it is) and is not written.
    /// </summary>
    void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, double lr, double beta1,
        double beta2, double eps, double weightDecay, long stepCount, bool decoupled, float gradScale);

    /// <summary>
    /// The LAMB direction at step count <paramref name="stepCount"/>: updates the moments m, v like Adam and writes
    /// update = (m/(1−β1^t)) / (√(v/(1−β2^t)) + eps) + weightDecay·param. Returns Σ param² and Σ update² (for the trust ratio).
    /// </summary>
    (double ParamSquaredNorm, double UpdateSquaredNorm) LambUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq,
        Tensor update, double beta1, double beta2, double eps, double weightDecay, long stepCount);

    /// <summary>The p-norm of a contiguous Float32 tensor, accumulated in double: (Σ|x|^p)^(1/p), or max |x| for p = ∞.</summary>
    double Norm(Tensor x, double normType);
}
