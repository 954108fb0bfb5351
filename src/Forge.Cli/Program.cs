using Forge.Cli;

return ForgeCli.Run(args, Console.Out, Console.Error);
