namespace Forge.Tensors;

/// <summary>
/// A step being captured into a <see cref="StepGraph"/> did something a replay could not repeat: read a tensor's values on the
/// host, draw random tensors there, call a kernel that returns a value, or start another capture.
/// </summary>
public sealed class StepGraphCaptureException : ForgeException
{
    /// <summary>Creates an exception with a message.</summary>
    public StepGraphCaptureException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public StepGraphCaptureException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates an exception with no message.</summary>
    public StepGraphCaptureException() { }
}
