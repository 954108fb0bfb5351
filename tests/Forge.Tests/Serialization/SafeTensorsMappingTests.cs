using System.Runtime.CompilerServices;
using System.Text;
using Forge.Serialization;
using Forge.Tensors;
using Xunit;
using static Forge.Tests.Serialization.SerializationSupport;

namespace Forge.Tests.Serialization;

public sealed class SafeTensorsMappingTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string SaveSample(string name = "sample.safetensors")
    {
        string path = temp.File(name);
        SafeTensors.Save(path, SampleTensors(), new Dictionary<string, string> { ["format"] = "pt" });
        return path;
    }

    [Fact]
    public unsafe void GetWrapsTheMappedFileWithoutCopying()
    {
        string path = SaveSample();
        using SafeTensorsFile file = SafeTensors.Open(path);

        Tensor first = file.Get("embed.weight");
        Tensor second = file.Get("embed.weight");

        Assert.IsType<MappedRegion>(first.Storage.Owner);
        Assert.True(first.Storage.Pointer == second.Storage.Pointer);
        var region = (MappedRegion)first.Storage.Owner!;
        long offset = (byte*)first.Storage.Pointer - region.Pointer;
        Assert.Equal(file.DataStart + file.Info("embed.weight").Begin, offset);
        Identical(SampleTensors()["embed.weight"], first);
    }

    [Fact]
    public void LoadAllCopiesIntoOwnedMemoryWhenAsked()
    {
        string path = SaveSample();
        using SafeTensorsFile file = SafeTensors.Open(path);

        Dictionary<string, Tensor> copies = file.LoadAll(copy: true);

        Assert.All(copies.Values, t => Assert.IsNotType<MappedRegion>(t.Storage.Owner));
        foreach (var (name, tensor) in SampleTensors()) Identical(tensor, copies[name]);
    }

    [Fact]
    public void MappedTensorsStayValidAfterTheFileIsDisposedAndCollected()
    {
        string path = SaveSample();
        Dictionary<string, Tensor> mapped = OpenAndDispose(path);

        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.True(IsMapped(path));
        foreach (var (name, tensor) in SampleTensors()) Identical(tensor, mapped[name]);
        Assert.Equal(10.25f, mapped["embed.weight"].Sum().Item(), 5);
    }

    [Fact]
    public void DisposingReleasesTheMappingAtOnceWhenNoTensorWasTaken()
    {
        string path = SaveSample();
        SafeTensorsFile file = SafeTensors.Open(path);
        Assert.True(IsMapped(path));

        file.Dispose();

        Assert.False(IsMapped(path));
    }

    [Fact]
    public void MappingIsReleasedOnceTheLastTensorIsCollected()
    {
        string path = SaveSample();
        WeakReference tensor = MapOneTensorAndForgetIt(path);

        for (int i = 0; i < 3 && (tensor.IsAlive || IsMapped(path)); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(tensor.IsAlive);
        Assert.False(IsMapped(path));
    }

    [Fact]
    public void WritingToAMappedTensorNeverChangesTheFile()
    {
        string path = SaveSample();
        byte[] before = File.ReadAllBytes(path);
        using (SafeTensorsFile file = SafeTensors.Open(path))
        {
            Tensor weight = file.Get("embed.weight");
            weight.Fill(42);
            Assert.Equal(Enumerable.Repeat(42f, 6), weight.ToArray<float>());
        }

        Assert.Equal(before, File.ReadAllBytes(path));
        Identical(SampleTensors()["embed.weight"], SafeTensors.Load(path)["embed.weight"]);
    }

    [Fact]
    public void ReplacingTheFileKeepsMappedTensorsReadingTheOldData()
    {
        string path = SaveSample();
        using SafeTensorsFile file = SafeTensors.Open(path);
        Tensor old = file.Get("embed.weight");

        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["embed.weight"] = Tensor.Zeros(2, 3) });

        Identical(SampleTensors()["embed.weight"], old);
        Assert.Equal(new float[6], SafeTensors.Load(path)["embed.weight"].ToArray<float>());
    }

    [Fact]
    public void UnalignedDataIsCopiedInsteadOfWrapped()
    {
        string path = temp.File("unaligned.safetensors");
        // A 61-byte header puts the buffer at byte 69, which is not a multiple of 4.
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        header = header.PadRight(61);
        File.WriteAllBytes(path, Build(header, [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f)]));

        using SafeTensorsFile file = SafeTensors.Open(path);
        Tensor w = file.Get("w");

        Assert.Equal(69, file.DataStart);
        Assert.IsNotType<MappedRegion>(w.Storage.Owner);
        Assert.Equal([1.5f, -2f], w.ToArray<float>());
    }

    [Fact]
    public void GetAfterDisposeThrowsObjectDisposed()
    {
        SafeTensorsFile file = SafeTensors.Open(SaveSample());
        file.Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.Get("ids"));
        Assert.Throws<ObjectDisposedException>(() => file.Copy("ids"));
    }

    [Fact]
    public void UnknownTensorNameIsAForgeExceptionNamingFileAndTensor()
    {
        string path = SaveSample();
        using SafeTensorsFile file = SafeTensors.Open(path);

        var error = Assert.Throws<ForgeException>(() => file.Get("missing.weight"));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("missing.weight", error.Message, StringComparison.Ordinal);
        Assert.False(file.Contains("missing.weight"));
        Assert.True(file.Contains("ids"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Dictionary<string, Tensor> OpenAndDispose(string path)
    {
        using SafeTensorsFile file = SafeTensors.Open(path);
        return file.LoadAll();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    /// <summary>
    /// Takes one tensor from a file, checks the file stays mapped after the file is disposed while the tensor lives, and returns a
    /// weak reference to it (a collection started by a test running in parallel may take the tensor as soon as this returns).
    /// </summary>
    private static WeakReference MapOneTensorAndForgetIt(string path)
    {
        Tensor tensor;
        using (SafeTensorsFile file = SafeTensors.Open(path)) tensor = file.Get("ids");
        Assert.True(IsMapped(path));
        Assert.Equal([3L, -4L, 1L << 40], tensor.ToArray<long>());
        GC.KeepAlive(tensor);
        return new WeakReference(tensor);
    }

    /// <summary>Whether the process maps <paramref name="path"/> (Linux's /proc/self/maps lists every mapped file).</summary>
    private static bool IsMapped(string path)
    {
        Assert.True(OperatingSystem.IsLinux(), "This check reads /proc/self/maps.");
        return File.ReadAllLines("/proc/self/maps", Encoding.UTF8).Any(line => line.EndsWith(" " + path, StringComparison.Ordinal));
    }
}
