namespace Forge.Optim.Schedulers;

/// <summary>How <see cref="OneCycleLR"/> moves between its phase endpoints.</summary>
public enum AnnealStrategy
{
    /// <summary>Half-cosine.</summary>
    Cosine,
    /// <summary>Straight line.</summary>
    Linear,
}

/// <summary>
/// The 1cycle policy (torch.optim.lr_scheduler.OneCycleLR, stepped per batch): from maxLr/divFactor up to <c>maxLr</c>
/// over the first pctStart of <c>totalSteps</c>, then down to maxLr/(divFactor·finalDivFactor); with <c>threePhase</c>, up,
/// back down to the start, then to the minimum. The groups' initial rates become maxLr/divFactor. Momentum cycling is not
/// implemented (PyTorch's cycle_momentum=False).
/// </summary>
public sealed class OneCycleLR : LearningRateScheduler
{
    private readonly (double EndStep, int StartPoint, int EndPoint)[] phases;
    private readonly AnnealStrategy anneal;
    private readonly int totalSteps;
    private readonly double[] points;

    /// <summary>One cycle of <paramref name="totalSteps"/> steps peaking at <paramref name="maxLr"/>.</summary>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cosine,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : base(StartAt(optimizer, maxLr, divFactor))
    {
        this.totalSteps = Positive(totalSteps, nameof(totalSteps));
        if (!(pctStart >= 0 && pctStart <= 1)) throw new ForgeException($"pctStart must be in [0, 1], found {pctStart}.");
        if (!(finalDivFactor > 0) || !double.IsFinite(finalDivFactor)) throw new ForgeException($"finalDivFactor must be a finite value > 0, found {finalDivFactor}.");
        if (!Enum.IsDefined(annealStrategy)) throw new ForgeException($"Unknown anneal strategy {annealStrategy}.");
        anneal = annealStrategy;
        double initial = maxLr / divFactor;
        points = [initial, maxLr, initial / finalDivFactor];
        const int Initial = 0, Max = 1, Min = 2;
        phases = threePhase
            ? [(pctStart * totalSteps - 1, Initial, Max), (2 * pctStart * totalSteps - 2, Max, Initial), (totalSteps - 1, Initial, Min)]
            : [(pctStart * totalSteps - 1, Initial, Max), (totalSteps - 1, Max, Min)];
        InitialStep();
    }

    private static Optimizer StartAt(Optimizer optimizer, double maxLr, double divFactor)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!(maxLr >= 0) || !double.IsFinite(maxLr)) throw new ForgeException($"maxLr must be a finite value ≥ 0, found {maxLr}.");
        if (!(divFactor > 0) || !double.IsFinite(divFactor)) throw new ForgeException($"divFactor must be a finite value > 0, found {divFactor}.");
        foreach (ParameterGroup group in optimizer.ParameterGroups) group.InitialLearningRate = maxLr / divFactor;
        return optimizer;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        if (LastEpoch > totalSteps)
            throw new ForgeException($"OneCycleLR was stepped {LastEpoch + 1} times, but its total is {totalSteps} steps.");
        double start = 0, lr = 0;
        for (int i = 0; i < phases.Length; i++)
        {
            var (end, from, to) = phases[i];
            if (LastEpoch <= end || i == phases.Length - 1)
            {
                double pct = (LastEpoch - start) / (end - start);
                lr = Anneal(points[from], points[to], pct);
                break;
            }
            start = end;
        }
        return [.. Optimizer.ParameterGroups.Select(_ => lr)];
    }

    private double Anneal(double start, double end, double pct) => anneal == AnnealStrategy.Cosine
        ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)
        : (end - start) * pct + start;
}
