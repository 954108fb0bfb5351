using System.Text.Json;
using Forge.Tensors;

namespace Forge.Tests.Support;

/// <summary>Reads oracle fixtures written by tools/reference/*.py: JSON objects whose tensors are {"shape": [...], "data": [...]}.</summary>
public sealed class Fixture
{
    private readonly JsonElement root;

    private Fixture(JsonElement root) => this.root = root;

    /// <summary>Loads tests/fixtures/NAME.json.</summary>
    public static Fixture Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", name + ".json");
        using var stream = File.OpenRead(path);
        return new Fixture(JsonDocument.Parse(stream).RootElement.Clone());
    }

    /// <summary>The names of the cases in a fixture whose root is an object of cases.</summary>
    public IEnumerable<string> Names => root.EnumerateObject().Select(p => p.Name);

    /// <summary>A nested element.</summary>
    public Fixture this[string key] => new(root.GetProperty(key));

    /// <summary>True when the key is present.</summary>
    public bool Has(string key) => root.TryGetProperty(key, out _);

    /// <summary>A number.</summary>
    public double Number(string key) => root.GetProperty(key).GetDouble();

    /// <summary>The raw JSON element.</summary>
    public JsonElement Json => root;

    /// <summary>A Float32 tensor (or Int64 when the fixture says "dtype": "int64", Bool for "bool").</summary>
    public Tensor Tensor(string key, bool requiresGrad = false)
    {
        JsonElement t = root.GetProperty(key);
        int[] shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        string dtype = t.TryGetProperty("dtype", out var d) ? d.GetString()! : "float32";
        var data = t.GetProperty("data").EnumerateArray();
        Forge.Tensors.Tensor result = dtype switch
        {
            "int64" => Forge.Tensors.Tensor.FromArray(data.Select(e => e.GetInt64()).ToArray(), shape),
            "bool" => Forge.Tensors.Tensor.FromArray(data.Select(e => e.GetBoolean()).ToArray(), shape),
            _ => Forge.Tensors.Tensor.FromArray(data.Select(ReadFloat).ToArray(), shape),
        };
        if (shape.Length == 0) result = result.Reshape();
        return requiresGrad ? result.RequireGrad() : result;
    }

    private static float ReadFloat(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() switch
        {
            "nan" => float.NaN,
            "inf" => float.PositiveInfinity,
            "-inf" => float.NegativeInfinity,
            var s => throw new FormatException($"Unexpected float '{s}'."),
        },
        _ => e.GetSingle(),
    };
}
