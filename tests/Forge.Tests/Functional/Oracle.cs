using Forge.Tensors;
using Forge.Tests.Support;

namespace Forge.Tests.Functional;

/// <summary>Cases of tests/fixtures/functional.json (tools/reference/gen_functional.py): PyTorch outputs and input gradients.</summary>
internal static class Oracle
{
    private static readonly Lazy<Fixture> Root = new(() => Fixture.Load("functional"));

    /// <summary>The case at a path of keys, e.g. Case("softmax", "dim0").</summary>
    public static Fixture Case(params string[] path)
    {
        Fixture f = Root.Value;
        foreach (string key in path) f = f[key];
        return f;
    }

    /// <summary>Backpropagates sum(output · g) with the case's upstream gradient g, as the script does.</summary>
    public static void Backward(Tensor output, Fixture c) => output.Mul(c.Tensor("g")).Sum().Backward();
}
