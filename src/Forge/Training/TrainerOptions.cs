namespace Forge.Training;

/// <summary>How the learning rate moves over training, after a linear warmup.</summary>
public enum LearningRateSchedule
{
    /// <summary>Cosine decay to 0 at the last step (Hugging Face's get_cosine_schedule_with_warmup).</summary>
    Cosine,

    /// <summary>Linear decay to 0 at the last step (Hugging Face's get_linear_schedule_with_warmup, the Trainer's default).</summary>
    Linear,

    /// <summary>The peak learning rate after warmup until the end.</summary>
    Constant,
}

/// <summary>How <see cref="Trainer{TBatch}"/> trains: steps, optimizer and schedule settings, evaluation, checkpoints and limits.</summary>
public sealed record TrainerOptions
{
    /// <summary>Where metrics, TensorBoard events, the loss chart and <c>checkpoints/step-N</c> go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Optimizer steps to train for.</summary>
    public int MaxSteps { get; init; } = 1000;

    /// <summary>Batches whose gradients are summed (each loss divided by this) before one optimizer step.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>The peak learning rate of AdamW.</summary>
    public double LearningRate { get; init; } = 6e-4;

    /// <summary>Steps of linear warmup before the decay of <see cref="Schedule"/>; null for 5% of the steps.</summary>
    public int? WarmupSteps { get; init; }

    /// <summary>The learning-rate decay after warmup.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;

    /// <summary>AdamW's decoupled weight decay, applied to weights but not to biases, norms or 1-D parameters.</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>AdamW's β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW's β2.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>The global gradient norm is clipped to this (0 turns clipping off).</summary>
    public float MaxGradNorm { get; init; } = 1.0f;

    /// <summary>Evaluate the validation loss every this many steps (0: never).</summary>
    public int EvalEvery { get; init; }

    /// <summary>The most validation batches one evaluation averages over.</summary>
    public int EvalBatches { get; init; } = 20;

    /// <summary>
    /// The evaluation value that picks the best checkpoint and drives early stopping: <c>val_loss</c>, or a metric the trainer's
    /// <see cref="Trainer{TBatch}.EvaluationMetrics"/> computes (such as <c>accuracy</c> or <c>f1</c>).
    /// </summary>
    public string BestMetric { get; init; } = "val_loss";

    /// <summary>Whether a larger <see cref="BestMetric"/> is better; null for "not when its name contains loss".</summary>
    public bool? GreaterIsBetter { get; init; }

    /// <summary>Stop after this many evaluations in a row without a better <see cref="BestMetric"/> (0: never stop early).</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>Whether a larger <see cref="BestMetric"/> is better, with the default applied.</summary>
    public bool BestIsGreater => GreaterIsBetter ?? !BestMetric.Contains("loss", StringComparison.OrdinalIgnoreCase);

    /// <summary>Save a checkpoint every this many steps (0: only at the end); a better <see cref="BestMetric"/> is saved too.</summary>
    public int SaveEvery { get; init; }

    /// <summary>How many of the latest step checkpoints to keep (the best one is kept as well).</summary>
    public int KeepLast { get; init; } = 2;

    /// <summary>Stop cleanly, with a final checkpoint, once this much wall-clock time has passed; null for no limit.</summary>
    public double? MaxMinutes { get; init; }

    /// <summary>Continue from the latest checkpoint in the output directory, if there is one.</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// Capture the first step's forward and backward passes into a <see cref="Forge.Tensors.StepGraph"/> and replay it for every later
    /// step whose batches have the same shapes (a batch of other shapes runs eagerly): the same results as eager steps, with no
    /// managed allocation per step. Needs <see cref="Trainer{TBatch}.BatchTensors"/>; the loss must depend on a batch only
    /// through those tensors and must not read tensor values on the host.
    /// </summary>
    public bool UseStepGraph { get; init; }

    /// <summary>Checks the values, throwing <see cref="ForgeException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ForgeException("The output directory must be given.");
        if (MaxSteps < 1) throw new ForgeException($"The number of steps must be at least 1, found {MaxSteps}.");
        if (GradientAccumulationSteps < 1) throw new ForgeException($"Gradient accumulation steps must be at least 1, found {GradientAccumulationSteps}.");
        if (!(LearningRate > 0)) throw new ForgeException($"The learning rate must be positive, found {LearningRate}.");
        if (WarmupSteps is < 0) throw new ForgeException($"Warmup steps must be non-negative, found {WarmupSteps}.");
        if (EvalEvery < 0 || SaveEvery < 0) throw new ForgeException($"Evaluation and save intervals must be non-negative, found {EvalEvery} and {SaveEvery}.");
        if (EvalBatches < 1) throw new ForgeException($"Evaluation batches must be at least 1, found {EvalBatches}.");
        if (KeepLast < 1) throw new ForgeException($"At least the last checkpoint must be kept, found KeepLast = {KeepLast}.");
        if (string.IsNullOrWhiteSpace(BestMetric)) throw new ForgeException("The best-model metric must be named.");
        if (EarlyStoppingPatience < 0) throw new ForgeException($"Early-stopping patience must be non-negative, found {EarlyStoppingPatience}.");
        if (MaxMinutes is <= 0) throw new ForgeException($"The time limit must be positive, found {MaxMinutes} minutes.");
    }
}
