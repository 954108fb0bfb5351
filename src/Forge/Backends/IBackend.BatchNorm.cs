using Forge.Tensors;

namespace Forge.Backends;

public partial interface IBackend
{
    /// <summary>Per-channel mean and biased variance of a contiguous [N, C, S] input, written to contiguous [C] tensors.</summary>
    void BatchNormStatistics(Tensor input, Tensor mean, Tensor variance);

    /// <summary>
    /// output = (input - mean[c])·invStd[c]·weight[c] + bias[c] for contiguous [N, C, S] tensors; weight and bias may be null
    /// (1 and 0).
    /// </summary>
    void BatchNormForward(Tensor input, Tensor mean, Tensor invStd, Tensor? weight, Tensor? bias, Tensor output);

    /// <summary>
    /// Gradients of <see cref="BatchNormForward"/> for contiguous [N, C, S] tensors. With <paramref name="batchStatistics"/>
    /// the mean and invStd are treated as functions of the input (training); otherwise as constants (evaluation).
    /// Each of gradInput, gradWeight ([C]) and gradBias ([C]) is written when not null.
    /// </summary>
    void BatchNormBackward(Tensor input, Tensor gradOutput, Tensor mean, Tensor invStd, Tensor? weight, bool batchStatistics, Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias);
}
