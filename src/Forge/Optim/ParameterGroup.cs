using System.Text.Json.Nodes;
using Forge.Tensors;

namespace Forge.Optim;

/// <summary>
/// A set of parameters that share hyper-parameters (PyTorch's param_groups entry). Options left unset take the
/// optimizer's values when the optimizer is created; an optimizer reads only the options it uses
/// (SGD: learning rate, weight decay, momentum, dampening, Nesterov; Adam, AdamW and LAMB: learning rate, weight decay,
/// betas, epsilon and, for Adam and AdamW, AMSGrad). Reading an option that is still unset gives its usual default (0 for the
/// learning rate). Options can be changed between steps (schedulers set the learning rate). Set options with an object
/// initializer: <c>new ParameterGroup(biases) { WeightDecay = 0 }</c>.
/// </summary>
public sealed class ParameterGroup
{
    private double? learningRate;
    private double? weightDecay;
    private double? momentum;
    private double? dampening;
    private bool? nesterov;
    private double? beta1;
    private double? beta2;
    private double? epsilon;
    private bool? amsGrad;
    private double? initialLearningRate;

    /// <summary>Creates a group of <paramref name="parameters"/> (each a Float32 tensor, usually a <see cref="Nn.Parameter"/>).</summary>
    public ParameterGroup(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = [.. parameters];
        foreach (Tensor p in Parameters)
        {
            if (p is null) throw new ForgeException("A parameter group cannot hold a null parameter.");
        }
    }

    /// <summary>The parameters this group updates.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>
    /// Learning rate. Optimizers reject a negative rate when created and at each step; a scheduler may set any finite value
    /// (PyTorch's OneCycleLR with linear annealing ends slightly below zero after its last step).
    /// </summary>
    public double LearningRate
    {
        get => learningRate ?? 0;
        set => learningRate = double.IsFinite(value) ? value : throw new ForgeException($"LearningRate must be finite, found {value}.");
    }

    /// <summary>Weight decay (≥ 0): an L2 term for SGD and Adam, decoupled for AdamW, added to the update for LAMB.</summary>
    public double WeightDecay
    {
        get => weightDecay ?? 0;
        set => weightDecay = NonNegative(value, nameof(WeightDecay));
    }

    /// <summary>SGD momentum factor (≥ 0).</summary>
    public double Momentum
    {
        get => momentum ?? 0;
        set => momentum = NonNegative(value, nameof(Momentum));
    }

    /// <summary>SGD dampening of the momentum buffer's gradient term.</summary>
    public double Dampening
    {
        get => dampening ?? 0;
        set => dampening = double.IsFinite(value) ? value : throw new ForgeException($"Dampening must be finite, found {value}.");
    }

    /// <summary>Whether SGD uses Nesterov momentum (needs momentum &gt; 0 and dampening 0).</summary>
    public bool Nesterov
    {
        get => nesterov ?? false;
        set => nesterov = value;
    }

    /// <summary>Adam's β1, the decay of the first moment, in [0, 1).</summary>
    public double Beta1
    {
        get => beta1 ?? 0.9;
        set => beta1 = Beta(value, nameof(Beta1));
    }

    /// <summary>Adam's β2, the decay of the second moment, in [0, 1).</summary>
    public double Beta2
    {
        get => beta2 ?? 0.999;
        set => beta2 = Beta(value, nameof(Beta2));
    }

    /// <summary>The term added to Adam's denominator (≥ 0).</summary>
    public double Epsilon
    {
        get => epsilon ?? 1e-8;
        set => epsilon = NonNegative(value, nameof(Epsilon));
    }

    /// <summary>Whether Adam uses the AMSGrad variant (running maximum of the second moment).</summary>
    public bool AmsGrad
    {
        get => amsGrad ?? false;
        set => amsGrad = value;
    }

    /// <summary>The learning rate schedulers start from (PyTorch's initial_lr); set by the first scheduler attached.</summary>
    public double? InitialLearningRate
    {
        get => initialLearningRate;
        set => initialLearningRate = value is double v && !double.IsFinite(v) ? throw new ForgeException($"InitialLearningRate must be finite, found {v}.") : value;
    }

    /// <summary>Fills the options not set on this group from <paramref name="defaults"/>.</summary>
    internal void InheritFrom(ParameterGroup defaults)
    {
        learningRate ??= defaults.learningRate;
        weightDecay ??= defaults.weightDecay;
        momentum ??= defaults.momentum;
        dampening ??= defaults.dampening;
        nesterov ??= defaults.nesterov;
        beta1 ??= defaults.beta1;
        beta2 ??= defaults.beta2;
        epsilon ??= defaults.epsilon;
        amsGrad ??= defaults.amsGrad;
    }

    /// <summary>The options that are set, under PyTorch's key names.</summary>
    internal JsonObject OptionsToJson()
    {
        var json = new JsonObject();
        if (learningRate is double lr) json["lr"] = lr;
        if (weightDecay is double wd) json["weight_decay"] = wd;
        if (momentum is double m) json["momentum"] = m;
        if (dampening is double d) json["dampening"] = d;
        if (nesterov is bool n) json["nesterov"] = n;
        if (beta1 is double b1) json["beta1"] = b1;
        if (beta2 is double b2) json["beta2"] = b2;
        if (epsilon is double e) json["eps"] = e;
        if (amsGrad is bool a) json["amsgrad"] = a;
        if (initialLearningRate is double i) json["initial_lr"] = i;
        return json;
    }

    /// <summary>Sets the options present in <paramref name="json"/> (as written by <see cref="OptionsToJson"/>).</summary>
    internal void OptionsFromJson(JsonObject json)
    {
        if (json["lr"] is JsonNode lr) LearningRate = lr.GetValue<double>();
        if (json["weight_decay"] is JsonNode wd) WeightDecay = wd.GetValue<double>();
        if (json["momentum"] is JsonNode m) Momentum = m.GetValue<double>();
        if (json["dampening"] is JsonNode d) Dampening = d.GetValue<double>();
        if (json["nesterov"] is JsonNode n) Nesterov = n.GetValue<bool>();
        if (json["beta1"] is JsonNode b1) Beta1 = b1.GetValue<double>();
        if (json["beta2"] is JsonNode b2) Beta2 = b2.GetValue<double>();
        if (json["eps"] is JsonNode e) Epsilon = e.GetValue<double>();
        if (json["amsgrad"] is JsonNode a) AmsGrad = a.GetValue<bool>();
        if (json["initial_lr"] is JsonNode i) InitialLearningRate = i.GetValue<double>();
    }

    private static double NonNegative(double value, string name) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ForgeException($"{name} must be a finite value ≥ 0, found {value}.");

    private static double Beta(double value, string name) =>
        value >= 0 && value < 1 ? value : throw new ForgeException($"{name} must be in [0, 1), found {value}.");
}
