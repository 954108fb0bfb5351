using Forge.Autograd;
using Forge.Tensors;

namespace Forge.Nn;

/// <summary>Stateless neural-network operations (PyTorch's torch.nn.functional), each differentiable.</summary>
public static partial class Functional
{
    /// <summary>
    /// Cross-entropy between <paramref name="logits"/> ([N, C], [C] or [N, C, d1, ...], classes in dimension 1) and Int64 class
    /// indices <paramref name="target"/> ([N], [] or [N, d1, ...]), computed by one fused log-softmax + NLL kernel.
    /// <paramref name="weight"/> ([C], a constant) rescales each class; targets equal to <paramref name="ignoreIndex"/> add nothing
    /// and do not count; <paramref name="labelSmoothing"/> mixes the target with the uniform distribution as PyTorch does.
    /// The mean divides by the summed weights of the non-ignored targets.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Tensor? weight = null, int ignoreIndex = -100, float labelSmoothing = 0, Reduction reduction = Reduction.Mean) =>
        CrossEntropyCore(logits, target, weight, ignoreIndex, labelSmoothing, reduction, gradientOverLogits: false);

    /// <summary>
    /// The mean <see cref="CrossEntropy"/> of logits that nothing but this loss reads again (a model's loss of logits it just
    /// computed): backward writes the logits' gradient over the logits' own memory instead of a second buffer as large (at
    /// GPT-2's 50,257 classes, 412 MB per 2,048 tokens). Such a loss can be backpropagated once; a second backward throws.
    /// </summary>
    internal static Tensor CrossEntropyOfTemporaryLogits(Tensor logits, Tensor target) =>
        CrossEntropyCore(logits, target, weight: null, ignoreIndex: -100, labelSmoothing: 0, Reduction.Mean, gradientOverLogits: logits.GradFn is not null);

    private static Tensor CrossEntropyCore(Tensor logits, Tensor target, Tensor? weight, int ignoreIndex, float labelSmoothing, Reduction reduction, bool gradientOverLogits)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ForgeException($"CrossEntropy label smoothing must lie in [0, 1], found {labelSmoothing}.");
        var layout = ClassLayout("CrossEntropy", logits, target, weight);
        int[] rows = [layout.Outer, layout.Inner];
        Tensor losses = Tensor.Empty(rows, DType.Float32, logits.Device);
        Tensor targetWeights = Tensor.Empty(rows, DType.Float32, logits.Device);
        Tensor logSumExp = Tensor.Empty(rows, DType.Float32, logits.Device);
        var backend = logits.Backend;
        backend.CrossEntropy(layout.Input, layout.Target, layout.Weight, ignoreIndex, labelSmoothing, losses, targetWeights, logSumExp);
        gradientOverLogits &= ReferenceEquals(layout.Input.Storage, logits.Storage);
        bool logitsOverwritten = false;
        Tensor perTarget = Tensor.Record(losses.View(layout.LossShape), "CrossEntropyBackward", g =>
        {
            if (logitsOverwritten)
                throw new ForgeException("This loss wrote its gradient over the logits during the first backward, so it can be backpropagated only once; compute it again, or use Functional.CrossEntropy on logits you keep.");
            logitsOverwritten = gradientOverLogits;
            Tensor gradLogits = gradientOverLogits ? layout.Input : Tensor.Empty([.. layout.Input.Shape], DType.Float32, logits.Device);
            backend.CrossEntropyBackward(layout.Input, layout.Target, layout.Weight, ignoreIndex, labelSmoothing, logSumExp, g.Contiguous().View(rows), gradLogits);
            return [gradLogits.View([.. logits.shape])];
        }, logits);
        return ReduceClassLoss(perTarget, targetWeights, reduction);
    }

    /// <summary>
    /// Negative log-likelihood of Int64 class indices under <paramref name="logProbabilities"/> (classes in dimension 1, as for
    /// <see cref="CrossEntropy"/>), with optional class weights and an ignored index; the mean divides by the summed target weights.
    /// </summary>
    public static Tensor NllLoss(Tensor logProbabilities, Tensor target, Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        var layout = ClassLayout("NllLoss", logProbabilities, target, weight);
        int[] rows = [layout.Outer, layout.Inner];
        Tensor losses = Tensor.Empty(rows, DType.Float32, logProbabilities.Device);
        Tensor targetWeights = Tensor.Empty(rows, DType.Float32, logProbabilities.Device);
        var backend = logProbabilities.Backend;
        backend.NllLoss(layout.Input, layout.Target, layout.Weight, ignoreIndex, losses, targetWeights);
        Tensor perTarget = Tensor.Record(losses.View(layout.LossShape), "NllLossBackward", g =>
        {
            Tensor gradInput = Tensor.Empty([.. layout.Input.Shape], DType.Float32, logProbabilities.Device);
            backend.NllLossBackward(layout.Target, layout.Weight, ignoreIndex, g.Contiguous().View(rows), gradInput);
            return [gradInput.View([.. logProbabilities.shape])];
        }, logProbabilities);
        return ReduceClassLoss(perTarget, targetWeights, reduction);
    }

    /// <summary>Squared error (input - target)² between tensors of one shape, reduced.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        RequireSameLossShapes("MseLoss", input, target);
        return ReduceLoss(input.Sub(target).Square(), reduction);
    }

    /// <summary>Absolute error |input - target| between tensors of one shape, reduced.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        RequireSameLossShapes("L1Loss", input, target);
        return ReduceLoss(input.Sub(target).Abs(), reduction);
    }

    /// <summary>
    /// Binary cross-entropy of probabilities sigmoid(<paramref name="logits"/>) against <paramref name="target"/> (same shape), in the
    /// stable form (1 - t)·x + (1 + (p - 1)·t)·softplus(-x). <paramref name="weight"/> scales each element and
    /// <paramref name="positiveWeight"/> (p) the positive term; both broadcast to the logits' shape.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Tensor? weight = null, Tensor? positiveWeight = null, Reduction reduction = Reduction.Mean)
    {
        RequireSameLossShapes("BinaryCrossEntropyWithLogits", logits, target);
        RequireBroadcastsTo("BinaryCrossEntropyWithLogits", "weight", weight, logits);
        RequireBroadcastsTo("BinaryCrossEntropyWithLogits", "positive weight", positiveWeight, logits);
        Tensor logWeight = positiveWeight is null ? Tensor.OnesLike(logits) : positiveWeight.Sub(1f).Mul(target).Add(1f);
        Tensor loss = target.Neg().Add(1f).Mul(logits).Add(logWeight.Mul(logits.Neg().Softplus()));
        if (weight is not null) loss = loss.Mul(weight);
        return ReduceLoss(loss, reduction);
    }

    /// <summary>
    /// Kullback-Leibler divergence with <paramref name="input"/> holding log-probabilities, as PyTorch's kl_div: each element is
    /// target·(log target - input) (0 where the target is 0), or exp(target)·(target - input) when <paramref name="logTarget"/>.
    /// <see cref="Reduction.Mean"/> averages over all elements; see <see cref="KlDivBatchMean"/> for the per-sample mean.
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false) =>
        ReduceLoss(KlDivElements(input, target, logTarget), reduction);

    /// <summary>The summed <see cref="KlDiv"/> divided by the batch size (input dimension 0), PyTorch's reduction='batchmean'.</summary>
    public static Tensor KlDivBatchMean(Tensor input, Tensor target, bool logTarget = false)
    {
        Tensor sum = KlDivElements(input, target, logTarget).Sum();
        return input.Dim == 0 ? sum : sum.Div(input.Size(0));
    }

    /// <summary>
    /// Cosine of the angle between <paramref name="x1"/> and <paramref name="x2"/> (broadcast together) along <paramref name="dim"/>:
    /// Σ (x1 / max(‖x1‖, eps))·(x2 / max(‖x2‖, eps)).
    /// </summary>
    public static Tensor CosineSimilarity(Tensor x1, Tensor x2, int dim = 1, float eps = 1e-8f)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(x2);
        int[] shape = Tensor.BroadcastShapes(x1.Shape, x2.Shape);
        int d = Tensor.NormalizeDim(dim, shape.Length);
        Tensor a = x1.BroadcastTo(shape), b = x2.BroadcastTo(shape);
        float floor = eps * eps;
        Tensor normA = a.Square().Sum(d, keepDim: true).Clamp(min: floor).Sqrt();
        Tensor normB = b.Square().Sum(d, keepDim: true).Clamp(min: floor).Sqrt();
        return a.Div(normA).Mul(b.Div(normB)).Sum(d);
    }

    /// <summary>
    /// The p-norm of x1 - x2 + eps over the last dimension (inputs broadcast together), as PyTorch's pairwise_distance.
    /// <paramref name="p"/> may be any positive number, positive infinity (largest difference) or 0 (count of non-zero differences).
    /// </summary>
    public static Tensor PairwiseDistance(Tensor x1, Tensor x2, float p = 2, float eps = 1e-6f, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(x2);
        if (!(p >= 0)) throw new ForgeException($"PairwiseDistance needs a norm order p >= 0, found {p}.");
        Tensor diff = x1.Sub(x2).Add(eps);
        if (diff.Dim == 0) throw new ForgeException("PairwiseDistance needs inputs with at least one dimension, found two scalars.");
        if (float.IsPositiveInfinity(p)) return diff.Abs().Max(-1, keepDim);
        if (p == 0) return diff.Ne(0).To(DType.Float32).Sum(-1, keepDim);
        if (p == 1) return diff.Abs().Sum(-1, keepDim);
        if (p == 2) return diff.Square().Sum(-1, keepDim).Sqrt();
        return diff.Abs().Pow(p).Sum(-1, keepDim).Pow(1 / p);
    }

    private static Tensor KlDivElements(Tensor input, Tensor target, bool logTarget)
    {
        RequireSameLossShapes("KlDiv", input, target);
        if (logTarget) return target.Exp().Mul(target.Sub(input));
        Tensor safe = target.Add(target.Eq(0).To(DType.Float32));
        return target.Mul(safe.Log()).Sub(target.Mul(input));
    }

    private static Tensor ReduceLoss(Tensor losses, Reduction reduction) => reduction switch
    {
        Reduction.None => losses,
        Reduction.Sum => losses.Sum(),
        Reduction.Mean => losses.Mean(),
        _ => throw new ForgeException($"Unknown reduction {reduction}; expected None, Mean or Sum."),
    };

    /// <summary>Reduces per-target class losses; the mean divides by the summed weights of the counted targets.</summary>
    private static Tensor ReduceClassLoss(Tensor losses, Tensor targetWeights, Reduction reduction) => reduction switch
    {
        Reduction.Mean => losses.Sum().Div(targetWeights.Sum()),
        _ => ReduceLoss(losses, reduction),
    };

    private static void RequireSameLossShapes(string op, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.Shape.SequenceEqual(target.Shape))
            throw new ForgeException($"{op} expects a target of the input's shape {Tensor.Format(input.Shape)}, found {Tensor.Format(target.Shape)}.");
    }

    private static void RequireBroadcastsTo(string op, string name, Tensor? tensor, Tensor input)
    {
        if (tensor is null) return;
        int[] shape = Tensor.BroadcastShapes(tensor.Shape, input.Shape);
        if (!shape.SequenceEqual(input.Shape))
            throw new ForgeException($"{op} expects a {name} that broadcasts to the input's shape {Tensor.Format(input.Shape)}, found {Tensor.Format(tensor.Shape)}.");
    }

    /// <summary>The class-dimension layout of a classification loss: input as contiguous [outer, classes, inner], targets as [outer, inner].</summary>
    private sealed record ClassLossLayout(Tensor Input, Tensor Target, Tensor? Weight, int Outer, int Inner, int[] LossShape);

    private static ClassLossLayout ClassLayout(string op, Tensor input, Tensor target, Tensor? weight)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.DType != DType.Float32) throw new ForgeException($"{op} computes in Float32, found input of {input.DType}.");
        if (input.Dim == 0) throw new ForgeException($"{op} expects input [C], [N, C] or [N, C, d1, ...], found a scalar.");
        if (target.DType.IsFloatingPoint() || target.DType == DType.Bool)
            throw new ForgeException($"{op} expects integer class indices as target, found {target.DType}.");
        int classDim = input.Dim == 1 ? 0 : 1;
        int classes = input.Size(classDim);
        int[] expected = [.. input.Shape.Where((_, i) => i != classDim)];
        if (!target.Shape.SequenceEqual(expected))
            throw new ForgeException($"{op} expects a target of shape {Tensor.Format(expected)} for input {Tensor.Format(input.Shape)}, found {Tensor.Format(target.Shape)}.");
        if (weight is not null && (weight.Dim != 1 || weight.Size(0) != classes || weight.DType != DType.Float32))
            throw new ForgeException($"{op} expects a Float32 class weight of shape [{classes}], found {Tensor.Format(weight.Shape)} {weight.DType}.");
        int outer = input.Dim == 1 ? 1 : input.Size(0);
        int inner = input.Shape.Skip(2).Aggregate(1, (product, size) => checked(product * size));
        Tensor layoutInput = input.Detach().Contiguous().View(outer, classes, inner);
        Tensor layoutTarget = target.Detach().To(DType.Int64).Contiguous().View(outer, inner);
        Tensor? layoutWeight = weight?.Detach().Contiguous();
        return new ClassLossLayout(layoutInput, layoutTarget, layoutWeight, outer, inner, expected);
    }
}
