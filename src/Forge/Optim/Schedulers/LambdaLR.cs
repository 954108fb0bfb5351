namespace Forge.Optim.Schedulers;

/// <summary>
/// Sets each group's learning rate to its base rate times <c>factor(epoch)</c> (torch.optim.lr_scheduler.LambdaLR). The
/// function is not part of the state dict: pass the same one when restoring.
/// </summary>
public class LambdaLR : LearningRateScheduler
{
    private readonly Func<int, double> factor;

    /// <summary>Scales the base rates by <paramref name="factor"/>(epoch).</summary>
    public LambdaLR(Optimizer optimizer, Func<int, double> factor) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(factor);
        this.factor = factor;
        InitialStep();
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        double f = factor(LastEpoch);
        return [.. BaseLearningRates.Select(lr => lr * f)];
    }
}

/// <summary>
/// Linear warmup then linear decay to zero, as Hugging Face's get_linear_schedule_with_warmup: the factor is
/// step/warmupSteps during warmup, then max(0, (totalSteps − step)/(totalSteps − warmupSteps)).
/// </summary>
public sealed class LinearWarmupDecay : LambdaLR
{
    /// <summary>Warms up over <paramref name="warmupSteps"/> and reaches zero at <paramref name="totalSteps"/>.</summary>
    public LinearWarmupDecay(Optimizer optimizer, int warmupSteps, int totalSteps)
        : base(optimizer, Factor(Check(warmupSteps, totalSteps), totalSteps)) { }

    private static Func<int, double> Factor(int warmup, int total) => step =>
        step < warmup ? (double)step / Math.Max(1, warmup) : Math.Max(0.0, (double)(total - step) / Math.Max(1, total - warmup));

    internal static int Check(int warmupSteps, int totalSteps)
    {
        if (warmupSteps < 0) throw new ForgeException($"warmupSteps must be ≥ 0, found {warmupSteps}.");
        if (totalSteps < warmupSteps) throw new ForgeException($"totalSteps must be ≥ warmupSteps ({warmupSteps}), found {totalSteps}.");
        return warmupSteps;
    }
}

/// <summary>
/// Linear warmup then cosine decay, as Hugging Face's get_cosine_schedule_with_warmup: the factor is step/warmupSteps during
/// warmup, then max(0, (1 + cos(2π·cycles·progress))/2) with progress = (step − warmupSteps)/(totalSteps − warmupSteps);
/// the default 0.5 cycles decays from 1 to 0.
/// </summary>
public sealed class CosineWarmupDecay : LambdaLR
{
    /// <summary>Warms up over <paramref name="warmupSteps"/> and follows <paramref name="cycles"/> cosine cycles to <paramref name="totalSteps"/>.</summary>
    public CosineWarmupDecay(Optimizer optimizer, int warmupSteps, int totalSteps, double cycles = 0.5)
        : base(optimizer, Factor(LinearWarmupDecay.Check(warmupSteps, totalSteps), totalSteps, cycles)) { }

    private static Func<int, double> Factor(int warmup, int total, double cycles)
    {
        if (!(cycles > 0) || !double.IsFinite(cycles)) throw new ForgeException($"cycles must be a finite value > 0, found {cycles}.");
        return step =>
        {
            if (step < warmup) return (double)step / Math.Max(1, warmup);
            double progress = (double)(step - warmup) / Math.Max(1, total - warmup);
            return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * cycles * 2.0 * progress)));
        };
    }
}
