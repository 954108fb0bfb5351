using Forge.Backends.Cpu;
using Forge.Tensors;

namespace Forge.Backends;

/// <summary>Chooses the backend that computes on each device.</summary>
public static class BackendRegistry
{
    private static IBackend cpu = new KeepAliveBackend(new CpuBackend());

    /// <summary>The CPU backend in use.</summary>
    public static IBackend Cpu => cpu;

    /// <summary>The backend for <paramref name="device"/>.</summary>
    public static IBackend For(Device device) => device.Type switch
    {
        DeviceType.Cpu => cpu,
        _ => throw new ForgeException($"No backend is available for device {device}; only the CPU backend exists in this build."),
    };

    /// <summary>Replaces the CPU backend (for example with a <see cref="TimingBackend"/> around it). Returns the previous one.</summary>
    public static IBackend UseCpu(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return Interlocked.Exchange(ref cpu, backend);
    }
}
