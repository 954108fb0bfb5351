using System.Diagnostics;
using System.Text.Json.Nodes;
using Forge.Autograd;
using Forge.Data;
using Forge.Nn;
using Forge.Optim;
using Forge.Optim.Schedulers;
using Forge.Serialization;
using Forge.Tensors;
using Forge.Training.Logging;

namespace Forge.Training;

/// <summary>One finished optimizer step, as <see cref="Trainer{TBatch}.StepCompleted"/> reports it.</summary>
public sealed record TrainerStep(long Step, double Loss, double LearningRate, double GradientNorm, double TokensPerSecond);

/// <summary>What <see cref="Trainer{TBatch}.Train"/> did.</summary>
/// <param name="Step">The last step trained.</param>
/// <param name="LastLoss">The training loss of the last step.</param>
/// <param name="LastValidationLoss">The validation loss of the last evaluation, if any.</param>
/// <param name="BestValidationLoss">The best value of <see cref="TrainerOptions.BestMetric"/> (the validation loss by default), if evaluated.</param>
/// <param name="StoppedByTimeLimit">Whether <see cref="TrainerOptions.MaxMinutes"/> ended the run.</param>
/// <param name="ResumedFrom">The checkpoint the run resumed from, if any.</param>
/// <param name="LastCheckpoint">The checkpoint of the last step.</param>
/// <param name="BestCheckpoint">The checkpoint of the best evaluation, if any (kept however many later ones are pruned).</param>
/// <param name="StoppedEarly">Whether <see cref="TrainerOptions.EarlyStoppingPatience"/> ended the run.</param>
public sealed record TrainingSummary(long Step, double LastLoss, double? LastValidationLoss, double? BestValidationLoss, bool StoppedByTimeLimit,
    string? ResumedFrom, string LastCheckpoint, string? BestCheckpoint = null, bool StoppedEarly = false);

/// <summary>
/// A model-agnostic training loop in the manner of Hugging Face's Trainer: AdamW (no decay on biases and norms) with linear warmup and
/// cosine decay, gradient accumulation, gradient-norm clipping, periodic evaluation, atomic checkpoints every N steps with keep-last-K
/// and keep-best, exact resumption (model, optimizer, scheduler, dropout generator and data position), <c>metrics.jsonl</c>,
/// TensorBoard event files, a loss chart and a progress line.
/// </summary>
/// <typeparam name="TBatch">What the batch source yields and the loss function takes.</typeparam>
public sealed class Trainer<TBatch>
{
    private const string CheckpointsFolder = "checkpoints";

    private readonly Module model;
    private readonly Func<TBatch, Tensor> lossFunction;
    private readonly IBatchSource<TBatch> train;
    private readonly Func<IEnumerable<TBatch>>? validation;
    private readonly Generator? generator;
    private readonly Func<TBatch, long>? countTokens;
    private readonly IReadOnlyList<Tensor> trainedParameters;

    /// <summary>The micro-batches of the current step and their losses (reused from step to step).</summary>
    private readonly TBatch[] batches;
    private readonly Tensor[] losses;
    private readonly Tensor[] graphLosses;

    /// <summary>
    /// The captured step of <see cref="TrainerOptions.UseStepGraph"/> and the tensors of the batches it was captured with; released
    /// before each evaluation and captured again at the next step.
    /// </summary>
    private StepGraph? graph;
    private Tensor[][]? graphInputs;
    private bool loggedCapture, loggedEagerBatch;

    /// <summary>Prepares training of <paramref name="model"/>.</summary>
    /// <param name="model">The model; its parameters that require gradients are trained.</param>
    /// <param name="loss">The scalar loss of a batch (the model in training mode).</param>
    /// <param name="train">The training batches.</param>
    /// <param name="options">Steps, schedule, evaluation, checkpoints.</param>
    /// <param name="validation">A fresh pass over the validation batches (the first <see cref="TrainerOptions.EvalBatches"/> are used).</param>
    /// <param name="generator">The random generator the model's dropout draws from, saved in checkpoints so resumption is exact.</param>
    /// <param name="countTokens">Tokens in a batch, for the throughput; null to report batches per second.</param>
    public Trainer(Module model, Func<TBatch, Tensor> loss, IBatchSource<TBatch> train, TrainerOptions options,
        Func<IEnumerable<TBatch>>? validation = null, Generator? generator = null, Func<TBatch, long>? countTokens = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.model = model;
        lossFunction = loss;
        this.train = train;
        this.validation = validation;
        this.generator = generator;
        this.countTokens = countTokens;
        Options = options;
        Optimizer = new AdamW(ParameterGroups.WithNoDecay(model, options.WeightDecay), options.LearningRate, options.Beta1, options.Beta2,
            weightDecay: options.WeightDecay);
        trainedParameters = [.. Optimizer.ParameterGroups.SelectMany(g => g.Parameters)];
        batches = new TBatch[options.GradientAccumulationSteps];
        losses = new Tensor[options.GradientAccumulationSteps];
        graphLosses = new Tensor[options.GradientAccumulationSteps];
        int warmup = Math.Min(options.WarmupSteps ?? options.MaxSteps / 20, options.MaxSteps);
        Scheduler = options.Schedule switch
        {
            LearningRateSchedule.Linear => new LinearWarmupDecay(Optimizer, warmup, options.MaxSteps),
            LearningRateSchedule.Constant => new LambdaLR(Optimizer, step => step < warmup ? (double)step / warmup : 1.0),
            _ => new CosineWarmupDecay(Optimizer, warmup, options.MaxSteps),
        };
    }

    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The AdamW optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The warmup + decay schedule of <see cref="TrainerOptions.Schedule"/>.</summary>
    public LearningRateScheduler Scheduler { get; }

    /// <summary>Where checkpoints are written: <c>OUT/checkpoints</c>.</summary>
    public string CheckpointsDirectory => Path.Combine(Options.OutputDirectory, CheckpointsFolder);

    /// <summary>Shows progress; null for none.</summary>
    public ProgressLine? Progress { get; init; }

    /// <summary>
    /// The tensors of a batch, in a fixed order: with <see cref="TrainerOptions.UseStepGraph"/>, each new batch's tensors are copied
    /// into those of the batch the step was captured with before the step is replayed.
    /// </summary>
    public Func<TBatch, IReadOnlyList<Tensor>>? BatchTensors { get; init; }

    /// <summary>Receives one line per notable event (resume, evaluation, checkpoint, stop); <see cref="TextWriter.Null"/> by default.</summary>
    public TextWriter Log { get; init; } = TextWriter.Null;

    /// <summary>Raised after every optimizer step.</summary>
    public event Action<TrainerStep>? StepCompleted;

    /// <summary>
    /// Computes extra evaluation metrics (name to value, such as accuracy or F1) at every evaluation, with the model in evaluation
    /// mode and gradients off; they are logged with a <c>val_</c> prefix and may be <see cref="TrainerOptions.BestMetric"/>.
    /// </summary>
    public Func<IReadOnlyDictionary<string, double>>? EvaluationMetrics { get; init; }

    /// <summary>Raised after every evaluation with the step and its values (<c>val_loss</c> and the <c>val_</c>-prefixed metrics).</summary>
    public event Action<long, IReadOnlyDictionary<string, double>>? Evaluated;

    /// <summary>Trains until <see cref="TrainerOptions.MaxSteps"/> or the time limit, saving a final checkpoint.</summary>
    public TrainingSummary Train()
    {
        if (Options.UseStepGraph && BatchTensors is null)
            throw new ForgeException("TrainerOptions.UseStepGraph needs the trainer's BatchTensors: the tensors of a batch that each new batch is copied into.");
        try
        {
            return TrainSteps();
        }
        finally
        {
            ReleaseStepGraph();
        }
    }

    /// <summary>Gives the captured step's memory back to the pool (the next step captures again).</summary>
    private void ReleaseStepGraph()
    {
        graph?.Dispose();
        graph = null;
        graphInputs = null;
    }

    private TrainingSummary TrainSteps()
    {
        var clock = Stopwatch.StartNew();
        long step = 0;
        double? bestValidation = null;
        long bestStep = -1;
        int staleEvaluations = 0;
        string? resumedFrom = null;
        if (Options.Resume && Checkpoint.FindLatest(CheckpointsDirectory) is string latest)
        {
            TrainingCheckpointState state = TrainingCheckpoint.Load(latest, model, Optimizer, Scheduler, generator);
            step = state.Step;
            if (state.Extra["data"] is JsonObject data) train.LoadStateDict(data);
            bestValidation = (state.Extra["best_metric"] ?? state.Extra["best_val_loss"])?.GetValue<double>();
            bestStep = state.Extra["best_step"]?.GetValue<long>() ?? -1;
            staleEvaluations = state.Extra["stale_evaluations"]?.GetValue<int>() ?? 0;
            resumedFrom = latest;
            Log.WriteLine($"Resumed from {latest} (step {step}).");
        }

        Directory.CreateDirectory(Options.OutputDirectory);
        using var metrics = new MetricsLog(Options.OutputDirectory, resumedFrom is null ? null : step);
        using var events = new TensorBoardWriter(Options.OutputDirectory, resumedFrom is null ? null : step);
        model.Train();
        double lastLoss = double.NaN;
        double? lastValidation = null;
        bool stoppedByTime = false;
        bool stoppedEarly = false;
        long savedStep = resumedFrom is null ? -1 : step;
        long startStep = step;
        TimeSpan limit = Options.MaxMinutes is double minutes ? TimeSpan.FromMinutes(minutes) : TimeSpan.MaxValue;
        TimeSpan slowestStep = TimeSpan.Zero;

        while (step < Options.MaxSteps)
        {
            if (clock.Elapsed + slowestStep > limit)
            {
                stoppedByTime = true;
                Progress?.Complete();
                Log.WriteLine($"Stopping at step {step}: the time limit of {Options.MaxMinutes} minutes is reached.");
                break;
            }
            TimeSpan stepStart = clock.Elapsed;
            (double loss, double gradientNorm, long tokens) = TrainStep();
            step++;
            lastLoss = loss;
            double learningRate = Optimizer.ParameterGroups[0].LearningRate;
            Scheduler.Step();
            TimeSpan stepTime = clock.Elapsed - stepStart;
            slowestStep = stepTime > slowestStep ? stepTime : slowestStep;
            double throughput = tokens / Math.Max(stepTime.TotalSeconds, 1e-9);

            metrics.LogTraining(step, loss, learningRate, throughput);
            events.AddScalar("train/loss", loss, step);
            events.AddScalar("train/lr", learningRate, step);
            StepCompleted?.Invoke(new TrainerStep(step, loss, learningRate, gradientNorm, throughput));
            Progress?.Update(ProgressLine.Format(step, Options.MaxSteps, loss, learningRate, throughput,
                ProgressLine.EstimateRemaining(step - startStep, Options.MaxSteps - step, clock.Elapsed)));

            bool improved = false;
            if (Options.EvalEvery > 0 && (validation is not null || EvaluationMetrics is not null) && step % Options.EvalEvery == 0)
            {
                // Evaluation borrows the captured step's memory instead of adding its own.
                ReleaseStepGraph();
                IReadOnlyDictionary<string, double> values = EvaluateAll();
                if (values.TryGetValue("val_loss", out double validationLoss)) lastValidation = validationLoss;
                metrics.Write(step, values);
                foreach (var (name, value) in values) events.AddScalar("val/" + name[4..], value, step);
                Evaluated?.Invoke(step, values);
                Progress?.Complete();
                Log.WriteLine($"step {step}: " + string.Join(", ", values.Select(v => $"{v.Key} {v.Value:0.0000}")) +
                    (validation is not null ? $" (perplexity {Math.Exp(validationLoss):0.00})" : ""));
                double current = BestValue(values);
                if (bestValidation is not double best || (Options.BestIsGreater ? current > best : current < best))
                {
                    bestValidation = current;
                    bestStep = step;
                    improved = true;
                    staleEvaluations = 0;
                }
                else
                {
                    staleEvaluations++;
                }
            }
            stoppedEarly = Options.EarlyStoppingPatience > 0 && staleEvaluations >= Options.EarlyStoppingPatience;
            if ((Options.SaveEvery > 0 && step % Options.SaveEvery == 0) || improved || stoppedEarly)
            {
                Save(step, bestValidation, bestStep, staleEvaluations);
                savedStep = step;
            }
            if (stoppedEarly)
            {
                Log.WriteLine($"Stopping early at step {step}: {Options.BestMetric} has not improved for {staleEvaluations} evaluations " +
                    $"(best {bestValidation:0.0000} at step {bestStep}).");
                break;
            }
        }
        if (savedStep != step) Save(step, bestValidation, bestStep, staleEvaluations);
        Progress?.Complete();
        try
        {
            LossChart.WriteFromMetrics(metrics.FilePath, Path.Combine(Options.OutputDirectory, "loss.png"));
        }
        catch (ForgeException e)
        {
            Log.WriteLine($"No loss chart: {e.Message}");
        }
        return new TrainingSummary(step, lastLoss, lastValidation, bestValidation, stoppedByTime, resumedFrom,
            Checkpoint.StepDirectory(CheckpointsDirectory, step), bestStep >= 0 ? Checkpoint.StepDirectory(CheckpointsDirectory, bestStep) : null,
            stoppedEarly);
    }

    /// <summary>
    /// The validation loss (<c>val_loss</c>, when the trainer has validation data) and the <see cref="EvaluationMetrics"/> with a
    /// <c>val_</c> prefix, computed in evaluation mode without gradients.
    /// </summary>
    public IReadOnlyDictionary<string, double> EvaluateAll()
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        if (validation is not null) values["val_loss"] = Evaluate();
        if (EvaluationMetrics is null) return values;
        model.Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            foreach (var (name, value) in EvaluationMetrics()) values["val_" + name] = value;
        }
        finally
        {
            model.Train();
        }
        return values;
    }

    private double BestValue(IReadOnlyDictionary<string, double> values)
    {
        string name = Options.BestMetric;
        if (values.TryGetValue(name, out double value) || values.TryGetValue("val_" + name, out value)) return value;
        throw new ForgeException($"The best-model metric '{name}' is not among the evaluation values: {string.Join(", ", values.Keys)}.");
    }

    /// <summary>
    /// The mean loss over the first <see cref="TrainerOptions.EvalBatches"/> validation batches, in evaluation mode without gradients
    /// (each batch's temporaries go back to the memory pool after it).
    /// </summary>
    public double Evaluate()
    {
        if (validation is null) throw new ForgeException("The trainer was given no validation data.");
        model.Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            double total = 0;
            int count = 0;
            foreach (TBatch batch in validation().Take(Options.EvalBatches))
            {
                using var scope = TensorScope.Begin();
                total += lossFunction(batch).Item();
                count++;
            }
            if (count == 0) throw new ForgeException("The validation data holds no batch.");
            return total / count;
        }
        finally
        {
            model.Train();
        }
    }

    /// <summary>
    /// One optimizer step. Gradient buffers are kept from step to step. Eager steps give their temporaries back to the memory pool
    /// when they end (<see cref="TensorScope"/>), so after the first step a step allocates no new tensor memory; a replayed step
    /// graph allocates nothing at all.
    /// </summary>
    private (double Loss, double GradientNorm, long Tokens) TrainStep()
    {
        Optimizer.ZeroGrad(setToNone: false);
        long tokens;
        double loss;
        if (Options.UseStepGraph)
        {
            tokens = DrawBatches();
            loss = GraphForwardBackward();
        }
        else
        {
            using var scope = TensorScope.Begin();
            tokens = DrawBatches();
            loss = ForwardBackward();
        }
        if (!double.IsFinite(loss)) throw new ForgeException($"The training loss became {loss}; lower the learning rate or check the data.");
        if (Options.MaxGradNorm <= 0)
        {
            Optimizer.Step();
            return (loss, double.NaN, tokens);
        }
        float norm = GradientClipping.GetTotalNorm(trainedParameters);
        if (!float.IsFinite(norm)) throw new ForgeException($"The gradient norm became {norm}; lower the learning rate or check the data.");
        Optimizer.Step(GradientClipping.ClipCoefficient(Options.MaxGradNorm, norm));
        return (loss, norm, tokens);
    }

    /// <summary>Draws the step's micro-batches; returns their tokens.</summary>
    private long DrawBatches()
    {
        long tokens = 0;
        for (int micro = 0; micro < batches.Length; micro++)
        {
            batches[micro] = train.NextBatch();
            tokens += countTokens?.Invoke(batches[micro]) ?? 1;
        }
        return tokens;
    }

    /// <summary>Computes the micro-batches' losses and accumulates their gradients eagerly; returns the mean loss.</summary>
    private double ForwardBackward()
    {
        ComputeGradients(batches, losses);
        return MeanLoss(losses);
    }

    /// <summary>Computes each micro-batch's loss into <paramref name="values"/> and accumulates its gradients, divided by their number.</summary>
    private void ComputeGradients(TBatch[] micro, Tensor[] values)
    {
        for (int i = 0; i < micro.Length; i++)
        {
            Tensor value = lossFunction(micro[i]);
            values[i] = value;
            (micro.Length == 1 ? value : value.Div(micro.Length)).Backward();
        }
    }

    private static double MeanLoss(Tensor[] values)
    {
        double loss = 0;
        for (int i = 0; i < values.Length; i++) loss += values[i].Item() / values.Length;
        return loss;
    }

    /// <summary>
    /// The forward and backward passes through the step graph: captured with the first step's batches, then replayed after each
    /// new batch is copied into the captured batch's tensors; batches of other shapes run eagerly.
    /// </summary>
    private double GraphForwardBackward()
    {
        if (graph is null)
        {
            var captured = (TBatch[])batches.Clone();
            graphInputs = [.. captured.Select(b => BatchTensors!(b).ToArray())];
            try
            {
                graph = StepGraph.Capture(() => ComputeGradients(captured, graphLosses));
            }
            catch (StepGraphCaptureException e)
            {
                throw new ForgeException($"The training step cannot be captured into a step graph: {e.Message} Train without the step graph.", e);
            }
            if (!loggedCapture) Log.WriteLine($"Captured the training step: {graph.KernelCount} kernels, replayed for every batch of the same shapes.");
            loggedCapture = true;
            return MeanLoss(graphLosses);
        }
        if (!CopyIntoGraphInputs())
        {
            if (!loggedEagerBatch) Log.WriteLine("A batch of other shapes than the captured step's runs eagerly (so will any other).");
            loggedEagerBatch = true;
            using var scope = TensorScope.Begin();
            return ForwardBackward();
        }
        graph.Replay();
        return MeanLoss(graphLosses);
    }

    /// <summary>
    /// Copies the step's batch tensors into the captured ones; false when their number, types or shapes differ (the captured
    /// tensors may then be partly overwritten: the next replay copies all of them again).
    /// </summary>
    private bool CopyIntoGraphInputs()
    {
        for (int micro = 0; micro < batches.Length; micro++)
        {
            IReadOnlyList<Tensor> given = BatchTensors!(batches[micro]);
            Tensor[] captured = graphInputs![micro];
            if (!SameLayout(given, captured)) return false;
            for (int i = 0; i < captured.Length; i++)
            {
                if (!ReferenceEquals(given[i], captured[i])) captured[i].CopyFrom(given[i]);
            }
        }
        return true;
    }

    private static bool SameLayout(IReadOnlyList<Tensor> given, Tensor[] captured)
    {
        if (given.Count != captured.Length) return false;
        for (int i = 0; i < captured.Length; i++)
        {
            Tensor a = given[i], b = captured[i];
            if (a.DType != b.DType || a.Dim != b.Dim) return false;
            for (int d = 0; d < a.Dim; d++)
            {
                if (a.Size(d) != b.Size(d)) return false;
            }
        }
        return true;
    }

    private void Save(long step, double? bestValidation, long bestStep, int staleEvaluations)
    {
        var extra = new JsonObject { ["data"] = train.StateDict() };
        if (bestValidation is double best)
        {
            extra["best_metric"] = best;
            extra["best_step"] = bestStep;
            extra["stale_evaluations"] = staleEvaluations;
        }
        string directory = Checkpoint.StepDirectory(CheckpointsDirectory, step);
        TrainingCheckpoint.Save(directory, model, step, Optimizer, Scheduler, generator, extra);
        var keep = bestStep >= 0 ? new HashSet<string> { Path.GetFileName(Checkpoint.StepDirectory(CheckpointsDirectory, bestStep)) } : null;
        Checkpoint.Prune(CheckpointsDirectory, Options.KeepLast, keep);
    }
}
