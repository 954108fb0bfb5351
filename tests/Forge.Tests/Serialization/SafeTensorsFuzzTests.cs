using System.Diagnostics;
using System.Text;
using Forge.Serialization;
using Xunit;
using static Forge.Tests.Serialization.SerializationSupport;

namespace Forge.Tests.Serialization;

/// <summary>Randomly corrupted files either load completely or raise ForgeException: never another exception, a crash or a hang.</summary>
public sealed class SafeTensorsFuzzTests : IDisposable
{
    private static readonly string[] Numbers = ["0", "1", "-1", "2.5", "1e3", "7", "8", "-0", "4294967296", "9223372036854775807", "18446744073709551616", "99999999999999999999999"];
    private const string Structural = "{}[],:\"-0. e\\";
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private byte[] ValidFile()
    {
        string path = temp.File("valid.safetensors");
        SafeTensors.Save(path, SampleTensors(), new Dictionary<string, string> { ["format"] = "pt", ["step"] = "12" });
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void TenThousandMutationsInMemoryLoadCleanlyOrRaiseForgeException()
    {
        byte[] valid = ValidFile();
        var rng = new Random(20240611);
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();

        for (int i = 0; i < 10_000; i++)
        {
            byte[] mutated = Mutate(valid, rng);
            string outcome = Outcome(i, mutated, () => SafeTensorsFile.Parse(mutated, $"case-{i}"), $"case-{i}");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Assert.True(outcomes.GetValueOrDefault("loaded") > 100, $"Too few mutations loaded: {string.Join(", ", outcomes)}");
        Assert.True(outcomes.GetValueOrDefault("rejected") > 5000, $"Too few mutations were rejected: {string.Join(", ", outcomes)}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Fuzzing took {clock.Elapsed}.");
    }

    [Fact]
    public void ThreeHundredMutatedFilesOnDiskLoadCleanlyOrRaiseForgeException()
    {
        byte[] valid = ValidFile();
        var rng = new Random(7);
        string path = temp.File("mutated.safetensors");
        int rejected = 0;

        for (int i = 0; i < 300; i++)
        {
            byte[] mutated = Mutate(valid, rng);
            File.WriteAllBytes(path, mutated);
            if (Outcome(i, mutated, () => SafeTensors.Open(path), path) == "rejected") rejected++;
        }

        Assert.InRange(rejected, 100, 299);
    }

    /// <summary>Opens a mutated file and reads every tensor, mapped and copied; "loaded" or "rejected", or fails the test.</summary>
    private static string Outcome(int index, byte[] content, Func<SafeTensorsFile> open, string source)
    {
        try
        {
            using SafeTensorsFile file = open();
            foreach (var tensor in file.LoadAll().Values) ReadAll(tensor);
            foreach (var tensor in file.LoadAll(copy: true).Values) ReadAll(tensor);
            Assert.NotNull(file.Metadata);
            return "loaded";
        }
        catch (ForgeException e)
        {
            Assert.Contains(source, e.Message, StringComparison.Ordinal);
            return "rejected";
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"Case {index} threw {e.GetType().Name}: {e.Message}\nFile bytes: {Convert.ToBase64String(content)}\n{e}");
            throw;
        }
    }

    /// <summary>One to three random edits: bit flips, byte overwrites in the prefix and header, truncations, insertions, deletions and JSON edits.</summary>
    private static byte[] Mutate(byte[] valid, Random rng)
    {
        var bytes = new List<byte>(valid);
        int edits = rng.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            int headerEnd = Math.Min(bytes.Count, 8 + (int)BitConverter.ToUInt64(valid, 0));
            switch (rng.Next(8))
            {
                case 0 when bytes.Count > 0:
                    int bit = rng.Next(bytes.Count * 8);
                    bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                    break;
                case 1 when headerEnd > 0:
                    bytes[rng.Next(headerEnd)] = (byte)rng.Next(256);
                    break;
                case 2:
                    int cut = rng.Next(bytes.Count + 1);
                    bytes.RemoveRange(cut, bytes.Count - cut);
                    break;
                case 3:
                    byte[] insert = new byte[rng.Next(1, 17)];
                    rng.NextBytes(insert);
                    bytes.InsertRange(rng.Next(bytes.Count + 1), insert);
                    break;
                case 4:
                    EditNumber(bytes, headerEnd, rng);
                    break;
                case 5 when bytes.Count >= 8:
                    ulong length = BitConverter.ToUInt64(valid, 0);
                    ulong prefix = rng.Next(4) switch
                    {
                        0 => (ulong)rng.NextInt64(),
                        1 => length + (ulong)rng.Next(-16, 17),
                        2 => (ulong)rng.Next(bytes.Count + 16),
                        _ => 0,
                    };
                    for (int k = 0; k < 8; k++) bytes[k] = (byte)(prefix >> (8 * k));
                    break;
                case 6 when bytes.Count > 0:
                    int start = rng.Next(bytes.Count);
                    bytes.RemoveRange(start, rng.Next(1, Math.Min(32, bytes.Count - start) + 1));
                    break;
                case 7 when headerEnd > 8:
                    bytes[rng.Next(8, headerEnd)] = (byte)Structural[rng.Next(Structural.Length)];
                    break;
                default:
                    bytes.Add((byte)rng.Next(256));
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Replaces one run of digits in the header with another number (negative, fractional, huge, ...) and fixes the length prefix, so the JSON stays well formed.</summary>
    private static void EditNumber(List<byte> bytes, int headerEnd, Random rng)
    {
        var runs = new List<(int Start, int Length)>();
        for (int i = 8; i < headerEnd; i++)
        {
            if (!char.IsAsciiDigit((char)bytes[i])) continue;
            int start = i;
            while (i < headerEnd && char.IsAsciiDigit((char)bytes[i])) i++;
            runs.Add((start, i - start));
        }
        if (runs.Count == 0) return;
        var (at, length) = runs[rng.Next(runs.Count)];
        string replacement = rng.Next(3) == 0 ? rng.Next(0, 200).ToString(System.Globalization.CultureInfo.InvariantCulture) : Numbers[rng.Next(Numbers.Length)];
        bytes.RemoveRange(at, length);
        bytes.InsertRange(at, Encoding.ASCII.GetBytes(replacement));
        if (bytes.Count < 8) return;
        ulong prefix = BitConverter.ToUInt64([.. bytes.GetRange(0, 8)]) + (ulong)(replacement.Length - length);
        for (int k = 0; k < 8; k++) bytes[k] = (byte)(prefix >> (8 * k));
    }
}
