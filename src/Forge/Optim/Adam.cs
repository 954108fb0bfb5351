using Forge.Tensors;

namespace Forge.Optim;

/// <summary>
/// Adam with L2 weight decay added to the gradient and optional AMSGrad, as torch.optim.Adam:
/// g ← g + λ·w; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; w ← w − lr/(1−β1^t) · m / (√v / √(1−β2^t) + ε)
/// (with AMSGrad, the running maximum of v replaces v in the denominator).
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>Adam over one group of <paramref name="parameters"/>.</summary>
    public Adam(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0, bool amsGrad = false)
        : this(SingleGroup(parameters), learningRate, beta1, beta2, epsilon, weightDecay, amsGrad) { }

    /// <summary>Adam over <paramref name="parameterGroups"/>; the other arguments are the defaults for options a group leaves unset.</summary>
    public Adam(IEnumerable<ParameterGroup> parameterGroups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0, bool amsGrad = false)
        : base(parameterGroups, AdamUpdate.Defaults(learningRate, beta1, beta2, epsilon, weightDecay, amsGrad)) { }

    /// <inheritdoc />
    protected override bool FoldsGradientScale => true;

    /// <inheritdoc />
    protected override void Update(ParameterGroup group, Tensor parameter, Tensor gradient, ParameterState state) =>
        AdamUpdate.Apply(group, parameter, gradient, state, decoupled: false, GradientScale);
}

/// <summary>
/// AdamW: Adam with decoupled weight decay, as torch.optim.AdamW: w ← w·(1 − lr·λ) before the Adam update (whose gradient
/// carries no decay term). The default weight decay is 0.01.
/// </summary>
public sealed class AdamW : Optimizer
{
    /// <summary>AdamW over one group of <paramref name="parameters"/>.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0.01, bool amsGrad = false)
        : this(SingleGroup(parameters), learningRate, beta1, beta2, epsilon, weightDecay, amsGrad) { }

    /// <summary>AdamW over <paramref name="parameterGroups"/>; the other arguments are the defaults for options a group leaves unset.</summary>
    public AdamW(IEnumerable<ParameterGroup> parameterGroups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0.01, bool amsGrad = false)
        : base(parameterGroups, AdamUpdate.Defaults(learningRate, beta1, beta2, epsilon, weightDecay, amsGrad)) { }

    /// <inheritdoc />
    protected override bool FoldsGradientScale => true;

    /// <inheritdoc />
    protected override void Update(ParameterGroup group, Tensor parameter, Tensor gradient, ParameterState state) =>
        AdamUpdate.Apply(group, parameter, gradient, state, decoupled: true, GradientScale);
}

/// <summary>The update shared by <see cref="Adam"/> and <see cref="AdamW"/>.</summary>
internal static class AdamUpdate
{
    public static ParameterGroup Defaults(double learningRate, double beta1, double beta2, double epsilon, double weightDecay, bool amsGrad) =>
        new([])
        {
            LearningRate = learningRate,
            Beta1 = beta1,
            Beta2 = beta2,
            Epsilon = epsilon,
            WeightDecay = weightDecay,
            AmsGrad = amsGrad,
        };

    public static void Apply(ParameterGroup group, Tensor parameter, Tensor gradient, ParameterState state, bool decoupled, float gradientScale)
    {
        Tensor expAvg = state.GetOrCreate("exp_avg", parameter);
        Tensor expAvgSq = state.GetOrCreate("exp_avg_sq", parameter);
        Tensor? maxExpAvgSq = group.AmsGrad ? state.GetOrCreate("max_exp_avg_sq", parameter) : null;
        parameter.Backend.AdamStep(parameter, gradient, expAvg, expAvgSq, maxExpAvgSq, group.LearningRate, group.Beta1, group.Beta2,
            group.Epsilon, group.WeightDecay, state.StepCount, decoupled, gradientScale);
    }
}
