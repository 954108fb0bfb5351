namespace Forge.Optim.Schedulers;

/// <summary>How <see cref="CyclicLR"/> scales the amplitude of each cycle.</summary>
public enum CyclicMode
{
    /// <summary>Constant amplitude.</summary>
    Triangular,
    /// <summary>Amplitude halved each cycle.</summary>
    Triangular2,
    /// <summary>Amplitude scaled by gamma^iteration.</summary>
    ExpRange,
}

/// <summary>
/// Cyclical learning rate (torch.optim.lr_scheduler.CyclicLR, stepped per batch): the rate moves linearly from
/// <c>baseLr</c> to <c>maxLr</c> over <c>stepSizeUp</c> iterations and back over <c>stepSizeDown</c>, with the amplitude
/// scaled per <see cref="CyclicMode"/>. Momentum cycling is not implemented (PyTorch's cycle_momentum=False).
/// </summary>
public sealed class CyclicLR : LearningRateScheduler
{
    private readonly double maxLr;
    private readonly double totalSize;
    private readonly double stepRatio;
    private readonly CyclicMode mode;
    private readonly double gamma;

    /// <summary>Cycles every group between <paramref name="baseLr"/> and <paramref name="maxLr"/>; the groups start at <paramref name="baseLr"/>.</summary>
    public CyclicLR(Optimizer optimizer, double baseLr, double maxLr, int stepSizeUp = 2000, int? stepSizeDown = null,
        CyclicMode mode = CyclicMode.Triangular, double gamma = 1.0)
        : base(StartAt(optimizer, baseLr))
    {
        this.maxLr = NonNegative(maxLr, nameof(maxLr));
        double up = Positive(stepSizeUp, nameof(stepSizeUp));
        double down = stepSizeDown is int d ? Positive(d, nameof(stepSizeDown)) : up;
        totalSize = up + down;
        stepRatio = up / totalSize;
        if (!Enum.IsDefined(mode)) throw new ForgeException($"Unknown cyclic mode {mode}.");
        this.mode = mode;
        this.gamma = NonNegative(gamma, nameof(gamma));
        BaseLearningRates = [.. optimizer.ParameterGroups.Select(_ => baseLr)];
        InitialStep();
    }

    private static Optimizer StartAt(Optimizer optimizer, double baseLr)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        NonNegative(baseLr, nameof(baseLr));
        foreach (ParameterGroup group in optimizer.ParameterGroups) group.LearningRate = baseLr;
        return optimizer;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        double cycle = Math.Floor(1 + LastEpoch / totalSize);
        double x = 1.0 + LastEpoch / totalSize - cycle;
        double scaleFactor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
        double scale = mode switch
        {
            CyclicMode.Triangular => 1.0,
            CyclicMode.Triangular2 => 1 / Math.Pow(2.0, cycle - 1),
            _ => Math.Pow(gamma, LastEpoch),
        };
        return [.. BaseLearningRates.Select(baseLr => baseLr + (maxLr - baseLr) * scaleFactor * scale)];
    }
}
