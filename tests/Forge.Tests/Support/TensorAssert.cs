using Forge.Autograd;
using Forge.Tensors;
using Xunit;

namespace Forge.Tests.Support;

/// <summary>Assertions on tensors.</summary>
public static class TensorAssert
{
    /// <summary>Same shape and every element within atol + rtol·|expected| (NaN matches NaN).</summary>
    public static void Close(Tensor expected, Tensor actual, double rtol = 1e-5, double atol = 1e-6, string? what = null)
    {
        string label = what is null ? "" : what + ": ";
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{label}shape {Tensor.Format(actual.Shape)}, expected {Tensor.Format(expected.Shape)}");
        float[] e = expected.To(DType.Float32).ToArray<float>();
        float[] a = actual.To(DType.Float32).ToArray<float>();
        for (int i = 0; i < e.Length; i++)
        {
            if (float.IsNaN(e[i]) && float.IsNaN(a[i])) continue;
            if (float.IsInfinity(e[i]))
            {
                Assert.True(e[i] == a[i], $"{label}element {i}: {a[i]:G9}, expected {e[i]}");
                continue;
            }
            double tolerance = atol + rtol * Math.Abs(e[i]);
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance, $"{label}element {i}: {a[i]:G9}, expected {e[i]:G9} (tolerance {tolerance:G3})");
        }
    }

    /// <summary>Exactly equal elements and shape.</summary>
    public static void Equal<T>(T[] expected, Tensor actual) where T : unmanaged
    {
        Assert.Equal(expected, actual.ToArray<T>());
    }

    /// <summary>Finite-difference gradient check passes for every input that requires gradients.</summary>
    public static void GradientsMatch(Func<Tensor[], Tensor> function, params Tensor[] inputs) =>
        GradientsMatch(function, inputs, 1e-3f, 1e-3f, 1e-2f);

    /// <summary>Finite-difference gradient check with explicit tolerances.</summary>
    public static void GradientsMatch(Func<Tensor[], Tensor> function, Tensor[] inputs, float epsilon, float atol, float rtol)
    {
        var failures = GradCheck.Check(function, inputs, epsilon, atol, rtol);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(10)));
    }

    /// <summary>A random Float32 tensor that requires gradients.</summary>
    public static Tensor RandomLeaf(ulong seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed)).RequireGrad();
}
