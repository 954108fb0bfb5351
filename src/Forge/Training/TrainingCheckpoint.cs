using System.Globalization;
using System.Text.Json.Nodes;
using Forge.Nn;
using Forge.Optim;
using Forge.Optim.Schedulers;
using Forge.Serialization;
using Forge.Tensors;

namespace Forge.Training;

/// <summary>
/// Everything needed to continue training exactly where it stopped, saved as one atomic <see cref="Checkpoint"/>: the model's
/// state dict (<c>model.safetensors</c>), the optimizer's tensors (<c>optimizer.safetensors</c>), and in <c>state.json</c> the step,
/// the optimizer's scalars, the scheduler's state, the random generator's state and any caller state (data position, best metric).
/// </summary>
public static class TrainingCheckpoint
{
    private const string Format = "forge-training-checkpoint";

    /// <summary>Saves the training state at <paramref name="step"/> into <paramref name="directory"/> (atomically replacing what is there).</summary>
    public static void Save(string directory, Module model, long step, Optimizer? optimizer = null, LearningRateScheduler? scheduler = null,
        Generator? generator = null, JsonObject? extra = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (step < 0) throw new ForgeException($"The step must be non-negative, found {step}.");
        var state = new JsonObject { ["format"] = Format, ["step"] = step };
        OptimizerState? optimizerState = optimizer?.StateDict();
        if (optimizerState is not null) state["optimizer"] = optimizerState.Values.DeepClone();
        if (scheduler is not null) state["scheduler"] = scheduler.StateDict();
        if (generator is not null) state["generator"] = new JsonArray([.. generator.GetState().Select(s => JsonValue.Create(s.ToString(CultureInfo.InvariantCulture)))]);
        if (extra is not null) state["extra"] = extra.DeepClone();
        Checkpoint.Save(directory, model.StateDict(), state, optimizerState?.Tensors);
    }

    /// <summary>
    /// Restores a state saved by <see cref="Save"/> into <paramref name="model"/> (strictly: every key and shape must match) and the given
    /// optimizer, scheduler and generator, and returns the step and the caller's state. Throws <see cref="ForgeException"/> when the
    /// checkpoint lacks a part that was asked for (checked before anything is restored) or its weights do not fit the model.
    /// </summary>
    public static TrainingCheckpointState Load(string directory, Module model, Optimizer? optimizer = null, LearningRateScheduler? scheduler = null,
        Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckpointData data = Checkpoint.Load(directory);
        JsonObject state = data.State;
        if ((string?)state["format"] != Format)
            throw new ForgeException($"'{directory}' is not a Forge training checkpoint: its state.json has format '{(string?)state["format"]}'.");
        long step = state["step"]?.GetValue<long>() ?? throw new ForgeException($"Checkpoint '{directory}' has no step.");

        OptimizerState? optimizerState = null;
        if (optimizer is not null)
        {
            if (state["optimizer"] is not JsonObject values || data.OptimizerTensors is null)
                throw new ForgeException($"Checkpoint '{directory}' holds no optimizer state.");
            optimizerState = new OptimizerState(data.OptimizerTensors, values);
        }
        JsonObject? schedulerState = null;
        if (scheduler is not null)
            schedulerState = state["scheduler"] as JsonObject ?? throw new ForgeException($"Checkpoint '{directory}' holds no scheduler state.");
        ulong[]? generatorState = null;
        if (generator is not null)
        {
            generatorState = state["generator"] is JsonArray words
                ? [.. words.Select(w => ulong.Parse((string)w!, CultureInfo.InvariantCulture))]
                : throw new ForgeException($"Checkpoint '{directory}' holds no random generator state.");
        }

        try
        {
            model.LoadStateDict(data.Weights, strict: true);
        }
        catch (ForgeException e)
        {
            throw new ForgeException($"Checkpoint '{directory}' holds another model: {e.Message}", e);
        }
        if (optimizerState is not null) optimizer!.LoadStateDict(optimizerState);
        if (schedulerState is not null) scheduler!.LoadStateDict(schedulerState);
        if (generatorState is not null) generator!.SetState(generatorState);
        return new TrainingCheckpointState(step, state["extra"] as JsonObject ?? []);
    }
}

/// <summary>What <see cref="TrainingCheckpoint.Load"/> returns: the step the checkpoint was taken at and the caller's own state.</summary>
public sealed record TrainingCheckpointState(long Step, JsonObject Extra);
