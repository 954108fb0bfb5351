using System.CommandLine;

namespace Forge.Cli;

/// <summary>
/// One <c>forge</c> subcommand. Every concrete subclass in this assembly is registered by <see cref="ForgeCli"/>,
/// so a new command is one new class under Commands/. A command declares its typed options and arguments and
/// implements <see cref="Execute"/>; parsing, <c>--help</c> and the error policy are handled for it.
/// </summary>
internal abstract class CliCommand
{
    /// <summary>
    /// Creates a command called <paramref name="name"/>, described in <c>forge --help</c>. A name of several words
    /// ("tokenizer train") puts the command under a group command named by the leading words.
    /// </summary>
    protected CliCommand(string name, string description)
    {
        Name = name;
        Description = description;
    }

    /// <summary>The words after <c>forge</c> that select the command, separated by spaces.</summary>
    public string Name { get; }

    /// <summary>The last word of <see cref="Name"/>: the command's own name.</summary>
    public string Word => Name[(Name.LastIndexOf(' ') + 1)..];

    /// <summary>One sentence for the help text.</summary>
    public string Description { get; }

    /// <summary>The command's options.</summary>
    protected virtual IEnumerable<Option> Options => [];

    /// <summary>The command's positional arguments.</summary>
    protected virtual IEnumerable<Argument> Arguments => [];

    /// <summary>
    /// Runs the command and returns its exit code. Bad input is reported by throwing <see cref="ForgeException"/>.
    /// </summary>
    protected abstract int Execute(CommandContext context);

    /// <summary>The parser's view of this command, with its action bound to <paramref name="output"/> and <paramref name="error"/>.</summary>
    internal Command Build(TextWriter output, TextWriter error)
    {
        var command = new Command(Word, Description);
        foreach (Option option in Options) command.Options.Add(option);
        foreach (Argument argument in Arguments) command.Arguments.Add(argument);
        command.SetAction(parse => Execute(new CommandContext(parse, output, error)));
        return command;
    }
}

/// <summary>What a running command sees: its parsed values and the writers for its output and diagnostics.</summary>
internal sealed record CommandContext(ParseResult Parse, TextWriter Output, TextWriter Error);
