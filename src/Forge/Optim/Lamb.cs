using Forge.Tensors;

namespace Forge.Optim;

/// <summary>
/// LAMB (You et al., 2019): Adam-style moments with a layer-wise trust ratio. Per parameter w at step t:
/// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; u = (m/(1−β1^t)) / (√(v/(1−β2^t)) + ε) + λ·w;
/// r = ‖w‖/‖u‖ when both norms are positive, else 1 (no clamping); w ← w − lr·r·u.
/// </summary>
public sealed class Lamb : Optimizer
{
    /// <summary>LAMB over one group of <paramref name="parameters"/>.</summary>
    public Lamb(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-6, double weightDecay = 0)
        : this(SingleGroup(parameters), learningRate, beta1, beta2, epsilon, weightDecay) { }

    /// <summary>LAMB over <paramref name="parameterGroups"/>; the other arguments are the defaults for options a group leaves unset.</summary>
    public Lamb(IEnumerable<ParameterGroup> parameterGroups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-6, double weightDecay = 0)
        : base(parameterGroups, new ParameterGroup([])
        {
            LearningRate = learningRate,
            Beta1 = beta1,
            Beta2 = beta2,
            Epsilon = epsilon,
            WeightDecay = weightDecay,
        }) { }

    /// <inheritdoc />
    protected override void Update(ParameterGroup group, Tensor parameter, Tensor gradient, ParameterState state)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(state);
        Tensor expAvg = state.GetOrCreate("exp_avg", parameter);
        Tensor expAvgSq = state.GetOrCreate("exp_avg_sq", parameter);
        Tensor update = Tensor.EmptyLike(parameter);
        var (paramSq, updateSq) = parameter.Backend.LambUpdate(parameter, gradient, expAvg, expAvgSq, update, group.Beta1, group.Beta2,
            group.Epsilon, group.WeightDecay, state.StepCount);
        double paramNorm = Math.Sqrt(paramSq), updateNorm = Math.Sqrt(updateSq);
        double trust = paramNorm > 0 && updateNorm > 0 ? paramNorm / updateNorm : 1;
        parameter.AddInPlace(update, (float)(-group.LearningRate * trust));
    }
}
