using System.Text.Json;
using Forge.Nn;
using Forge.Optim;
using Forge.Tensors;
using Forge.Tests.Support;

namespace Forge.Tests.Optim;

/// <summary>Builds optimizers and their inputs from tests/fixtures/optim.json (written by tools/reference/gen_optim.py).</summary>
internal static class OptimizerFixture
{
    public static readonly Fixture Data = Fixture.Load("optim");

    public static IEnumerable<object[]> CaseNames() => Data["cases"].Names.Select(n => new object[] { n });

    /// <summary>Fresh parameters holding the fixture's initial values.</summary>
    public static Parameter[] InitialParameters() =>
        [.. Data.Json.GetProperty("initial").EnumerateArray().Select((_, i) => new Parameter(TensorAt("initial", i)))];

    /// <summary>The gradient of parameter <paramref name="index"/> at step <paramref name="step"/>.</summary>
    public static Tensor Gradient(int step, int index) => Read(Data.Json.GetProperty("grads")[step][index]);

    /// <summary>The expected value of parameter <paramref name="index"/> after step <paramref name="step"/> of a case.</summary>
    public static Tensor Expected(string name, int step, int index) =>
        Read(Data["cases"][name].Json.GetProperty("steps")[step][index]);

    /// <summary>The case's optimizer over two groups: parameters 0 and 1, then parameter 2.</summary>
    public static Optimizer Build(string name, IReadOnlyList<Tensor> parameters)
    {
        JsonElement c = Data["cases"][name].Json;
        JsonElement d = c.GetProperty("defaults");
        var groupsJson = c.GetProperty("groups");
        ParameterGroup[] groups = [Group(parameters.Take(2), groupsJson[0]), Group(parameters.Skip(2), groupsJson[1])];
        double lr = d.GetProperty("lr").GetDouble();
        double wd = Get(d, "weight_decay", double.NaN);
        (double b1, double b2) = d.TryGetProperty("betas", out var betas) ? (betas[0].GetDouble(), betas[1].GetDouble()) : (0.9, 0.999);
        return c.GetProperty("kind").GetString() switch
        {
            "sgd" => new Sgd(groups, lr, Get(d, "momentum", 0), Get(d, "dampening", 0), double.IsNaN(wd) ? 0 : wd,
                d.TryGetProperty("nesterov", out var n) && n.GetBoolean()),
            "adam" => new Adam(groups, lr, b1, b2, Get(d, "eps", 1e-8), double.IsNaN(wd) ? 0 : wd,
                d.TryGetProperty("amsgrad", out var a) && a.GetBoolean()),
            "adamw" => new AdamW(groups, lr, b1, b2, Get(d, "eps", 1e-8), double.IsNaN(wd) ? 0.01 : wd),
            _ => new Lamb(groups, lr, b1, b2, Get(d, "eps", 1e-6), double.IsNaN(wd) ? 0 : wd),
        };
    }

    /// <summary>Sets the gradients of step <paramref name="step"/> and steps the optimizer.</summary>
    public static void Step(Optimizer optimizer, IReadOnlyList<Tensor> parameters, int step)
    {
        for (int i = 0; i < parameters.Count; i++) parameters[i].Grad = Gradient(step, i);
        optimizer.Step();
    }

    public static void AssertStep(string name, IReadOnlyList<Tensor> parameters, int step)
    {
        for (int i = 0; i < parameters.Count; i++)
            TensorAssert.Close(Expected(name, step, i), parameters[i], rtol: 1e-6, atol: 1e-7, what: $"{name} step {step + 1} parameter {i}");
    }

    private static ParameterGroup Group(IEnumerable<Tensor> parameters, JsonElement options)
    {
        var group = new ParameterGroup(parameters);
        if (options.TryGetProperty("lr", out var lr)) group.LearningRate = lr.GetDouble();
        if (options.TryGetProperty("weight_decay", out var wd)) group.WeightDecay = wd.GetDouble();
        return group;
    }

    private static double Get(JsonElement e, string key, double fallback) => e.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;

    private static Tensor TensorAt(string key, int index) => Read(Data.Json.GetProperty(key)[index]);

    private static Tensor Read(JsonElement element)
    {
        int[] shape = [.. element.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        float[] data = [.. element.GetProperty("data").EnumerateArray().Select(e => e.GetSingle())];
        return Tensor.FromArray(data, shape);
    }
}
