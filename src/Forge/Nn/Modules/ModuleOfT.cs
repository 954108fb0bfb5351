namespace Forge.Nn;

/// <summary>
/// A module with a typed forward pass. Call <see cref="Forward"/>; subclasses implement <see cref="ForwardCore"/>. Forward runs
/// the pre-hooks (which may replace the input), then ForwardCore, then the hooks (which may replace the output), each in the
/// order registered.
/// </summary>
/// <typeparam name="TIn">The input: a tensor, or a record holding a tensor and its options (masks, targets).</typeparam>
/// <typeparam name="TOut">The output.</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "PyTorch's name for the concept; Forge targets C#.")]
public abstract class Module<TIn, TOut> : Module
{
    private List<Func<Module<TIn, TOut>, TIn, TIn>>? preHooks;
    private List<Func<Module<TIn, TOut>, TIn, TOut, TOut>>? hooks;

    /// <summary>Runs the module on <paramref name="input"/>, with its hooks.</summary>
    public TOut Forward(TIn input)
    {
        if (preHooks is not null)
        {
            foreach (var hook in preHooks.ToArray()) input = hook(this, input);
        }
        TOut output = ForwardCore(input);
        if (hooks is not null)
        {
            foreach (var hook in hooks.ToArray()) output = hook(this, input, output);
        }
        return output;
    }

    /// <summary>The computation of the module.</summary>
    protected abstract TOut ForwardCore(TIn input);

    /// <summary>Whether forward hooks or pre-hooks are registered (a fused path that bypasses <see cref="Forward"/> must not skip them).</summary>
    protected bool HasForwardHooks => preHooks is { Count: > 0 } || hooks is { Count: > 0 };

    /// <summary>Registers a hook run before the forward pass; the input it returns replaces the input (return it unchanged to only observe).</summary>
    public HookHandle RegisterForwardPreHook(Func<Module<TIn, TOut>, TIn, TIn> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        preHooks ??= [];
        preHooks.Add(hook);
        return new HookHandle(() => preHooks.Remove(hook));
    }

    /// <summary>Registers a hook that observes the input before the forward pass.</summary>
    public HookHandle RegisterForwardPreHook(Action<Module<TIn, TOut>, TIn> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardPreHook((module, input) =>
        {
            hook(module, input);
            return input;
        });
    }

    /// <summary>Registers a hook run after the forward pass with the input and output; the output it returns replaces the output.</summary>
    public HookHandle RegisterForwardHook(Func<Module<TIn, TOut>, TIn, TOut, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        hooks ??= [];
        hooks.Add(hook);
        return new HookHandle(() => hooks.Remove(hook));
    }

    /// <summary>Registers a hook that observes the input and output after the forward pass (to capture activations or attention weights).</summary>
    public HookHandle RegisterForwardHook(Action<Module<TIn, TOut>, TIn, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardHook((module, input, output) =>
        {
            hook(module, input, output);
            return output;
        });
    }
}

/// <summary>Removes a hook it was returned for; removing twice does nothing. Disposing removes it too.</summary>
public sealed class HookHandle : IDisposable
{
    private Action? remove;

    internal HookHandle(Action remove) => this.remove = remove;

    /// <summary>Removes the hook.</summary>
    public void Remove()
    {
        remove?.Invoke();
        remove = null;
    }

    /// <inheritdoc />
    public void Dispose() => Remove();
}
