namespace Forge.Optim.Schedulers;

/// <summary>Multiplies the learning rate by <c>gamma</c> every epoch (torch.optim.lr_scheduler.ExponentialLR).</summary>
public sealed class ExponentialLR : LearningRateScheduler
{
    private readonly double gamma;

    /// <summary>Decays by <paramref name="gamma"/> each epoch.</summary>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        this.gamma = NonNegative(gamma, nameof(gamma));
        InitialStep();
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        var current = CurrentLearningRates();
        if (LastEpoch == 0) return current;
        return [.. current.Select(lr => lr * gamma)];
    }

    internal override void Restart()
    {
        LastEpoch = 0;
        Apply(BaseLearningRates);
    }
}
