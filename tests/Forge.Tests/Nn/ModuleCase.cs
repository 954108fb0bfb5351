using Forge.Nn;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Nn;

/// <summary>
/// One case of tests/fixtures/modules.json (tools/reference/gen_modules.py): a PyTorch module's state under Forge's names, its
/// inputs, outputs, upstream gradients and the gradients of the inputs and parameters.
/// </summary>
internal sealed class ModuleCase
{
    private static readonly Lazy<Fixture> Root = new(() => Fixture.Load("modules"));
    private readonly Fixture data;
    private readonly Dictionary<string, Tensor> inputs = [];

    public ModuleCase(string name) => data = Root.Value[name];

    /// <summary>The stored state dict.</summary>
    public Dictionary<string, Tensor> State => Tensors(data["state"]);

    /// <summary>An input (Float32 inputs require gradients); the same tensor on every call.</summary>
    public Tensor Input(string name)
    {
        if (!inputs.TryGetValue(name, out Tensor? tensor))
        {
            tensor = data["inputs"].Tensor(name);
            if (tensor.DType == DType.Float32) tensor.RequireGrad();
            inputs[name] = tensor;
        }
        return tensor;
    }

    /// <summary>An input, or null when the case has none of that name.</summary>
    public Tensor? OptionalInput(string name) => data["inputs"].Has(name) ? Input(name) : null;

    /// <summary>A stored value that is not an input.</summary>
    public Tensor Expected(string name) => data.Tensor(name);

    /// <summary>A nested object of stored tensors.</summary>
    public Dictionary<string, Tensor> ExpectedGroup(string name) => Tensors(data[name]);

    /// <summary>Loads the stored state into <paramref name="module"/>, strictly, so every name must match.</summary>
    public void LoadInto(Module module)
    {
        StateDictLoadResult result = module.LoadStateDict(State);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
    }

    /// <summary>
    /// Checks each output against PyTorch's, back-propagates Σ output·g and checks the gradients of the inputs and of the
    /// module's parameters, all within atol + rtol·|expected|.
    /// </summary>
    public void Verify(Module module, double rtol, double atol, params (string Name, Tensor Output)[] outputs)
    {
        Tensor? loss = null;
        foreach (var (name, output) in outputs)
        {
            TensorAssert.Close(Expected(name), output, rtol, atol, name);
            Tensor term = output.Mul(Expected("g_" + name)).Sum();
            loss = loss is null ? term : loss.Add(term);
        }
        loss!.Backward();
        foreach (var (name, expected) in Tensors(data["grad_inputs"]))
        {
            Assert.True(Input(name).Grad is not null, $"no gradient for input {name}");
            TensorAssert.Close(expected, Input(name).Grad!, rtol, atol, "gradient of input " + name);
        }
        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var expectedGrads = Tensors(data["grad_state"]);
        Assert.Equal(expectedGrads.Keys.Order(), parameters.Keys.Order());
        foreach (var (name, expected) in expectedGrads)
        {
            Assert.True(parameters[name].Grad is not null, $"no gradient for parameter {name}");
            TensorAssert.Close(expected, parameters[name].Grad!, rtol, atol, "gradient of " + name);
        }
    }

    private static Dictionary<string, Tensor> Tensors(Fixture group) => group.Names.ToDictionary(n => n, n => group.Tensor(n));
}
