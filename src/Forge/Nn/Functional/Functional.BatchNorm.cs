using Forge.Tensors;

namespace Forge.Nn;

public static partial class Functional
{
    /// <summary>
    /// Batch normalization of <paramref name="input"/> [N, C, ...] per channel: (x - mean)/√(var + eps)·weight + bias.
    /// When <paramref name="training"/>, the batch's mean and biased variance are used and the running statistics (if given) are
    /// updated in place: running = (1 - momentum)·running + momentum·batch, with the unbiased variance. Otherwise the running
    /// statistics are used. Gradients flow to input, weight and bias.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null, bool training = false, float momentum = 0.1f, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim < 2) throw new ForgeException($"BatchNorm expects input [N, C, ...], found {Tensor.Format(input.Shape)}.");
        if (input.DType != DType.Float32) throw new ForgeException($"BatchNorm computes in Float32, found {input.DType}.");
        int batch = input.Size(0), channels = input.Size(1);
        int spatial = input.Shape.Skip(2).Aggregate(1, (product, size) => checked(product * size));
        RequireChannelVector("running mean", runningMean, channels);
        RequireChannelVector("running variance", runningVar, channels);
        RequireChannelVector("weight", weight, channels);
        RequireChannelVector("bias", bias, channels);
        Tensor x = input.Detach().Contiguous().View(batch, channels, spatial);
        var backend = input.Backend;
        Tensor mean, invStd;
        if (training)
        {
            long count = (long)batch * spatial;
            if (count <= 1) throw new ForgeException($"BatchNorm in training expects more than one value per channel, found input {Tensor.Format(input.Shape)}.");
            mean = Tensor.Empty([channels], DType.Float32, input.Device);
            Tensor variance = Tensor.Empty([channels], DType.Float32, input.Device);
            backend.BatchNormStatistics(x, mean, variance);
            invStd = variance.Add(eps).Rsqrt();
            runningMean?.MulInPlace(1 - momentum).AddInPlace(mean, momentum);
            runningVar?.MulInPlace(1 - momentum).AddInPlace(variance, momentum * count / (count - 1f));
        }
        else
        {
            if (runningMean is null || runningVar is null)
                throw new ForgeException("BatchNorm in evaluation expects a running mean and a running variance, found none.");
            mean = runningMean.Detach().Contiguous();
            invStd = runningVar.Detach().Add(eps).Rsqrt();
        }
        Tensor? w = weight?.Detach().Contiguous(), b = bias?.Detach().Contiguous();
        Tensor output = Tensor.Empty([batch, channels, spatial], DType.Float32, input.Device);
        backend.BatchNormForward(x, mean, invStd, w, b, output);
        return Tensor.Record(output.View([.. input.shape]), "BatchNormBackward", g =>
        {
            Tensor? gradInput = input.RequiresGrad ? Tensor.Empty([batch, channels, spatial], DType.Float32, input.Device) : null;
            Tensor? gradWeight = weight is not null && weight.RequiresGrad ? Tensor.Empty([channels], DType.Float32, input.Device) : null;
            Tensor? gradBias = bias is not null && bias.RequiresGrad ? Tensor.Empty([channels], DType.Float32, input.Device) : null;
            backend.BatchNormBackward(x, g.Contiguous().View(batch, channels, spatial), mean, invStd, w, training, gradInput, gradWeight, gradBias);
            return [gradInput?.View([.. input.shape]), gradWeight, gradBias];
        }, input, weight, bias);
    }

    private static void RequireChannelVector(string name, Tensor? tensor, int channels)
    {
        if (tensor is null) return;
        if (tensor.Dim != 1 || tensor.Size(0) != channels || tensor.DType != DType.Float32)
            throw new ForgeException($"BatchNorm expects a Float32 {name} of shape [{channels}], found {Tensor.Format(tensor.Shape)} {tensor.DType}.");
    }
}
