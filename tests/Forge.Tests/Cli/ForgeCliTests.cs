using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using Forge.Backends;
using Forge.Backends.Cpu;
using Forge.Cli;
using Xunit;

namespace Forge.Tests.Cli;

public class ForgeCliTests
{
    private sealed class Result(int exitCode, string output, string error)
    {
        public int ExitCode { get; } = exitCode;
        public string Output { get; } = output;
        public string Error { get; } = error;
        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>A command that fails with the given exception, to exercise the error policy.</summary>
    private sealed class FailingCommand(Exception error) : CliCommand("fail", "Always fails.")
    {
        protected override int Execute(CommandContext context) => throw error;
    }

    private static Result Run(params string[] args) => Run(ForgeCli.DiscoverCommands(), args);

    private static Result Run(IEnumerable<CliCommand> commands, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ForgeCli.Run(args, output, error, commands);
        return new Result(code, output.ToString(), error.ToString());
    }

    private static Result RunFailing(Exception error, params string[] args) => Run([new FailingCommand(error)], args);

    [Fact]
    public void HelpListsEveryCommand()
    {
        Result r = Run("--help");
        Assert.Equal(ForgeCli.Success, r.ExitCode);
        Assert.Contains("Usage:", r.Output, StringComparison.Ordinal);
        Assert.NotEmpty(ForgeCli.DiscoverCommands());
        foreach (CliCommand command in ForgeCli.DiscoverCommands())
            Assert.Contains($"  {command.Name.Split(' ')[0]} ", r.Output, StringComparison.Ordinal);
        Assert.Empty(r.Error);
    }

    [Fact]
    public void EveryCommandHasItsOwnHelp()
    {
        foreach (CliCommand command in ForgeCli.DiscoverCommands())
        {
            Result r = Run([.. command.Name.Split(' '), "--help"]);
            Assert.Equal(ForgeCli.Success, r.ExitCode);
            Assert.Contains($"Usage:\n  forge {command.Name} ", r.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            Assert.Contains(command.Description, r.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void VersionPrintsTheForgeVersion()
    {
        Result r = Run("--version");
        Assert.Equal(ForgeCli.Success, r.ExitCode);
        Assert.Equal($"forge {BuildInfo.ForgeVersion}", r.Output.Trim());
    }

    [Fact]
    public void InfoPrintsKernelProviderAndThreadCount()
    {
        Result r = Run("info");
        Assert.Equal(ForgeCli.Success, r.ExitCode);
        string[] lines = r.Output.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("Kernels", StringComparison.Ordinal) && l.TrimEnd().EndsWith(BackendRegistry.Cpu.Name, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"Threads      {CpuParallel.Threads} (", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Runtime      .NET", StringComparison.Ordinal));
    }

    [Fact]
    public void InfoJsonIsValidJsonWithProviderThreadsAndSimd()
    {
        Result r = Run("info", "--json");
        Assert.Equal(ForgeCli.Success, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.Output);
        JsonElement root = doc.RootElement;
        Assert.Equal(BackendRegistry.Cpu.Name, root.GetProperty("kernelProvider").GetString());
        Assert.Equal(CpuParallel.Threads, root.GetProperty("threads").GetInt32());
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("processorCount").GetInt32());
        Assert.Equal(BuildInfo.ForgeVersion, root.GetProperty("forgeVersion").GetString());
        Assert.Equal(Avx2.IsSupported, root.GetProperty("simd").GetProperty("avx2").GetBoolean());
        Assert.Equal(Avx512F.IsSupported, root.GetProperty("simd").GetProperty("avx512F").GetBoolean());
    }

    [Fact]
    public void UnknownCommandIsAUsageErrorOnOneLine()
    {
        Result r = Run("frobnicate");
        Assert.Equal(ForgeCli.UsageError, r.ExitCode);
        string line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("forge: error: ", line, StringComparison.Ordinal);
        Assert.Contains("'frobnicate'", line, StringComparison.Ordinal);
        Assert.Empty(r.Output);
    }

    [Fact]
    public void UnknownOptionIsAUsageErrorOnOneLineNamingTheCommandHelp()
    {
        Result r = Run("info", "--bogus");
        Assert.Equal(ForgeCli.UsageError, r.ExitCode);
        string line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("forge: error: ", line, StringComparison.Ordinal);
        Assert.Contains("'--bogus'", line, StringComparison.Ordinal);
        Assert.Contains("forge info --help", line, StringComparison.Ordinal);
        Assert.Empty(r.Output);
    }

    [Fact]
    public void ForgeExceptionIsOneLineWithoutStackTrace()
    {
        Result r = RunFailing(new ForgeException("Checkpoint 'x.safetensors' not found."), "fail");
        Assert.Equal(ForgeCli.Failure, r.ExitCode);
        Assert.Equal("forge: error: Checkpoint 'x.safetensors' not found.", Assert.Single(r.ErrorLines));
    }

    [Fact]
    public void VerboseAddsTheStackTrace()
    {
        Result r = RunFailing(new ForgeException("bad shape"), "fail", "--verbose");
        Assert.Equal(ForgeCli.Failure, r.ExitCode);
        Assert.Equal("forge: error: bad shape", r.ErrorLines[0]);
        Assert.Contains(r.ErrorLines, l => l.TrimStart().StartsWith($"at {typeof(FailingCommand).FullName!.Replace('+', '.')}", StringComparison.Ordinal));
    }

    [Fact]
    public void UnexpectedExceptionIsOneLineSuggestingVerbose()
    {
        Result r = RunFailing(new InvalidOperationException("state is\nbroken"), "fail");
        Assert.Equal(ForgeCli.Failure, r.ExitCode);
        string line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("forge: error: InvalidOperationException: state is broken", line, StringComparison.Ordinal);
        Assert.Contains("--verbose", line, StringComparison.Ordinal);
    }
}
