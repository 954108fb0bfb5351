using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Forge.Cli;

/// <summary>
/// The <c>forge</c> command line: builds the parser from the registered commands, runs the chosen one and applies
/// the error policy. Every error is one line <c>forge: error: MESSAGE</c> on stderr (stack trace only with
/// <c>--verbose</c>); bad usage exits with <see cref="UsageError"/>, a failed command with <see cref="Failure"/>.
/// </summary>
internal static class ForgeCli
{
    /// <summary>Exit code of a command that succeeded.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a command that failed (bad input data, an error while running).</summary>
    public const int Failure = 1;

    /// <summary>Exit code for bad usage: an unknown command or option, a missing or malformed value.</summary>
    public const int UsageError = 2;

    /// <summary>Runs the command line <paramref name="args"/> with every command of this assembly; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, DiscoverCommands());

    /// <summary>Runs <paramref name="args"/> against the given commands; returns the exit code.</summary>
    internal static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, IEnumerable<CliCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(commands);

        var verbose = new Option<bool>("--verbose") { Description = "Show the stack trace of an error.", Recursive = true };
        var version = new Option<bool>("--version") { Description = "Print the Forge version.", Action = new VersionAction() };
        var root = new Command("forge", "Forge: tensors, autograd and Transformer training in .NET.");
        root.Options.Add(new HelpOption());
        root.Options.Add(version);
        root.Options.Add(verbose);
        foreach (CliCommand command in commands.OrderBy(c => c.Name, StringComparer.Ordinal))
            ParentOf(root, command.Name).Subcommands.Add(command.Build(stdout, stderr));
        root.SetAction(parse => new HelpAction().Invoke(parse));

        bool showStack = false;
        try
        {
            ParseResult parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                string messages = string.Join(" ", parsed.Errors.Select(e => e.Message).Distinct());
                WriteError(stderr, $"{messages} See '{CommandPath(parsed.CommandResult)} --help'.");
                return UsageError;
            }
            showStack = parsed.GetValue(verbose);
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (ForgeException e)
        {
            WriteError(stderr, e.Message);
            if (showStack) stderr.WriteLine(e);
            return Failure;
        }
#pragma warning disable CA1031 // The last line of defence: any other error still becomes one line and an exit code.
        catch (Exception e)
#pragma warning restore CA1031
        {
            WriteError(stderr, showStack ? $"{e.GetType().Name}: {e.Message}" : $"{e.GetType().Name}: {e.Message} (run with --verbose for the stack trace)");
            if (showStack) stderr.WriteLine(e);
            return Failure;
        }
    }

    /// <summary>
    /// The command under which <paramref name="path"/> (words separated by spaces, e.g. "tokenizer train") belongs: the root for one
    /// word, otherwise the group commands named by the leading words, created on first use with their <see cref="Groups"/> description.
    /// </summary>
    private static Command ParentOf(Command root, string path)
    {
        Command parent = root;
        string[] words = path.Split(' ');
        foreach (string word in words[..^1])
        {
            Command? group = parent.Subcommands.FirstOrDefault(c => c.Name == word);
            if (group is null)
            {
                string description = Groups.TryGetValue(word, out string? d) ? d
                    : throw new InvalidOperationException($"Command group '{word}' of '{path}' has no description in ForgeCli.Groups.");
                group = new Command(word, description);
                group.SetAction(parse => new HelpAction().Invoke(parse));
                parent.Subcommands.Add(group);
            }
            parent = group;
        }
        return parent;
    }

    /// <summary>Descriptions of the commands that group others (<c>forge tokenizer train</c>, <c>forge train gpt</c>).</summary>
    internal static IReadOnlyDictionary<string, string> Groups { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["bench"] = "Measure GEMM, training and generation speed.",
        ["tokenizer"] = "Train tokenizers.",
        ["finetune"] = "Fine-tune a pretrained model for a task.",
        ["train"] = "Train a model.",
    };

    /// <summary>One instance of every concrete <see cref="CliCommand"/> in this assembly.</summary>
    internal static IReadOnlyList<CliCommand> DiscoverCommands() =>
        typeof(ForgeCli).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(CliCommand)) && !t.IsAbstract)
            .Select(t => (CliCommand)Activator.CreateInstance(t)!)
            .ToList();

    /// <summary>The words that select <paramref name="result"/>'s command, "forge" first.</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult command; r = command.Parent) names.Insert(0, command.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>Prints the version and stops, as <c>--help</c> does, whatever else the command line holds.</summary>
    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine($"forge {BuildInfo.ForgeVersion}");
            return Success;
        }
    }

    private static void WriteError(TextWriter stderr, string message) =>
        stderr.WriteLine($"forge: error: {message.ReplaceLineEndings(" ")}");
}
