using System.Diagnostics;
using Forge.Cli;
using Xunit;

namespace Forge.Tests.Cli;

public class LauncherTests
{
    /// <summary>Runs the real ./forge script: it builds the CLI when needed (slow the first time) and runs it.</summary>
    [Fact]
    public async Task ForgeScriptBuildsAndPrintsTheVersion()
    {
        string root = RepositoryRoot();
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(root, "forge"));
        start.ArgumentList.Add("--version");
        using Process process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        Task<string> stdoutTask = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> stderrTask = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        string stdout = await stdoutTask;
        string stderr = await stderrTask;
        Assert.True(process.ExitCode == 0, $"./forge --version exited {process.ExitCode}: {stderr}");
        // The launcher's build may predate the last commit, so compare the version without its source revision.
        string version = BuildInfo.ForgeVersion.Split('+')[0];
        Assert.StartsWith($"forge {version}", stdout.Trim(), StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Forge.sln")) && File.Exists(Path.Combine(dir.FullName, "forge")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Forge repository (Forge.sln and forge) above {AppContext.BaseDirectory}.");
    }
}
