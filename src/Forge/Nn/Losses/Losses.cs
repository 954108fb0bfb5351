using Forge.Tensors;

namespace Forge.Nn;

/// <summary>A loss module: maps (input, target) to a loss, reduced by <see cref="Reduction"/>. Call <see cref="Forward(Tensor, Tensor)"/>.</summary>
public abstract class Loss(Reduction reduction) : Module<(Tensor Input, Tensor Target), Tensor>
{
    /// <summary>How per-element losses are reduced.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/> (runs the hooks).</summary>
    public Tensor Forward(Tensor input, Tensor target) => Forward((input, target));

    /// <inheritdoc />
    public override string ExtraRepr() => Reduction == Reduction.Mean ? "" : $"reduction={Reduction}";
}

/// <summary>
/// Cross-entropy of logits against Int64 class indices (PyTorch's nn.CrossEntropyLoss): optional class weights (a buffer),
/// an ignored index (−100) and label smoothing.
/// </summary>
public sealed class CrossEntropyLoss(Tensor? weight = null, int ignoreIndex = -100, float labelSmoothing = 0, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>Per-class weights [C], or null.</summary>
    [Buffer]
    public Tensor? Weight { get; set; } = weight;

    /// <summary>Targets with this value add nothing.</summary>
    public int IgnoreIndex { get; } = ignoreIndex;

    /// <summary>The share of the uniform distribution mixed into the target.</summary>
    public float LabelSmoothing { get; } = labelSmoothing;

    /// <inheritdoc />
    protected override Tensor ForwardCore((Tensor Input, Tensor Target) input) =>
        Functional.CrossEntropy(input.Input, input.Target, Weight, IgnoreIndex, LabelSmoothing, Reduction);
}

/// <summary>Negative log-likelihood of log-probabilities against Int64 class indices (PyTorch's nn.NLLLoss).</summary>
public sealed class NllLoss(Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>Per-class weights [C], or null.</summary>
    [Buffer]
    public Tensor? Weight { get; set; } = weight;

    /// <summary>Targets with this value add nothing.</summary>
    public int IgnoreIndex { get; } = ignoreIndex;

    /// <inheritdoc />
    protected override Tensor ForwardCore((Tensor Input, Tensor Target) input) =>
        Functional.NllLoss(input.Input, input.Target, Weight, IgnoreIndex, Reduction);
}

/// <summary>Squared error (PyTorch's nn.MSELoss).</summary>
public sealed class MseLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc />
    protected override Tensor ForwardCore((Tensor Input, Tensor Target) input) => Functional.MseLoss(input.Input, input.Target, Reduction);
}

/// <summary>Absolute error (PyTorch's nn.L1Loss).</summary>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc />
    protected override Tensor ForwardCore((Tensor Input, Tensor Target) input) => Functional.L1Loss(input.Input, input.Target, Reduction);
}

/// <summary>Binary cross-entropy on logits (PyTorch's nn.BCEWithLogitsLoss), with optional element and positive-class weights (buffers).</summary>
public sealed class BceWithLogitsLoss(Tensor? weight = null, Tensor? positiveWeight = null, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>Scales each element's loss, or null.</summary>
    [Buffer]
    public Tensor? Weight { get; set; } = weight;

    /// <summary>Scales the positive term (PyTorch's pos_weight), or null.</summary>
    [Buffer]
    [StateName("pos_weight")]
    public Tensor? PositiveWeight { get; set; } = positiveWeight;

    /// <inheritdoc />
    protected override Tensor ForwardCore((Tensor Input, Tensor Target) input) =>
        Functional.BinaryCrossEntropyWithLogits(input.Input, input.Target, Weight, PositiveWeight, Reduction);
}
