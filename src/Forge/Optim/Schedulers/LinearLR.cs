namespace Forge.Optim.Schedulers;

/// <summary>
/// Scales the learning rate by a factor that moves linearly from <c>startFactor</c> to <c>endFactor</c> over
/// <c>totalIters</c> epochs, then stays (torch.optim.lr_scheduler.LinearLR).
/// </summary>
public sealed class LinearLR : LearningRateScheduler
{
    private readonly double startFactor;
    private readonly double endFactor;
    private readonly int totalIters;

    /// <summary>Factor <paramref name="startFactor"/> ∈ (0, 1] at epoch 0 to <paramref name="endFactor"/> ∈ [0, 1] at <paramref name="totalIters"/>.</summary>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1)) throw new ForgeException($"startFactor must be in (0, 1], found {startFactor}.");
        if (!(endFactor >= 0 && endFactor <= 1)) throw new ForgeException($"endFactor must be in [0, 1], found {endFactor}.");
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = Positive(totalIters, nameof(totalIters));
        InitialStep();
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        var current = CurrentLearningRates();
        if (LastEpoch == 0) return [.. current.Select(lr => lr * startFactor)];
        if (LastEpoch > totalIters) return current;
        double factor = 1.0 + (endFactor - startFactor) / (totalIters * startFactor + (LastEpoch - 1) * (endFactor - startFactor));
        return [.. current.Select(lr => lr * factor)];
    }

    internal override void Restart()
    {
        LastEpoch = 0;
        Apply([.. BaseLearningRates.Select(lr => lr * startFactor)]);
    }
}
