namespace Forge.Autograd;

/// <summary>Turns gradient recording on and off for the current thread.</summary>
public static class GradMode
{
    [ThreadStatic]
    private static bool disabled;

    /// <summary>True when ops record themselves for backward.</summary>
    public static bool IsEnabled => !disabled;

    /// <summary>Disables recording until the returned scope is disposed: <c>using (GradMode.NoGrad()) { ... }</c>.</summary>
    public static Scope NoGrad() => new(enabled: false);

    /// <summary>Enables recording until the returned scope is disposed (inside a no-grad region).</summary>
    public static Scope EnableGrad() => new(enabled: true);

    /// <summary>Restores the previous mode when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool previousDisabled;

        internal Scope(bool enabled)
        {
            previousDisabled = disabled;
            disabled = !enabled;
        }

        /// <summary>Restores the mode that was active when the scope began.</summary>
        public void Dispose() => disabled = previousDisabled;
    }
}
