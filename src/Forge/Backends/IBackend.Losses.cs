using Forge.Tensors;

namespace Forge.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Fused log-softmax + negative log-likelihood over the class dimension of contiguous Float32 logits viewed as
    /// [outer, classes, inner], with Int64 targets [outer, inner]. Writes each position's (weighted, label-smoothed) loss,
    /// the weight of its target (0 where the target is <paramref name="ignoreIndex"/>) and the log-sum-exp of its logits,
    /// all contiguous [outer, inner]. <paramref name="weight"/> is null or a contiguous [classes] tensor.
    /// </summary>
    void CrossEntropy(Tensor logits, Tensor target, Tensor? weight, int ignoreIndex, float labelSmoothing, Tensor losses, Tensor targetWeights, Tensor logSumExp);

    /// <summary>
    /// Gradient of <see cref="CrossEntropy"/>: gradLogits = gradLosses · ((1-ε)·w[y]·(softmax - onehot(y)) + ε/C·(Σw·softmax - w)),
    /// recomputing the softmax from the logits and the saved log-sum-exp. Shapes as in <see cref="CrossEntropy"/>;
    /// <paramref name="gradLogits"/> may be <paramref name="logits"/> itself (each element is read before it is written).
    /// </summary>
    void CrossEntropyBackward(Tensor logits, Tensor target, Tensor? weight, int ignoreIndex, float labelSmoothing, Tensor logSumExp, Tensor gradLosses, Tensor gradLogits);

    /// <summary>
    /// Negative log-likelihood: losses = -w[y]·logProbabilities[y] for contiguous log-probabilities [outer, classes, inner]
    /// and Int64 targets [outer, inner]; writes the losses and the target weights (0 where ignored), both [outer, inner].
    /// </summary>
    void NllLoss(Tensor logProbabilities, Tensor target, Tensor? weight, int ignoreIndex, Tensor losses, Tensor targetWeights);

    /// <summary>Gradient of <see cref="NllLoss"/>: gradInput (contiguous, overwritten) is -w[y]·gradLosses at each target class, 0 elsewhere.</summary>
    void NllLossBackward(Tensor target, Tensor? weight, int ignoreIndex, Tensor gradLosses, Tensor gradInput);
}
