using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Forge.Backends;
using Forge.Backends.Cpu;

namespace Forge.Cli;

/// <summary>Hardware acceleration available to the kernels.</summary>
/// <param name="Vector512">Vector512 operations are hardware accelerated.</param>
/// <param name="Vector256">Vector256 operations are hardware accelerated.</param>
/// <param name="Vector128">Vector128 operations are hardware accelerated.</param>
/// <param name="Avx512F">The CPU supports AVX-512F.</param>
/// <param name="Avx2">The CPU supports AVX2.</param>
/// <param name="Fma">The CPU supports FMA3.</param>
/// <param name="AdvSimd">The CPU supports Arm AdvSIMD (NEON).</param>
internal sealed record SimdSupport(bool Vector512, bool Vector256, bool Vector128, bool Avx512F, bool Avx2, bool Fma, bool AdvSimd);

/// <summary>The versions, machine and kernel settings Forge runs with.</summary>
/// <param name="ForgeVersion">The Forge library's version.</param>
/// <param name="Runtime">The .NET runtime's description.</param>
/// <param name="Os">The operating system's description.</param>
/// <param name="Architecture">The process architecture (X64, Arm64, ...).</param>
/// <param name="ProcessorCount">Logical processors available to the process.</param>
/// <param name="Threads">Threads the CPU kernels use.</param>
/// <param name="ThreadsSource">Where <paramref name="Threads"/> comes from.</param>
/// <param name="Simd">Hardware acceleration available.</param>
/// <param name="KernelProvider">The name of the CPU backend in use.</param>
internal sealed record EnvironmentReport(
    string ForgeVersion,
    string Runtime,
    string Os,
    string Architecture,
    int ProcessorCount,
    int Threads,
    string ThreadsSource,
    SimdSupport Simd,
    string KernelProvider)
{
    /// <summary>The environment variable that sets the kernel thread count.</summary>
    public const string ThreadsVariable = "FORGE_THREADS";

    /// <summary>Reads the report from the running process.</summary>
    public static EnvironmentReport Collect() => new(
        BuildInfo.ForgeVersion,
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription,
        RuntimeInformation.ProcessArchitecture.ToString(),
        Environment.ProcessorCount,
        CpuParallel.Threads,
        DescribeThreadsSource(Environment.GetEnvironmentVariable(ThreadsVariable)),
        new SimdSupport(
            Vector512.IsHardwareAccelerated,
            Vector256.IsHardwareAccelerated,
            Vector128.IsHardwareAccelerated,
            Avx512F.IsSupported,
            Avx2.IsSupported,
            Fma.IsSupported,
            System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported),
        BackendRegistry.Cpu.Name);

    private static string DescribeThreadsSource(string? value)
    {
        if (value is null) return $"{ThreadsVariable} not set: one per processor";
        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1
            ? $"{ThreadsVariable}={value}"
            : $"{ThreadsVariable}='{value}' is not a positive integer: one per processor";
    }
}

/// <summary>JSON serialization of the CLI's reports: camelCase, indented, characters such as '+' left unescaped.</summary>
[JsonSerializable(typeof(EnvironmentReport))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>The context with the CLI's output options.</summary>
    public static CliJson Output { get; } = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
