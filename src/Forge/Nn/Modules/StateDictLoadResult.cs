namespace Forge.Nn;

/// <summary>What <see cref="Module.LoadStateDict"/> could not match: keys the module expects but the dict lacks, and keys the module does not know.</summary>
public sealed record StateDictLoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
