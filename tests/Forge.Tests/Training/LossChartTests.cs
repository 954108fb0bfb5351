using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Forge.Tests.Serialization;
using Forge.Training.Logging;
using Xunit;

namespace Forge.Tests.Training;

public sealed class LossChartTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>Decodes an 8-bit RGB PNG, checking the signature, every chunk's CRC (computed bit by bit here) and the scanline filters.</summary>
    private static (int Width, int Height, byte[] Rgb) Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int width = 0, height = 0;
        using var compressed = new MemoryStream();
        var types = new List<string>();
        for (int offset = 8; offset < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            ReadOnlySpan<byte> typed = png.AsSpan(offset + 4, 4 + length);
            Assert.Equal(BitwiseCrc32(typed), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length)));
            string type = Encoding.ASCII.GetString(typed[..4]);
            types.Add(type);
            ReadOnlySpan<byte> data = typed[4..];
            if (type == "IHDR")
            {
                (width, height) = (BinaryPrimitives.ReadInt32BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[4..]));
                Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, data[8..].ToArray());
            }
            if (type == "IDAT") compressed.Write(data);
            offset += 12 + length;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], types);
        compressed.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        Assert.Equal(height * (1 + width * 3), raw.Length);
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, raw[y * (1 + width * 3)]);
            Array.Copy(raw, y * (1 + width * 3) + 1, rgb, y * width * 3, width * 3);
        }
        return (width, height, rgb);
    }

    private static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
        }
        return ~crc;
    }

    private static List<(int X, int Y)> PixelsOf((int Width, int Height, byte[] Rgb) image, LossChart.Rgb color)
    {
        var found = new List<(int, int)>();
        for (int i = 0; i < image.Rgb.Length; i += 3)
        {
            if (image.Rgb[i] == color.R && image.Rgb[i + 1] == color.G && image.Rgb[i + 2] == color.B) found.Add((i / 3 % image.Width, i / 3 / image.Width));
        }
        return found;
    }

    [Fact]
    public void Crc32MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, PngImage.Crc32("123456789"u8));
        Assert.Equal(0xAE426082u, PngImage.Crc32("IEND"u8));
    }

    [Fact]
    public void EncodedPixelsDecodeUnchanged()
    {
        byte[] rgb = [.. Enumerable.Range(0, 3 * 4 * 3).Select(i => (byte)(i * 7))];
        var (width, height, decoded) = Decode(PngImage.Encode(rgb, 3, 4));
        Assert.Equal((3, 4), (width, height));
        Assert.Equal(rgb, decoded);
        Assert.Throws<ForgeException>(() => PngImage.Encode(rgb, 4, 4));
    }

    [Fact]
    public void FallingTrainingLossIsDrawnFromTopLeftToBottomRight()
    {
        string path = temp.File("loss.png");
        var training = Enumerable.Range(0, 200).Select(s => ((long)s, 10.0 - s * 0.04)).ToList();
        LossChart.Write(path, training, width: 640, height: 360);

        var image = Decode(File.ReadAllBytes(path));
        Assert.Equal((640, 360), (image.Width, image.Height));
        Assert.Equal([255, 255, 255], image.Rgb[..3]);
        var curve = PixelsOf(image, LossChart.TrainingColor).Where(p => p.Y > 40).ToList();
        Assert.NotEmpty(curve);
        var leftmost = curve.Where(p => p.X == curve.Min(q => q.X));
        var rightmost = curve.Where(p => p.X == curve.Max(q => q.X));
        Assert.True(leftmost.Max(p => p.Y) < 80, "The first point is near the top.");
        Assert.True(rightmost.Min(p => p.Y) > 360 - 100, "The last point is near the bottom.");
        Assert.InRange(curve.Max(q => q.X) - curve.Min(q => q.X), 480, 540);
        Assert.Empty(PixelsOf(image, LossChart.ValidationColor));
    }

    [Fact]
    public void ChartFromMetricsHasBothCurvesAndSkipsNonFiniteLosses()
    {
        using (var log = new MetricsLog(temp.Path))
        {
            for (int step = 1; step <= 50; step++) log.LogTraining(step, step == 20 ? double.NaN : 5.0 / step);
            log.LogValidation(25, 0.5);
            log.LogValidation(50, 0.25);
        }
        string path = temp.File("loss.png");
        LossChart.WriteFromMetrics(Path.Combine(temp.Path, MetricsLog.FileName), path);

        var image = Decode(File.ReadAllBytes(path));
        Assert.Equal((960, 540), (image.Width, image.Height));
        Assert.True(PixelsOf(image, LossChart.TrainingColor).Count > 500);
        Assert.True(PixelsOf(image, LossChart.ValidationColor).Count > 200);
    }

    [Fact]
    public void EmptyOrConstantSeriesStillDraw()
    {
        var empty = Decode(LossChart.Render([], [], 320, 200));
        Assert.Equal((320, 200), (empty.Width, empty.Height));
        var image = Decode(LossChart.Render([(5, 2.0), (5, 2.0)], [], 400, 300));
        Assert.NotEmpty(PixelsOf(image, LossChart.TrainingColor));
        Assert.Throws<ForgeException>(() => LossChart.Render([], [], 100, 100));
    }
}
