namespace Forge.Optim.Schedulers;

/// <summary>Multiplies the learning rate by <c>gamma</c> at each milestone epoch (torch.optim.lr_scheduler.MultiStepLR).</summary>
public sealed class MultiStepLR : LearningRateScheduler
{
    private readonly int[] milestones;
    private readonly double gamma;

    /// <summary>Decays by <paramref name="gamma"/> at each of <paramref name="milestones"/> (a repeated milestone decays once per occurrence).</summary>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        this.milestones = [.. milestones.Order()];
        foreach (int m in this.milestones)
        {
            if (m < 0) throw new ForgeException($"Milestones must be ≥ 0, found {m}.");
        }
        this.gamma = NonNegative(gamma, nameof(gamma));
        InitialStep();
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        int hits = milestones.Count(m => m == LastEpoch);
        var current = CurrentLearningRates();
        if (hits == 0) return current;
        return [.. current.Select(lr => lr * Math.Pow(gamma, hits))];
    }

    internal override void Restart()
    {
        LastEpoch = 0;
        int passed = milestones.Count(m => m <= 0);
        Apply([.. BaseLearningRates.Select(lr => lr * Math.Pow(gamma, passed))]);
    }
}
