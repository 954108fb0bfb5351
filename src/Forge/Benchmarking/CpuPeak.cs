using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Forge.Backends.Cpu;

namespace Forge.Benchmarking;

/// <summary>
/// An estimate of the CPU's fp32 peak, the denominator of model FLOPs utilization (MFU): kernel threads × measured clock ×
/// vector lanes (widest accelerated of Vector512, Vector256, Vector128) × 2 (a fused multiply-add is two flops) × 2 FMA units
/// per core (assumed; true of recent x86 and Arm server cores).
/// </summary>
/// <param name="Threads">The kernel threads the peak counts (<see cref="CpuParallel.Threads"/>).</param>
/// <param name="VectorBits">The widest hardware-accelerated vector.</param>
/// <param name="ClockGHz">The clock measured by a chain of dependent one-cycle integer operations.</param>
public sealed partial record CpuPeak(int Threads, int VectorBits, double ClockGHz)
{
    /// <summary>FMA units assumed per core.</summary>
    public const int FmaUnitsPerCore = 2;

    /// <summary>Peak fp32 flops per cycle of one core.</summary>
    public int FlopsPerCycle => VectorBits / 32 * 2 * FmaUnitsPerCore;

    /// <summary>The estimated fp32 peak of all <see cref="Threads"/> cores, GFLOP/s.</summary>
    public double Gflops => Threads * ClockGHz * FlopsPerCycle;

    /// <summary>Measures the clock (about 50 ms) and returns the estimate for the current kernel threads.</summary>
    public static CpuPeak Measure()
    {
        int bits = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 32;
        return new CpuPeak(CpuParallel.Threads, bits, MeasureClockGHz());
    }

    /// <summary>
    /// The fastest of several timings of 4 dependent integer adds/xors per iteration (one cycle each on every current core,
    /// and the loop's own work runs alongside), so cycles = 4 × iterations. On Linux the time is the thread's own processor
    /// time, so a machine busy with other work (which takes the core away) does not make the clock look slower.
    /// </summary>
    private static double MeasureClockGHz()
    {
        const long iterations = 5_000_000;
        double best = double.MaxValue;
        ulong sink = 0;
        for (int run = 0; run < 7; run++)
        {
            double start = ThreadSeconds();
            sink += Chain(iterations, (ulong)run + 3, 0x9E3779B97F4A7C15UL);
            best = Math.Min(best, ThreadSeconds() - start);
        }
        GC.KeepAlive(sink);
        return 4.0 * iterations / best / 1e9;
    }

    /// <summary>The calling thread's processor time (Linux), or the wall clock elsewhere, in seconds.</summary>
    private static unsafe double ThreadSeconds()
    {
        const int threadCpuTimeClock = 3;
        if (OperatingSystem.IsLinux())
        {
            long* time = stackalloc long[2];
            if (ClockGetTime(threadCpuTimeClock, time) == 0) return time[0] + time[1] * 1e-9;
        }
        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static unsafe partial int ClockGetTime(int clock, long* time);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong Chain(long iterations, ulong a, ulong b)
    {
        ulong x = a;
        for (long i = 0; i < iterations; i++) x = (((x + a) ^ b) + a) ^ b;
        return x;
    }
}
