using System.Reflection;
using Forge.Tensors;

namespace Forge.Cli;

/// <summary>Facts about the Forge build that is running.</summary>
internal static class BuildInfo
{
    /// <summary>The Forge library's informational version (with the source revision when the build knew it).</summary>
    public static string ForgeVersion { get; } =
        typeof(Tensor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Tensor).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
