using System.Text.Json;
using Forge.Tensors;
using Forge.Tests.Support;
using Xunit;

namespace Forge.Tests.Tensors;

/// <summary>
/// Core tensor ops against PyTorch 1.13 (tests/fixtures/tensor_ops.json, written by tools/reference/gen_tensor_ops.py):
/// outputs and input gradients for the fixture's upstream gradient. Tolerances: elementwise ops within
/// 1e-5 relative + 1e-6 absolute (a few ulps of float32 kernels), reductions and matmul within 1e-5 + 1e-5 (their sums
/// are accumulated in a different order than PyTorch's).
/// </summary>
public class TensorOpsOracleTests
{
    private const double ElementwiseRtol = 1e-5, ElementwiseAtol = 1e-6;
    private const double AccumulatingRtol = 1e-5, AccumulatingAtol = 1e-5;

    private static readonly Lazy<Fixture> Root = new(() => Fixture.Load("tensor_ops"));

    private static TheoryData<string> Names(string group) => [.. Root.Value[group].Names];

    public static TheoryData<string> UnaryNames() => Names("unary");

    public static TheoryData<string> BinaryNames() => Names("binary");

    public static TheoryData<string> ReduceNames() => Names("reduce");

    public static TheoryData<string> MatMulNames() => Names("matmul");

    public static TheoryData<string> ArangeNames() => Names("arange");

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void UnaryOpMatchesPyTorch(string name)
    {
        Func<Tensor, Tensor> op = name switch
        {
            "neg" => x => x.Neg(),
            "exp" => x => x.Exp(),
            "log" => x => x.Log(),
            "sqrt" => x => x.Sqrt(),
            "rsqrt" => x => x.Rsqrt(),
            "abs" => x => x.Abs(),
            "tanh" => x => x.Tanh(),
            "sigmoid" => x => x.Sigmoid(),
            "relu" => x => x.Relu(),
            "leaky_relu" => x => x.LeakyRelu(0.2f),
            "gelu" => x => x.Gelu(),
            "gelu_tanh" => x => x.Gelu(GeluApproximation.Tanh),
            "silu" => x => x.Silu(),
            "softplus" => x => x.Softplus(2, 1),
            "pow_scalar" => x => x.Pow(2.5f),
            "clamp" => x => x.Clamp(-0.5f, 0.5f),
            "sin" => x => x.Sin(),
            "cos" => x => x.Cos(),
            "sign" => x => x.Sign(),
            "reciprocal" => x => x.Reciprocal(),
            "square" => x => x.Square(),
            _ => throw new ArgumentException($"No Forge op for fixture case {name}.", nameof(name)),
        };
        Verify(Root.Value["unary"][name], t => op(t[0]), ["x"], ElementwiseRtol, ElementwiseAtol);
    }

    [Theory]
    [MemberData(nameof(BinaryNames))]
    public void BinaryOpWithBroadcastingMatchesPyTorch(string name)
    {
        Fixture c = Root.Value["binary"][name];
        Func<Tensor, Tensor, Tensor> op = c.Json.GetProperty("op").GetString() switch
        {
            "add" => (a, b) => a.Add(b),
            "sub" => (a, b) => a.Sub(b),
            "mul" => (a, b) => a.Mul(b),
            "div" => (a, b) => a.Div(b),
            "pow" => (a, b) => a.Pow(b),
            "maximum" => (a, b) => a.Maximum(b),
            "minimum" => (a, b) => a.Minimum(b),
            var other => throw new ArgumentException($"No Forge op for fixture op {other}.", nameof(name)),
        };
        Verify(c, t => op(t[0], t[1]), ["a", "b"], ElementwiseRtol, ElementwiseAtol);
    }

    [Theory]
    [MemberData(nameof(ReduceNames))]
    public void ReductionOverDimensionsMatchesPyTorch(string name)
    {
        Fixture c = Root.Value["reduce"][name];
        int[] dims = c.Json.GetProperty("dims").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        bool keep = c.Json.GetProperty("keepdim").GetBoolean();
        int correction = c.Has("correction") ? (int)c.Number("correction") : 1;
        Func<Tensor, Tensor> op = c.Json.GetProperty("op").GetString() switch
        {
            "sum" => x => x.Sum(dims, keep),
            "mean" => x => x.Mean(dims, keep),
            "var" => x => x.Var(dims, correction, keep),
            "std" => x => x.Std(dims, correction, keep),
            "logsumexp" => x => x.Mul(3f).LogSumExp(dims[0], keep).Div(3f),
            "max" => x => x.Max(dims[0], keep),
            "min" => x => x.Min(dims[0], keep),
            var other => throw new ArgumentException($"No Forge op for fixture op {other}.", nameof(name)),
        };
        Verify(c, t => op(t[0]), ["x"], AccumulatingRtol, AccumulatingAtol);
        if (c.Has("indices"))
        {
            Tensor x = c.Tensor("x");
            Tensor indices = c.Json.GetProperty("op").GetString() == "max" ? x.ArgMax(dims[0], keep) : x.ArgMin(dims[0], keep);
            TensorAssert.Close(c.Tensor("indices"), indices, 0, 0, "indices");
        }
    }

    [Fact]
    public void ReductionsOverAllElementsMatchPyTorch()
    {
        Fixture c = Root.Value["all_reduce"];
        Verify(c, t => Tensor.Stack([t[0].Sum(), t[0].Mean(), t[0].Max(), t[0].Min()]), ["x"], AccumulatingRtol, AccumulatingAtol);
        TensorAssert.Close(c.Tensor("argmax"), c.Tensor("x").ArgMax(), 0, 0, "argmax");
    }

    [Theory]
    [MemberData(nameof(MatMulNames))]
    public void MatMulMatchesPyTorch(string name)
    {
        Verify(Root.Value["matmul"][name], t => t[0].MatMul(t[1]), ["a", "b"], AccumulatingRtol, AccumulatingAtol);
    }

    [Fact]
    public void IntegerComparisonsWithFractionalConstantsMatchPyTorch()
    {
        Fixture c = Root.Value["compare"];
        Tensor x = c.Tensor("x");
        double[] constants = c.Json.GetProperty("constants").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var ops = new Dictionary<string, Func<double, Tensor>>
        {
            ["eq"] = x.Eq, ["ne"] = x.Ne, ["lt"] = x.Lt, ["le"] = x.Le, ["gt"] = x.Gt, ["ge"] = x.Ge,
        };
        foreach (JsonProperty op in c.Json.GetProperty("results").EnumerateObject())
        {
            JsonElement[] expected = [.. op.Value.EnumerateArray()];
            for (int i = 0; i < constants.Length; i++)
            {
                long[] want = expected[i].GetProperty("data").EnumerateArray().Select(e => e.GetBoolean() ? 1L : 0L).ToArray();
                long[] got = ops[op.Name](constants[i]).To(DType.Int64).ToArray<long>();
                Assert.True(want.SequenceEqual(got), $"{op.Name}({constants[i]}): [{string.Join(", ", got)}], expected [{string.Join(", ", want)}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ArangeNames))]
    public void ArangeMatchesPyTorchValuesAndDType(string name)
    {
        Fixture c = Root.Value["arange"][name];
        Tensor result = Tensor.Arange(c.Number("start"), c.Number("end"), c.Number("step"));
        DType expected = c.Json.GetProperty("dtype").GetString() == "int64" ? DType.Int64 : DType.Float32;
        Assert.Equal(expected, result.DType);
        TensorAssert.Close(c.Tensor("out"), result, 0, 1e-6);
    }

    /// <summary>Runs <paramref name="op"/> on the case's inputs, checks the output, back-propagates grad_output and checks each input's gradient.</summary>
    private static void Verify(Fixture c, Func<Tensor[], Tensor> op, string[] inputs, double rtol, double atol)
    {
        Tensor[] leaves = inputs.Select(n => c.Tensor(n, requiresGrad: true)).ToArray();
        Tensor output = op(leaves);
        TensorAssert.Close(c.Tensor("out"), output, rtol, atol, "output");
        output.Backward(c.Tensor("grad_output"));
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.True(leaves[i].Grad is not null, $"no gradient for {inputs[i]}");
            TensorAssert.Close(c.Tensor("grad_" + inputs[i]), leaves[i].Grad!, rtol, atol, "gradient of " + inputs[i]);
        }
    }
}
