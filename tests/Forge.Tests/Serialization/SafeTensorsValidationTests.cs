using System.Text;
using Forge.Serialization;
using Xunit;
using static Forge.Tests.Serialization.SerializationSupport;

namespace Forge.Tests.Serialization;

/// <summary>Every malformed file is a ForgeException whose message names the file and the problem.</summary>
public sealed class SafeTensorsValidationTests : IDisposable
{
    private static readonly byte[] EightBytes = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40];
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private void Rejects(byte[] content, string problem)
    {
        string path = temp.File("bad.safetensors");
        File.WriteAllBytes(path, content);

        var open = Assert.Throws<ForgeException>(() => SafeTensors.Open(path).Dispose());
        var load = Assert.Throws<ForgeException>(() => SafeTensors.Load(path));

        Assert.Contains(path, open.Message, StringComparison.Ordinal);
        Assert.Contains(problem, open.Message, StringComparison.Ordinal);
        Assert.Equal(open.Message, load.Message);
        var parse = Assert.Throws<ForgeException>(() => SafeTensorsFile.Parse(content, "in-memory"));
        Assert.Contains(problem, parse.Message, StringComparison.Ordinal);
    }

    private void RejectsHeader(string header, string problem, byte[]? buffer = null) => Rejects(Build(header, buffer ?? EightBytes), problem);

    private static string Entry(string dtype = "\"F32\"", string shape = "[2]", string offsets = "[0,8]") =>
        $"{{\"a\":{{\"dtype\":{dtype},\"shape\":{shape},\"data_offsets\":{offsets}}}}}";

    [Fact]
    public void TheValidBaseCaseLoads()
    {
        string path = temp.File("good.safetensors");
        File.WriteAllBytes(path, Build(Entry(), EightBytes));

        Assert.Equal([1f, 2f], SafeTensors.Load(path)["a"].ToArray<float>());
    }

    [Fact]
    public void EmptyFileIsRejected() => Rejects([], "0 bytes long, shorter than the 8-byte header length prefix");

    [Fact]
    public void FileShorterThanEightBytesIsRejected() => Rejects([2, 0, 0, 0, 0], "5 bytes long");

    [Fact]
    public void MissingFileIsRejected()
    {
        string path = temp.File("missing.safetensors");

        var error = Assert.Throws<ForgeException>(() => SafeTensors.Open(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsRejected() => Rejects(Build(Entry(), EightBytes, lengthPrefix: 4000), "says 4000 bytes, but only");

    [Fact]
    public void AbsurdHeaderLengthIsRejectedBeforeAllocating() =>
        Rejects(Build(Entry(), EightBytes, lengthPrefix: ulong.MaxValue), $"says {ulong.MaxValue} bytes, more than the 100000000 bytes allowed");

    [Fact]
    public void HeaderJustOverTheLimitIsRejected() => Rejects(Build(Entry(), EightBytes, lengthPrefix: 100_000_001), "more than the 100000000 bytes allowed");

    [Fact]
    public void InvalidUtf8HeaderIsRejected()
    {
        byte[] header = Encoding.UTF8.GetBytes(Entry());
        header[3] = 0xFF;
        Rejects(Build(header, EightBytes), "not valid UTF-8");
    }

    [Fact]
    public void InvalidJsonHeaderIsRejected() => RejectsHeader("{\"a\":{\"dtype\":\"F32\",", "not valid JSON");

    [Fact]
    public void TrailingGarbageAfterTheHeaderObjectIsRejected() => RejectsHeader(Entry() + " x", "not valid JSON");

    [Fact]
    public void HeaderThatIsNotAnObjectIsRejected() => RejectsHeader("[1, 2]", "must be a JSON object");

    [Fact]
    public void EmptyHeaderIsRejected() => Rejects(Build(""), "must be a JSON object");

    [Fact]
    public void EntryThatIsNotAnObjectIsRejected() => RejectsHeader("{\"a\":[0,8]}", "entry 'a' must be an object");

    [Fact]
    public void EntryWithoutDtypeIsRejected() => RejectsHeader("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "entry 'a' has no dtype");

    [Fact]
    public void EntryWithoutShapeIsRejected() => RejectsHeader("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "entry 'a' has no shape");

    [Fact]
    public void EntryWithoutDataOffsetsIsRejected() => RejectsHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", "entry 'a' has no data_offsets");

    [Fact]
    public void DtypeThatIsNotAStringIsRejected() => RejectsHeader(Entry(dtype: "4"), "dtype of 'a' must be a string");

    [Fact]
    public void ShapeThatIsNotAnArrayIsRejected() => RejectsHeader(Entry(shape: "\"2\""), "shape of 'a' must be an array");

    [Fact]
    public void DataOffsetsThatAreNotAPairIsRejected() => RejectsHeader(Entry(offsets: "[0,4,8]"), "data_offsets of 'a' must be an array of two integers");

    [Fact]
    public void DataOffsetThatIsNotANumberIsRejected() => RejectsHeader(Entry(offsets: "[\"0\",8]"), "data_offsets of 'a' must hold integers");

    [Fact]
    public void NegativeDataOffsetIsRejected() => RejectsHeader(Entry(offsets: "[-8,8]"), "must be non-negative, found -8");

    [Fact]
    public void DataOffsetBeyondSixtyFourBitsIsRejected() => RejectsHeader(Entry(offsets: "[0,18446744073709551615]"), "beyond the data buffer");

    [Fact]
    public void UnknownDtypeIsRejected() => RejectsHeader(Entry(dtype: "\"F64\""), "dtype 'F64', which Forge does not support");

    [Fact]
    public void NegativeDimensionIsRejected() => RejectsHeader(Entry(shape: "[-2]"), "must hold non-negative integers, found -2");

    [Fact]
    public void NonIntegerDimensionIsRejected() => RejectsHeader(Entry(shape: "[2.5]"), "must hold non-negative integers, found 2.5");

    [Fact]
    public void DimensionBeyondInt32IsRejected() => RejectsHeader(Entry(shape: "[4294967296]"), "has size 4294967296, more than");

    [Fact]
    public void OverflowingShapeProductIsRejected() =>
        RejectsHeader(Entry(shape: "[2147483647,2147483647,2147483647]"), "holds more elements than fit in 64 bits");

    [Fact]
    public void ShapeTimesDtypeSizeMustEqualTheByteRange() => RejectsHeader(Entry(shape: "[3]"), "needs 12 bytes, but its data_offsets [0, 8] span 8");

    [Fact]
    public void ReversedOffsetsAreRejected() => RejectsHeader(Entry(shape: "[0]", offsets: "[8,0]"), "are reversed: begin 8 is after end 0");

    [Fact]
    public void OffsetsBeyondTheBufferAreRejected() => RejectsHeader(Entry(shape: "[4]", offsets: "[0,16]"), "go beyond the 8-byte data buffer");

    [Fact]
    public void OverlappingTensorsAreRejected() => RejectsHeader(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        "tensor 'b' at bytes [4, 8] overlaps tensor 'a' at [0, 8]");

    [Fact]
    public void GapBetweenTensorsIsRejected() => RejectsHeader(
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        "gap in the data buffer: bytes [2, 4] before tensor 'b' belong to no tensor (tensors must cover the buffer contiguously)");

    [Fact]
    public void BytesAfterTheLastTensorAreRejected() => RejectsHeader(Entry(shape: "[1]", offsets: "[0,4]"), "bytes [4, 8] at the end of the data buffer belong to no tensor");

    [Fact]
    public void DuplicateTensorNamesAreRejected() => RejectsHeader(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        "duplicate tensor name 'a'");

    [Fact]
    public void MetadataThatIsNotAnObjectIsRejected() =>
        RejectsHeader("{\"__metadata__\":[\"pt\"],\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "'__metadata__' must be an object of strings");

    [Fact]
    public void MetadataValueThatIsNotAStringIsRejected() =>
        RejectsHeader("{\"__metadata__\":{\"step\":3},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "metadata value of 'step' must be a string");

    [Fact]
    public void DuplicateMetadataKeysAreRejected() =>
        RejectsHeader("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "duplicate metadata key 'k'");

    [Fact]
    public void LoneSurrogateEscapeInANameIsRejected() =>
        RejectsHeader("{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "not valid Unicode");
}
