using Forge.Tensors;

namespace Forge.Autograd;

/// <summary>
/// Compares autograd gradients with central finite differences, like torch.autograd.gradcheck. The function's output
/// is projected onto a fixed random direction so one scalar is differentiated per input element.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Checks the gradients of <paramref name="function"/> with respect to every input that requires gradients.
    /// Returns an empty list when all agree, otherwise one line per disagreeing element.
    /// </summary>
    public static IReadOnlyList<string> Check(Func<Tensor[], Tensor> function, Tensor[] inputs, float epsilon = 1e-3f, float absoluteTolerance = 1e-3f, float relativeTolerance = 1e-2f, ulong seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor probe = function(inputs);
        Tensor direction = Tensor.Randn([.. probe.Shape], new Generator(seed));
        float[] weights = direction.ToArray<float>();
        foreach (Tensor input in inputs) input.Grad = null;
        function(inputs).Mul(direction).Sum().Backward();
        var failures = new List<string>();
        for (int i = 0; i < inputs.Length; i++)
        {
            Tensor input = inputs[i];
            if (!input.RequiresGrad) continue;
            if (!input.IsContiguous || input.DType != DType.Float32) throw new ForgeException("GradCheck needs contiguous Float32 inputs.");
            float[] analytic = input.Grad?.ToArray<float>() ?? new float[input.Numel];
            for (long j = 0; j < input.Numel; j++)
            {
                double original = input.GetElement(j);
                double plus, minus;
                using (GradMode.NoGrad())
                {
                    input.SetElement(j, original + epsilon);
                    plus = Project(function(inputs), weights);
                    input.SetElement(j, original - epsilon);
                    minus = Project(function(inputs), weights);
                    input.SetElement(j, original);
                }
                double numeric = (plus - minus) / (2 * epsilon);
                if (Math.Abs(numeric - analytic[j]) > absoluteTolerance + relativeTolerance * Math.Abs(numeric))
                    failures.Add($"input {i} element {j}: analytic {analytic[j]:G6}, numeric {numeric:G6}");
            }
        }
        return failures;
    }

    /// <summary>Σ output·direction, accumulated in double so rounding does not swamp the finite difference.</summary>
    private static double Project(Tensor output, float[] weights)
    {
        float[] values = output.To(DType.Float32).ToArray<float>();
        double sum = 0;
        for (int i = 0; i < values.Length; i++) sum += (double)values[i] * weights[i];
        return sum;
    }
}
