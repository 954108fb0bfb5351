using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// Batch normalization per channel of [N, C, ...] (PyTorch's _BatchNorm). In training the batch statistics normalize and the
/// running statistics (buffers running_mean, running_var, num_batches_tracked) are updated; in evaluation the running statistics
/// normalize. Weight starts at ones, bias at zeros, running mean at zeros and running variance at ones.
/// </summary>
public abstract class BatchNorm : Module<Tensor, Tensor>
{
    /// <summary>Normalizes <paramref name="numFeatures"/> channels. A null <paramref name="momentum"/> keeps a cumulative average.</summary>
    protected BatchNorm(int numFeatures, float eps, float? momentum, bool affine, bool trackRunningStats)
    {
        LayerChecks.CheckSize(nameof(numFeatures), numFeatures);
        if (momentum is float m && !(m >= 0 && m <= 1)) throw new ForgeException($"BatchNorm momentum must be in [0, 1], found {m}.");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Weight = affine ? new Parameter(Tensor.Ones(numFeatures)) : null;
        Bias = affine ? new Parameter(Tensor.Zeros(numFeatures)) : null;
        if (trackRunningStats)
        {
            RunningMean = Tensor.Zeros(numFeatures);
            RunningVar = Tensor.Ones(numFeatures);
            NumBatchesTracked = Tensor.Zeros([], DType.Int64);
        }
    }

    /// <summary>The per-channel scale, or null.</summary>
    public Parameter? Weight { get; set; }

    /// <summary>The per-channel shift, or null.</summary>
    public Parameter? Bias { get; set; }

    /// <summary>The running mean of each channel (a buffer), or null when statistics are not tracked.</summary>
    [Buffer]
    public Tensor? RunningMean { get; set; }

    /// <summary>The running (unbiased) variance of each channel (a buffer), or null.</summary>
    [Buffer]
    public Tensor? RunningVar { get; set; }

    /// <summary>The number of training batches seen (an Int64 scalar buffer), or null.</summary>
    [Buffer]
    public Tensor? NumBatchesTracked { get; set; }

    /// <summary>The number of channels.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    /// <summary>The weight of each new batch in the running statistics, or null for a cumulative average.</summary>
    public float? Momentum { get; }

    /// <summary>Throws unless <paramref name="input"/> has a rank this layer accepts.</summary>
    protected abstract void CheckInput(Tensor input);

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(input);
        if (input.Size(1) != NumFeatures)
            throw new ForgeException($"{TypeName(GetType())} expects {NumFeatures} channels in dimension 1, found input {Tensor.Format(input.Shape)}.");
        float factor = Momentum ?? 0;
        bool tracking = RunningMean is not null && RunningVar is not null;
        if (Training && NumBatchesTracked is Tensor count)
        {
            long batches = count.ToArray<long>()[0] + 1;
            count.Fill(batches);
            if (Momentum is null) factor = 1f / batches;
        }
        bool useBatchStatistics = Training || !tracking;
        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, useBatchStatistics, factor, Eps);
    }

    /// <inheritdoc />
    public override string ExtraRepr() =>
        $"{NumFeatures}, eps={LayerChecks.PyFloat(Eps)}, momentum={(Momentum is float m ? LayerChecks.PyFloat(m) : "None")}, affine={PyBool(Weight is not null)}, track_running_stats={PyBool(RunningMean is not null)}";
}

/// <summary>Batch normalization of [N, C] or [N, C, L] (PyTorch's nn.BatchNorm1d).</summary>
public class BatchNorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats)
{
    /// <inheritdoc />
    protected override void CheckInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim is not (2 or 3)) throw new ForgeException($"BatchNorm1d expects input [N, C] or [N, C, L], found {Tensor.Format(input.Shape)}.");
    }
}

/// <summary>Batch normalization of images [N, C, H, W] (PyTorch's nn.BatchNorm2d).</summary>
public class BatchNorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats)
{
    /// <inheritdoc />
    protected override void CheckInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim != 4) throw new ForgeException($"BatchNorm2d expects input [N, C, H, W], found {Tensor.Format(input.Shape)}.");
    }
}
