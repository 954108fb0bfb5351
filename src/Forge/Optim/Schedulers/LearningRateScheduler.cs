using System.Text.Json.Nodes;

namespace Forge.Optim.Schedulers;

/// <summary>
/// Base of the learning rate schedulers, following torch.optim.lr_scheduler: each scheduler sets the learning rate of every
/// parameter group of its optimizer. Construction records each group's initial learning rate (PyTorch's initial_lr, the
/// <see cref="BaseLearningRates"/>) and performs the initial step, so right after construction the groups hold the rate for
/// epoch 0; each <see cref="Step"/> then advances one epoch (or one batch, for per-iteration schedules). Like PyTorch, most
/// schedules are computed recursively from the groups' current rates, so they compose with other changes to the rates.
/// </summary>
public abstract class LearningRateScheduler
{
    private double[] lastLearningRates = [];

    /// <summary>Attaches to <paramref name="optimizer"/>; a derived constructor ends with <see cref="InitialStep"/>.</summary>
    protected LearningRateScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        foreach (ParameterGroup group in optimizer.ParameterGroups) group.InitialLearningRate ??= group.LearningRate;
        BaseLearningRates = [.. optimizer.ParameterGroups.Select(g => g.InitialLearningRate!.Value)];
    }

    /// <summary>The optimizer whose groups this scheduler drives.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The index of the current epoch (0 after construction).</summary>
    public int LastEpoch { get; internal set; } = -1;

    /// <summary>The per-group starting learning rates.</summary>
    public IReadOnlyList<double> BaseLearningRates { get; protected set; }

    /// <summary>The learning rates this scheduler last set, per group.</summary>
    public IReadOnlyList<double> GetLastLr() => lastLearningRates;

    /// <summary>Advances one epoch and sets the groups' learning rates.</summary>
    public void Step()
    {
        LastEpoch++;
        Apply(ComputeLearningRates());
    }

    /// <summary>Performs the initial step (epoch 0); derived constructors call it last.</summary>
    protected void InitialStep() => Step();

    /// <summary>The per-group learning rates for <see cref="LastEpoch"/> (already advanced).</summary>
    protected abstract IReadOnlyList<double> ComputeLearningRates();

    /// <summary>
    /// Jumps to epoch 0 the way PyTorch's step(0) does when <see cref="SequentialLR"/> reaches a milestone: schedules with a
    /// closed form use it (starting from <see cref="BaseLearningRates"/>), others recompute.
    /// </summary>
    internal virtual void Restart()
    {
        LastEpoch = 0;
        Apply(ComputeLearningRates());
    }

    /// <summary>Sets the groups' learning rates and remembers them.</summary>
    internal void Apply(IReadOnlyList<double> learningRates)
    {
        var groups = Optimizer.ParameterGroups;
        for (int i = 0; i < groups.Count; i++) groups[i].LearningRate = learningRates[i];
        lastLearningRates = [.. learningRates];
    }

    /// <summary>The groups' current learning rates.</summary>
    protected IReadOnlyList<double> CurrentLearningRates() => [.. Optimizer.ParameterGroups.Select(g => g.LearningRate)];

    /// <summary>The scheduler's state: "last_epoch", "base_lrs", "last_lr" and any schedule-specific counters.</summary>
    public virtual JsonObject StateDict() => new()
    {
        ["type"] = GetType().Name,
        ["last_epoch"] = LastEpoch,
        ["base_lrs"] = ToJson(BaseLearningRates),
        ["last_lr"] = ToJson(lastLearningRates),
    };

    /// <summary>Restores a state saved by <see cref="StateDict"/> from the same kind of scheduler over as many groups.</summary>
    public virtual void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string? type = (string?)state["type"];
        if (type != GetType().Name) throw new ForgeException($"The state was saved by scheduler '{type}', but this is {GetType().Name}.");
        double[] baseLrs = ReadList(state, "base_lrs");
        double[] lastLrs = ReadList(state, "last_lr");
        LastEpoch = state["last_epoch"]?.GetValue<int>() ?? throw new ForgeException("The scheduler state has no 'last_epoch'.");
        BaseLearningRates = baseLrs;
        lastLearningRates = lastLrs;
    }

    /// <summary>Reads a per-group list of numbers, checking that it has one entry per group.</summary>
    protected double[] ReadList(JsonObject state, string key)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state[key] is not JsonArray array) throw new ForgeException($"The scheduler state has no list '{key}'.");
        int groups = Optimizer.ParameterGroups.Count;
        if (array.Count != groups) throw new ForgeException($"The scheduler state's '{key}' has {array.Count} entries, but the optimizer has {groups} groups.");
        return [.. array.Select(n => n!.GetValue<double>())];
    }

    /// <summary>A list of numbers as a JSON array.</summary>
    protected static JsonArray ToJson(IEnumerable<double> values) => [.. values.Select(v => (JsonNode)v)];

    /// <summary>A positive count argument, or a <see cref="ForgeException"/> naming it.</summary>
    protected static int Positive(int value, string name) =>
        value >= 1 ? value : throw new ForgeException($"{name} must be at least 1, found {value}.");

    /// <summary>A finite non-negative argument, or a <see cref="ForgeException"/> naming it.</summary>
    protected static double NonNegative(double value, string name) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ForgeException($"{name} must be a finite value ≥ 0, found {value}.");
}
