namespace Forge.Tensors;

/// <summary>Kinds of device a tensor can live on.</summary>
public enum DeviceType
{
    /// <summary>Main memory, computed by the CPU backend.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU (backend not yet available).</summary>
    Cuda,
}

/// <summary>Where a tensor's storage lives. Every tensor has one; user code passes it through so it runs unchanged on any backend.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The CPU.</summary>
    public static Device Cpu { get; } = new(DeviceType.Cpu);

    /// <summary>Parses "cpu", "cuda" or "cuda:N".</summary>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string lower = text.Trim().ToLowerInvariant();
        if (lower == "cpu") return Cpu;
        if (lower == "cuda") return new Device(DeviceType.Cuda);
        if (lower.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(lower.AsSpan(5), out int index) && index >= 0)
            return new Device(DeviceType.Cuda, index);
        throw new ForgeException($"Unknown device '{text}': expected 'cpu', 'cuda' or 'cuda:N'.");
    }

    /// <inheritdoc />
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";
}
