using System.Diagnostics;
using System.Globalization;

namespace Forge.Benchmarking;

/// <summary>Process-wide counters the benchmarks report: processor time, garbage collections, page faults and peak memory.</summary>
public readonly record struct ProcessStats(
    TimeSpan ProcessorTime, TimeSpan KernelTime, long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan GcPauses, long PageFaults)
{
    /// <summary>What <see cref="Now"/> itself has allocated so far (reading the process counters allocates).</summary>
    private static long ownBytes;

    /// <summary>The counters now; <see cref="AllocatedBytes"/> leaves out what taking these snapshots allocated.</summary>
    public static ProcessStats Now()
    {
        long start = GC.GetTotalAllocatedBytes(precise: true);
        using var process = Process.GetCurrentProcess();
        TimeSpan processor = process.TotalProcessorTime, kernel = process.PrivilegedProcessorTime;
        long faults = MinorPageFaults();
        long end = GC.GetTotalAllocatedBytes(precise: true);
        long own = Interlocked.Add(ref ownBytes, end - start);
        return new ProcessStats(processor, kernel, end - own, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
            GC.GetTotalPauseDuration(), faults);
    }

    /// <summary>The peak resident memory of the process in MiB (Linux VmHWM; the peak working set elsewhere).</summary>
    public static double PeakResidentMiB()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (string line in File.ReadLines(status))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / (1024.0 * 1024.0);
    }

    /// <summary>The process's minor page faults so far (Linux /proc/self/stat field 10; 0 elsewhere).</summary>
    private static long MinorPageFaults()
    {
        const string stat = "/proc/self/stat";
        if (!File.Exists(stat)) return 0;
        string text = File.ReadAllText(stat);
        string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }
}

/// <summary>The medians and spreads of a list of timings.</summary>
internal static class Timings
{
    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
