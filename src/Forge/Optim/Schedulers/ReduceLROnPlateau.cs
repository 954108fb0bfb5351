using System.Text.Json.Nodes;

namespace Forge.Optim.Schedulers;

/// <summary>Whether <see cref="ReduceLROnPlateau"/> watches a metric that should go down or up.</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (a loss).</summary>
    Min,
    /// <summary>Higher is better (an accuracy).</summary>
    Max,
}

/// <summary>How <see cref="ReduceLROnPlateau"/> decides that a metric improved on the best so far.</summary>
public enum ThresholdMode
{
    /// <summary>Better than best·(1 ∓ threshold).</summary>
    Relative,
    /// <summary>Better than best ∓ threshold.</summary>
    Absolute,
}

/// <summary>
/// Multiplies the learning rates by <c>factor</c> when a metric stops improving for more than <c>patience</c> epochs
/// (torch.optim.lr_scheduler.ReduceLROnPlateau): after a reduction it waits <c>cooldown</c> epochs, never goes below
/// <c>minLr</c>, and skips reductions smaller than <c>eps</c>. Call <see cref="Step"/> with the metric once per epoch.
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly PlateauMode mode;
    private readonly double factor;
    private readonly int patience;
    private readonly double threshold;
    private readonly ThresholdMode thresholdMode;
    private readonly int cooldown;
    private readonly double minLr;
    private readonly double eps;
    private double[] lastLearningRates;

    /// <summary>Watches a metric to minimize (or maximize) and reduces the rates of <paramref name="optimizer"/> on plateaus.</summary>
    public ReduceLROnPlateau(Optimizer optimizer, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Relative, int cooldown = 0, double minLr = 0, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!Enum.IsDefined(mode)) throw new ForgeException($"Unknown plateau mode {mode}.");
        if (!Enum.IsDefined(thresholdMode)) throw new ForgeException($"Unknown threshold mode {thresholdMode}.");
        if (!(factor >= 0 && factor < 1)) throw new ForgeException($"factor must be in [0, 1), found {factor}.");
        if (patience < 0) throw new ForgeException($"patience must be ≥ 0, found {patience}.");
        if (cooldown < 0) throw new ForgeException($"cooldown must be ≥ 0, found {cooldown}.");
        if (!(threshold >= 0) || !double.IsFinite(threshold)) throw new ForgeException($"threshold must be a finite value ≥ 0, found {threshold}.");
        if (!(minLr >= 0) || !double.IsFinite(minLr)) throw new ForgeException($"minLr must be a finite value ≥ 0, found {minLr}.");
        if (!(eps >= 0) || !double.IsFinite(eps)) throw new ForgeException($"eps must be a finite value ≥ 0, found {eps}.");
        Optimizer = optimizer;
        this.mode = mode;
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.thresholdMode = thresholdMode;
        this.cooldown = cooldown;
        this.minLr = minLr;
        this.eps = eps;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
        lastLearningRates = [.. optimizer.ParameterGroups.Select(g => g.LearningRate)];
    }

    /// <summary>The optimizer whose groups this scheduler drives.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The number of metrics seen.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The best metric so far.</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive epochs without improvement.</summary>
    public int BadEpochs { get; private set; }

    /// <summary>Epochs left in the current cooldown.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>The groups' learning rates after the last step.</summary>
    public IReadOnlyList<double> GetLastLr() => lastLearningRates;

    /// <summary>Records the epoch's <paramref name="metric"/> and reduces the rates if it has plateaued.</summary>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric))
        {
            Best = metric;
            BadEpochs = 0;
        }
        else
        {
            BadEpochs++;
        }
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            BadEpochs = 0;
        }
        if (BadEpochs > patience)
        {
            foreach (ParameterGroup group in Optimizer.ParameterGroups)
            {
                double old = group.LearningRate;
                double reduced = Math.Max(old * factor, minLr);
                if (old - reduced > eps) group.LearningRate = reduced;
            }
            CooldownCounter = cooldown;
            BadEpochs = 0;
        }
        lastLearningRates = [.. Optimizer.ParameterGroups.Select(g => g.LearningRate)];
    }

    private bool IsBetter(double metric) => (mode, thresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Relative) => metric < Best * (1 - threshold),
        (PlateauMode.Min, ThresholdMode.Absolute) => metric < Best - threshold,
        (PlateauMode.Max, ThresholdMode.Relative) => metric > Best * (threshold + 1),
        _ => metric > Best + threshold,
    };

    /// <summary>The state: "last_epoch", "best", "num_bad_epochs", "cooldown_counter", "last_lr".</summary>
    public JsonObject StateDict() => new()
    {
        ["type"] = nameof(ReduceLROnPlateau),
        ["last_epoch"] = LastEpoch,
        ["best"] = double.IsFinite(Best) ? Best : null,
        ["num_bad_epochs"] = BadEpochs,
        ["cooldown_counter"] = CooldownCounter,
        ["last_lr"] = new JsonArray([.. lastLearningRates.Select(v => (JsonNode)v)]),
    };

    /// <summary>Restores a state saved by <see cref="StateDict"/>.</summary>
    public void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if ((string?)state["type"] != nameof(ReduceLROnPlateau))
            throw new ForgeException($"The state was saved by scheduler '{(string?)state["type"]}', but this is {nameof(ReduceLROnPlateau)}.");
        if (state["last_lr"] is not JsonArray last || last.Count != Optimizer.ParameterGroups.Count)
            throw new ForgeException($"The scheduler state's 'last_lr' does not have one entry per group ({Optimizer.ParameterGroups.Count}).");
        LastEpoch = state["last_epoch"]?.GetValue<int>() ?? throw new ForgeException("The scheduler state has no 'last_epoch'.");
        Best = state["best"]?.GetValue<double>() ?? (mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity);
        BadEpochs = state["num_bad_epochs"]?.GetValue<int>() ?? 0;
        CooldownCounter = state["cooldown_counter"]?.GetValue<int>() ?? 0;
        lastLearningRates = [.. last.Select(n => n!.GetValue<double>())];
    }
}
