using System.Text.Json.Nodes;

namespace Forge.Optim.Schedulers;

/// <summary>
/// Runs schedulers one after another, switching at milestone epochs (torch.optim.lr_scheduler.SequentialLR). At construction
/// the groups' rates are reset to their initial rates and only the first scheduler takes its initial step; at milestone k
/// scheduler k+1 restarts from its epoch 0 (its closed form from the base rates, as PyTorch's step(0)) and is stepped from
/// there. Pass schedulers built on the same optimizer; they belong to this scheduler afterwards.
/// </summary>
public class SequentialLR : LearningRateScheduler
{
    private readonly LearningRateScheduler[] schedulers;
    private readonly int[] milestones;

    /// <summary>Runs <paramref name="schedulers"/>[0] until <paramref name="milestones"/>[0], then the next, and so on.</summary>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LearningRateScheduler> schedulers, IReadOnlyList<int> milestones) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count == 0) throw new ForgeException("SequentialLR needs at least one scheduler, found none.");
        if (milestones.Count != schedulers.Count - 1)
            throw new ForgeException($"SequentialLR needs one milestone fewer than schedulers: {schedulers.Count} schedulers, {milestones.Count} milestones.");
        for (int i = 0; i < schedulers.Count; i++)
        {
            if (schedulers[i] is null || !ReferenceEquals(schedulers[i].Optimizer, optimizer))
                throw new ForgeException($"Scheduler {i} of SequentialLR does not drive the same optimizer.");
        }
        for (int i = 0; i < milestones.Count; i++)
        {
            if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1]))
                throw new ForgeException($"SequentialLR milestones must be increasing and ≥ 1, found [{string.Join(", ", milestones)}].");
        }
        this.schedulers = [.. schedulers];
        this.milestones = [.. milestones];
        foreach (ParameterGroup group in optimizer.ParameterGroups) group.LearningRate = group.InitialLearningRate!.Value;
        foreach (LearningRateScheduler s in this.schedulers) s.LastEpoch--;
        this.schedulers[0].Step();
        LastEpoch = 0;
        Apply(this.schedulers[0].GetLastLr());
    }

    /// <inheritdoc />
    protected override IReadOnlyList<double> ComputeLearningRates()
    {
        int index = milestones.Count(m => m <= LastEpoch);
        LearningRateScheduler current = schedulers[index];
        if (index > 0 && milestones[index - 1] == LastEpoch) current.Restart();
        else current.Step();
        return current.GetLastLr();
    }

    /// <inheritdoc />
    public override JsonObject StateDict()
    {
        JsonObject state = base.StateDict();
        state["schedulers"] = new JsonArray([.. schedulers.Select(s => (JsonNode)s.StateDict())]);
        return state;
    }

    /// <inheritdoc />
    public override void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state["schedulers"] is not JsonArray inner || inner.Count != schedulers.Length)
            throw new ForgeException($"The state holds {(state["schedulers"] as JsonArray)?.Count ?? 0} schedulers, but this SequentialLR has {schedulers.Length}.");
        base.LoadStateDict(state);
        for (int i = 0; i < schedulers.Length; i++) schedulers[i].LoadStateDict((JsonObject)inner[i]!);
    }
}

/// <summary>
/// Linear warmup for <c>warmupSteps</c> epochs, then any other scheduler. It is exactly
/// SequentialLR([LinearLR(startFactor → 1 over warmupSteps), after], milestones: [warmupSteps]): at epoch e &lt; warmupSteps
/// the rate is base·(startFactor + (1 − startFactor)·e/warmupSteps); at epoch warmupSteps + k it is what <c>after</c> gives at
/// its own epoch k, starting from the base rates (so <c>after</c>'s schedule is shifted by the warmup, not shortened).
/// Build <c>after</c> on the same optimizer first.
/// </summary>
public sealed class WarmupScheduler : SequentialLR
{
    /// <summary>Warms up over <paramref name="warmupSteps"/> from factor <paramref name="startFactor"/> ∈ (0, 1], then runs <paramref name="after"/>.</summary>
    public WarmupScheduler(Optimizer optimizer, int warmupSteps, LearningRateScheduler after, double startFactor = 0.01)
        : base(optimizer, [new LinearLR(optimizer, startFactor, 1.0, Positive(warmupSteps, nameof(warmupSteps))), after], [warmupSteps]) { }
}
