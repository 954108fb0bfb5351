using Forge.Tensors;

namespace Forge.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay, as torch.optim.SGD:
/// d = g + λ·w; with momentum μ, b = d on the first step and b = μ·b + (1 − dampening)·d afterwards, then d = d + μ·b
/// (Nesterov) or d = b; w ← w − lr·d.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>SGD over one group of <paramref name="parameters"/>.</summary>
    public Sgd(IEnumerable<Tensor> parameters, double learningRate, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : this(SingleGroup(parameters), learningRate, momentum, dampening, weightDecay, nesterov) { }

    /// <summary>SGD over <paramref name="parameterGroups"/>; the other arguments are the defaults for options a group leaves unset.</summary>
    public Sgd(IEnumerable<ParameterGroup> parameterGroups, double learningRate, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : base(parameterGroups, new ParameterGroup([])
        {
            LearningRate = learningRate,
            Momentum = momentum,
            Dampening = dampening,
            WeightDecay = weightDecay,
            Nesterov = nesterov,
        })
    {
        foreach (ParameterGroup group in ParameterGroups) Validate(group);
    }

    /// <inheritdoc />
    protected override void Validate(ParameterGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.Nesterov && (group.Momentum <= 0 || group.Dampening != 0))
            throw new ForgeException($"Nesterov momentum needs momentum > 0 and dampening 0, found momentum {group.Momentum} and dampening {group.Dampening}.");
    }

    /// <inheritdoc />
    protected override void Update(ParameterGroup group, Tensor parameter, Tensor gradient, ParameterState state)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(state);
        Tensor? buffer = null;
        bool initialize = false;
        if (group.Momentum != 0)
        {
            initialize = !state.Buffers.ContainsKey("momentum_buffer");
            buffer = state.GetOrCreate("momentum_buffer", parameter);
        }
        parameter.Backend.SgdStep(parameter, gradient, buffer, group.LearningRate, group.Momentum, group.Dampening,
            group.WeightDecay, group.Nesterov, initialize);
    }
}
