using System.Text;
using Forge.Tests.Serialization;
using Forge.Training.Logging;
using Xunit;

namespace Forge.Tests.Training;

public sealed class TensorBoardWriterTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    public void Crc32CMatchesKnownVectors(string text, uint expected)
    {
        Assert.Equal(expected, Crc32C.Compute(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Crc32CMatchesTheIscsiTestVectors()
    {
        // RFC 3720, appendix B.4.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [Fact]
    public void MaskRotatesRightByFifteenAndAddsTheConstant()
    {
        Assert.Equal(0xA282EAD8u, Crc32C.Mask(0));
        Assert.Equal(0xA282EAD8u + 0x00020000u, Crc32C.Mask(1));
        Assert.Equal(unchecked(0x00000001u + 0xA282EAD8u), Crc32C.Mask(0x00008000u));
        Assert.Equal(EventFileReader.MaskedCrc("123456789"u8), Crc32C.Masked("123456789"u8));
    }

    [Fact]
    public void WritesAVersionRecordThenOneEventPerScalar()
    {
        var before = DateTimeOffset.UtcNow;
        string path;
        using (var writer = new TensorBoardWriter(temp.File("run")))
        {
            path = writer.FilePath;
            writer.AddScalar("train/loss", 3.25, step: 1);
            writer.AddScalar("train/loss", 2.5, step: 2);
            writer.AddScalar("val/loss", 2.75, step: 2, wallTime: DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500));
        }

        Assert.Equal(temp.File("run"), Path.GetDirectoryName(path));
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\." + System.Text.RegularExpressions.Regex.Escape(Environment.MachineName) + "$", Path.GetFileName(path));
        var events = EventFileReader.Read(path);
        Assert.Equal(4, events.Count);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.Empty(events[0].Scalars);
        Assert.Equal([1L, 2, 2], events.Skip(1).Select(e => e.Step));
        Assert.Equal([("train/loss", 3.25f)], events[1].Scalars);
        Assert.Equal([("train/loss", 2.5f)], events[2].Scalars);
        Assert.Equal([("val/loss", 2.75f)], events[3].Scalars);
        Assert.All(events.Take(3), e => Assert.InRange(e.WallTime, before.ToUnixTimeSeconds() - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1));
        Assert.Equal(1_700_000_000.5, events[3].WallTime);
        Assert.All(events, e => Assert.Null(e.SessionLogStatus));
    }

    [Fact]
    public void FileStartsWithTheVersionRecordHeaderOfTensorFlowsEventFiles()
    {
        using var writer = new TensorBoardWriter(temp.Path);
        // A 24-byte Event (wall_time, file_version "brain.Event:2"; step 0 left out) and the masked CRC of that length.
        byte[] expected = [0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22];
        Assert.Equal(expected, File.ReadAllBytes(writer.FilePath)[..12]);
    }

    [Fact]
    public void EachScalarIsOnDiskBeforeTheWriterCloses()
    {
        using var writer = new TensorBoardWriter(temp.Path);
        writer.AddScalar("loss", 1.5, step: 7);
        using var copy = new FileStream(writer.FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        string snapshot = temp.File("snapshot");
        using (var target = File.Create(snapshot)) copy.CopyTo(target);
        Assert.Equal([("loss", 1.5f)], EventFileReader.Read(snapshot).Last().Scalars);
    }

    [Fact]
    public void PurgeStepWritesASessionStartAtThatStep()
    {
        using var writer = new TensorBoardWriter(temp.Path, purgeStep: 500);
        var events = EventFileReader.Read(writer.FilePath);
        Assert.Equal(2, events.Count);
        Assert.Equal((500L, 1), (events[1].Step, events[1].SessionLogStatus));
    }

    [Fact]
    public void WritersStartedTogetherGetDistinctFiles()
    {
        using var first = new TensorBoardWriter(temp.Path);
        using var second = new TensorBoardWriter(temp.Path);
        using var third = new TensorBoardWriter(temp.Path);
        Assert.Equal(3, new[] { first.FilePath, second.FilePath, third.FilePath }.Distinct().Count());
        Assert.All([first, second, third], w => Assert.Equal("brain.Event:2", EventFileReader.Read(w.FilePath).Single().FileVersion));
    }

    [Fact]
    public void LongTagsAndLargeStepsUseMultiByteVarints()
    {
        string tag = new('t', 300);
        using var writer = new TensorBoardWriter(temp.Path);
        writer.AddScalar(tag, -0.125, step: 5_000_000_000);
        var last = EventFileReader.Read(writer.FilePath).Last();
        Assert.Equal(5_000_000_000, last.Step);
        Assert.Equal([(tag, -0.125f)], last.Scalars);
    }
}
