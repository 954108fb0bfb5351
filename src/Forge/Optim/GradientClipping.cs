using Forge.Autograd;
using Forge.Tensors;

namespace Forge.Optim;

/// <summary>Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_. Parameters without a gradient are skipped.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients together by maxNorm/(total + 1e-6) when that factor is below 1, where total is the p-norm of the
    /// per-tensor p-norms (the norm of all gradients as one vector; <paramref name="normType"/> may be
    /// <see cref="float.PositiveInfinity"/> for the largest absolute value). Returns the total norm before clipping (0 when no
    /// parameter has a gradient).
    /// </summary>
    public static float ClipGradNorm(IEnumerable<Tensor> parameters, float maxNorm, float normType = 2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckMaxNorm(maxNorm);
        float total = GetTotalNorm(parameters, normType);
        float coefficient = ClipCoefficient(maxNorm, total);
        if (coefficient < 1)
        {
            foreach (Tensor g in Gradients(parameters)) g.MulInPlace(coefficient);
        }
        return total;
    }

    /// <summary>
    /// The p-norm of all gradients as one vector, as torch.nn.utils.get_total_norm (0 when no parameter has a gradient).
    /// With <see cref="ClipCoefficient"/> and <see cref="Optimizer.Step(float)"/> it clips without rewriting the gradients.
    /// </summary>
    public static float GetTotalNorm(IEnumerable<Tensor> parameters, float normType = 2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(normType > 0)) throw new ForgeException($"normType must be positive or infinity, found {normType}.");
        bool infinity = float.IsPositiveInfinity(normType);
        double combined = 0;
        if (parameters is IReadOnlyList<Tensor> list)
        {
            // Indexed, so that a training loop's norm allocates no enumerator.
            for (int i = 0; i < list.Count; i++) combined = AddNorm(combined, list[i], normType, infinity);
        }
        else
        {
            foreach (Tensor p in parameters) combined = AddNorm(combined, p, normType, infinity);
        }
        return (float)(infinity ? combined : Math.Pow(combined, 1.0 / normType));
    }

    /// <summary>Folds the norm of <paramref name="parameter"/>'s gradient, if it has one, into the running combination.</summary>
    private static double AddNorm(double combined, Tensor parameter, float normType, bool infinity)
    {
        if (parameter?.Grad is not Tensor g) return combined;
        if (g.DType != DType.Float32) throw new ForgeException($"Gradient clipping needs Float32 gradients, found {g.DType}.");
        double norm = g.Backend.Norm(g.IsContiguous ? g : g.Contiguous(), normType);
        return infinity ? Math.Max(combined, norm) : combined + Math.Pow(norm, normType);
    }

    /// <summary>The factor <see cref="ClipGradNorm"/> scales gradients of norm <paramref name="totalNorm"/> by: min(1, maxNorm/(total + 1e-6)).</summary>
    public static float ClipCoefficient(float maxNorm, float totalNorm)
    {
        CheckMaxNorm(maxNorm);
        return Math.Min(1, maxNorm / (totalNorm + 1e-6f));
    }

    private static void CheckMaxNorm(float maxNorm)
    {
        if (!(maxNorm >= 0) || float.IsPositiveInfinity(maxNorm)) throw new ForgeException($"maxNorm must be a finite value ≥ 0, found {maxNorm}.");
    }

    /// <summary>Clamps every gradient element into [−clipValue, clipValue].</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, float clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0)) throw new ForgeException($"clipValue must be ≥ 0, found {clipValue}.");
        foreach (Tensor g in Gradients(parameters))
        {
            using var noGrad = GradMode.NoGrad();
            g.CopyFrom(g.Clamp(-clipValue, clipValue));
        }
    }

    private static List<Tensor> Gradients(IEnumerable<Tensor> parameters)
    {
        var grads = new List<Tensor>();
        foreach (Tensor p in parameters)
        {
            if (p?.Grad is not Tensor g) continue;
            if (g.DType != DType.Float32) throw new ForgeException($"Gradient clipping needs Float32 gradients, found {g.DType}.");
            grads.Add(g);
        }
        return grads;
    }
}
