using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Forge.Cli;

/// <summary>Files and helper scripts the commands read or run.</summary>
internal static class CliFiles
{
    /// <summary>The JSON object in <paramref name="path"/>; a missing file, invalid JSON or another JSON value is a <see cref="ForgeException"/>.</summary>
    public static JsonObject ReadJsonObject(string path)
    {
        if (!File.Exists(path)) throw new ForgeException($"'{path}' does not exist.");
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject ?? throw new ForgeException($"{path} must hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ForgeException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs one of the repository's fetch scripts (<c>tools/NAME</c>) with bash, which fills <c>.cache/</c>; a missing script or a
    /// failure is a <see cref="ForgeException"/> ending with <paramref name="advice"/>.
    /// </summary>
    public static void RunFetchScript(string script, string advice, TextWriter o)
    {
        if (!File.Exists(script)) throw new ForgeException($"{script} is missing. {advice}");
        o.WriteLine($"Fetching with {script} ...");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        using var process = Process.Start(start) ?? throw new ForgeException($"Could not run {script}. {advice}");
        Task<string> error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new ForgeException($"{script} failed: {error.Result.Trim()} {advice}");
    }
}
