using Forge.Tensors;
using Forge.Tests.Support;

namespace Forge.Tests.Functional;

/// <summary>
/// One PyTorch oracle case of a fixture written by tools/reference/gen_losses.py or gen_convolution.py: its inputs (the named
/// differentiable ones require gradients), the expected output, the upstream gradient and the expected input gradients.
/// </summary>
internal sealed class TorchCase
{
    private readonly Fixture data;
    private readonly string[] differentiable;
    private readonly Dictionary<string, Tensor> inputs = [];

    public TorchCase(string fixture, string name, params string[] differentiable)
    {
        data = Fixture.Load(fixture)[name];
        this.differentiable = differentiable;
    }

    /// <summary>The input (or stored value) named <paramref name="key"/>; the same tensor on every call.</summary>
    public Tensor this[string key]
    {
        get
        {
            if (!inputs.TryGetValue(key, out Tensor? tensor))
            {
                tensor = Load(key);
                if (differentiable.Contains(key)) tensor.RequireGrad();
                inputs[key] = tensor;
            }
            return tensor;
        }
    }

    /// <summary>A stored value that is not an input.</summary>
    public Tensor Expected(string key) => Load(key);

    private Tensor Load(string key) => data.Tensor(key);

    /// <summary>Checks <paramref name="output"/> against PyTorch's, back-propagates the stored upstream gradient and checks the input gradients.</summary>
    public void Verify(Tensor output, double rtol = 1e-5, double atol = 1e-6)
    {
        TensorAssert.Close(Expected("out"), output, rtol, atol, "output");
        output.Backward(Expected("grad_output"));
        foreach (string name in differentiable)
        {
            Tensor? grad = this[name].Grad;
            Xunit.Assert.True(grad is not null, $"no gradient for {name}");
            TensorAssert.Close(Expected("grad_" + name), grad, rtol, atol, "gradient of " + name);
        }
    }
}
