namespace Forge.Optim.Schedulers;

/// <summary>Multiplies the learning rate by <c>gamma</c> every <c>stepSize</c> epochs (torch.optim.lr_scheduler.StepLR).</summary>
public sealed class StepLR : LearningRateScheduler
{
    private readonly int stepSize;
    private readonly double gamma;

    /// <summary>Decays by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        this.stepSize = Positive(stepSize, nameof(stepSize));
        this.gamma = NonNegative(gamma, nameof(gamma));
        InitialStep();
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        var current = CurrentLearningRates();
        if (LastEpoch == 0 || LastEpoch % stepSize != 0) return current;
        return [.. current.Select(lr => lr * gamma)];
    }

    internal override void Restart()
    {
        LastEpoch = 0;
        Apply(BaseLearningRates);
    }
}
