namespace Forge;

/// <summary>The error Forge raises for bad input: files, shapes, arguments. The message names what was expected and what was found.</summary>
public class ForgeException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public ForgeException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public ForgeException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates an exception with no message.</summary>
    public ForgeException() { }
}
