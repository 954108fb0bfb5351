namespace Forge.Optim.Schedulers;

/// <summary>
/// Cosine annealing from the base rate down to <c>etaMin</c> over <c>tMax</c> epochs, continuing as a cosine wave beyond
/// (torch.optim.lr_scheduler.CosineAnnealingLR, with PyTorch's recursive formula).
/// </summary>
public sealed class CosineAnnealingLR : LearningRateScheduler
{
    private readonly int tMax;
    private readonly double etaMin;

    /// <summary>Anneals over <paramref name="tMax"/> epochs to <paramref name="etaMin"/>.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        this.tMax = Positive(tMax, nameof(tMax));
        this.etaMin = NonNegative(etaMin, nameof(etaMin));
        InitialStep();
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        var current = CurrentLearningRates();
        if (LastEpoch == 0) return current;
        int period = 2 * tMax;
        if (((LastEpoch - 1 - tMax) % period + period) % period == 0)
        {
            return [.. current.Select((lr, i) => lr + (BaseLearningRates[i] - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2)];
        }
        double ratio = (1 + Math.Cos(Math.PI * LastEpoch / tMax)) / (1 + Math.Cos(Math.PI * (LastEpoch - 1) / tMax));
        return [.. current.Select(lr => ratio * (lr - etaMin) + etaMin)];
    }

    internal override void Restart()
    {
        LastEpoch = 0;
        Apply(BaseLearningRates);
    }
}
