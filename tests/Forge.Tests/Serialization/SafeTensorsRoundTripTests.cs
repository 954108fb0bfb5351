using System.Text;
using System.Text.Json;
using Forge.Serialization;
using Forge.Tensors;
using Xunit;
using Forge.Tests.Support;
using static Forge.Tests.Serialization.SerializationSupport;

namespace Forge.Tests.Serialization;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    public static TheoryData<DType> AllDTypes() => new(Enum.GetValues<DType>());

    private static Tensor Sample(DType dtype) => dtype switch
    {
        DType.Float32 => Tensor.FromArray([1.5f, -0f, float.NaN, float.PositiveInfinity, 1e-40f, -3f], 2, 3),
        DType.Float16 => Tensor.FromArray([(Half)0.5f, Half.MaxValue, Half.NegativeInfinity, (Half)(-2.25f)], 2, 2),
        DType.BFloat16 => Tensor.FromArray([1f, -3.140625f, 256f, 1e30f, -0.5f, 7f], 3, 2).To(DType.BFloat16),
        DType.Int64 => Tensor.FromArray([long.MinValue, -1L, 0L, long.MaxValue], 4, 1),
        DType.Int32 => Tensor.FromArray([int.MinValue, 7, int.MaxValue], 3),
        DType.Int8 => Tensor.FromArray(new sbyte[] { -128, 0, 127, -5 }, 1, 4),
        DType.UInt8 => Tensor.FromArray(new byte[] { 0, 200, 255 }, 3),
        DType.Bool => Tensor.FromArray([true, false, false, true, true], 5),
        _ => throw new InvalidOperationException(),
    };

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void EveryDTypeRoundTripsBitExactly(DType dtype)
    {
        string path = temp.File($"{dtype}.safetensors");
        Tensor tensor = Sample(dtype);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = tensor });

        Dictionary<string, Tensor> loaded = SafeTensors.Load(path);

        Assert.Equal(["t"], loaded.Keys);
        Identical(tensor, loaded["t"]);
        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.Equal(SafeTensors.DTypeName(dtype), ReadHeader(path).GetProperty("t").GetProperty("dtype").GetString());
        Identical(tensor, file.Get("t"));
    }

    [Fact]
    public void MetadataRoundTripsWithEscapesAndUnicode()
    {
        string path = temp.File("meta.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["quote \" and \\"] = "tab\t, newline\n, ctrl\u0001, é, 😀", ["empty"] = "" };
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) }, metadata);

        using SafeTensorsFile file = SafeTensors.Open(path);

        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
    }

    [Fact]
    public void ZeroDimensionalAndEmptyTensorsRoundTrip()
    {
        string path = temp.File("shapes.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["scalar"] = Tensor.Scalar(2.5f),
            ["empty"] = Tensor.Zeros([0, 3]),
            ["empty.ids"] = Tensor.Zeros([4, 0], DType.Int64),
            ["after"] = Tensor.FromArray([1L, 2L]),
        };
        SafeTensors.Save(path, tensors);

        using SafeTensorsFile file = SafeTensors.Open(path);
        Dictionary<string, Tensor> mapped = file.LoadAll();

        foreach (var (name, tensor) in tensors) Identical(tensor, mapped[name]);
        Assert.Empty(file.Info("scalar").Shape);
        Assert.Equal(0, file.Info("empty").ByteLength);
        Assert.Equal(2.5f, mapped["scalar"].Item());
    }

    [Fact]
    public void EmptyDictionaryWritesAValidFile()
    {
        string path = temp.File("none.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>());

        using SafeTensorsFile file = SafeTensors.Open(path);

        Assert.Empty(file.Names);
        Assert.Equal(8, new FileInfo(path).Length - 8);
    }

    [Fact]
    public void NonContiguousTensorsAreWrittenContiguous()
    {
        string path = temp.File("views.safetensors");
        Tensor matrix = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        Tensor transposed = matrix.Transpose(0, 1);
        Tensor column = matrix.Narrow(1, 1, 1);
        Assert.False(transposed.IsContiguous);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = transposed, ["c"] = column });

        Dictionary<string, Tensor> loaded = SafeTensors.Load(path);

        Assert.Equal([3, 2], loaded["t"].Shape);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], loaded["t"].ToArray<float>());
        Assert.Equal([2f, 5f], loaded["c"].ToArray<float>());
    }

    [Fact]
    public void HeaderIsPaddedToEightBytesAndTensorsAreSortedByName()
    {
        string path = temp.File("layout.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["b"] = Tensor.Ones(3), ["a"] = Tensor.Zeros([1], DType.Int8), ["c"] = Tensor.Ones(1) });
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);

        Assert.Equal(0, headerLength % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("{\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]},\"b\":", header, StringComparison.Ordinal);
        Assert.EndsWith("[13,17]}}", header.TrimEnd(' '), StringComparison.Ordinal);
        Assert.InRange(header.Length - header.TrimEnd(' ').Length, 0, 7);
        using SafeTensorsFile file = SafeTensors.Open(path);
        Assert.Equal(["a", "b", "c"], file.Names);
        TensorInfo b = file.Info("b");
        Assert.Equal((DType.Float32, 1L, 13L, 12L, 3L), (b.DType, b.Begin, b.End, b.ByteLength, b.Numel));
        Assert.Equal([3], b.Shape);
        Assert.Equal(8 + headerLength, file.DataStart);
    }

    [Fact]
    public void SaveReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        string path = temp.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["old"] = Tensor.Ones(4) });
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["new"] = Tensor.Zeros(2) });

        Assert.Equal(["new"], SafeTensors.Load(path).Keys);
        Assert.Equal([path], Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void FailedSaveKeepsTheExistingFile()
    {
        string path = temp.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["kept"] = Tensor.Ones(4) });

        var error = Assert.Throws<ForgeException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(["kept"], SafeTensors.Load(path).Keys);
        Assert.Equal([path], Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void ReadsTheReferenceWritersFile()
    {
        JsonElement expected = Fixture.Load("safetensors")["reference"].Json;

        using SafeTensorsFile file = SafeTensors.Open(FixturePath("reference.safetensors"));

        var tensors = expected.GetProperty("tensors").EnumerateObject().ToList();
        Assert.Equal(tensors.Select(p => p.Name).Order(StringComparer.Ordinal), file.Names);
        foreach (JsonProperty entry in tensors) Identical(FromJson(entry.Value), file.Get(entry.Name));
        Assert.Equal(expected.GetProperty("metadata").EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetString()!)), file.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(DType.BFloat16, file.Info("bf").DType);
        Assert.Equal(1.5409960746765137f, file.Get("weight").ToArray<float>()[0]);
    }

    [Fact]
    public void WriterMatchesTheReferenceWriterByteForByte()
    {
        JsonElement expected = Fixture.Load("safetensors")["writer"].Json;
        var tensors = expected.GetProperty("tensors").EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value));
        var metadata = expected.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        string path = temp.File("forge.safetensors");

        SafeTensors.Save(path, tensors, metadata);

        Assert.Equal(File.ReadAllBytes(FixturePath("writer_expected.safetensors")), File.ReadAllBytes(path));
    }

    [Fact]
    public void TensorsRequiringGradAreSavedWithoutRecordingAnything()
    {
        string path = temp.File("grad.safetensors");
        Tensor weight = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2).RequireGrad().Transpose(0, 1);

        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = weight });

        Assert.Equal([1f, 3f, 2f, 4f], SafeTensors.Load(path)["w"].ToArray<float>());
        Assert.False(SafeTensors.Load(path)["w"].RequiresGrad);
    }

    private static JsonElement ReadHeader(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        return JsonDocument.Parse(bytes.AsMemory(8, (int)BitConverter.ToInt64(bytes, 0))).RootElement.Clone();
    }
}
