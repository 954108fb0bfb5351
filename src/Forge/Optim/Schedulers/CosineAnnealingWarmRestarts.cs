using System.Text.Json.Nodes;

namespace Forge.Optim.Schedulers;

/// <summary>
/// Cosine annealing with warm restarts (SGDR; torch.optim.lr_scheduler.CosineAnnealingWarmRestarts): within a cycle of
/// T_i epochs, lr = etaMin + (base − etaMin)·(1 + cos(π·T_cur/T_i))/2; the first cycle lasts <c>t0</c> epochs and each next
/// one <c>tMult</c> times longer.
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LearningRateScheduler
{
    private readonly int t0;
    private readonly int tMult;
    private readonly double etaMin;
    private int tCur;
    private int tI;

    /// <summary>Restarts after <paramref name="t0"/> epochs, then after cycles <paramref name="tMult"/> times longer each.</summary>
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0) : base(optimizer)
    {
        this.t0 = Positive(t0, nameof(t0));
        this.tMult = Positive(tMult, nameof(tMult));
        this.etaMin = NonNegative(etaMin, nameof(etaMin));
        tI = t0;
        InitialStep();
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        if (LastEpoch == 0)
        {
            tCur = 0;
            tI = t0;
        }
        else if (++tCur >= tI)
        {
            tCur -= tI;
            tI *= tMult;
        }
        return [.. BaseLearningRates.Select(lr => etaMin + (lr - etaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2)];
    }

    /// <inheritdoc />
    public override JsonObject StateDict()
    {
        JsonObject state = base.StateDict();
        state["T_cur"] = tCur;
        state["T_i"] = tI;
        return state;
    }

    /// <inheritdoc />
    public override void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        int cur = state["T_cur"]?.GetValue<int>() ?? throw new ForgeException("The scheduler state has no 'T_cur'.");
        int length = state["T_i"]?.GetValue<int>() ?? throw new ForgeException("The scheduler state has no 'T_i'.");
        base.LoadStateDict(state);
        tCur = cur;
        tI = length;
    }
}
