using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Forge.Nn;

/// <summary>Submodules by name, in insertion order (PyTorch's nn.ModuleDict).</summary>
/// <typeparam name="T">The type of the items.</typeparam>
[SuppressMessage("Naming", "CA1710", Justification = "PyTorch's name for the container.")]
public sealed class ModuleDict<T> : Module, IReadOnlyDictionary<string, T> where T : Module
{
    private readonly OrderedDictionary<string, T> items = new(StringComparer.Ordinal);

    /// <summary>An empty dictionary.</summary>
    public ModuleDict() { }

    /// <summary>A dictionary of <paramref name="modules"/>, in order.</summary>
    public ModuleDict(IEnumerable<KeyValuePair<string, T>> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (name, module) in modules) Add(name, module);
    }

    /// <summary>The number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The module named <paramref name="name"/>; setting adds or replaces it.</summary>
    public T this[string name]
    {
        get => items.TryGetValue(name, out T? module) ? module : throw new ForgeException($"ModuleDict has no module '{name}'; its keys are: {string.Join(", ", items.Keys)}.");
        set => items[ContainerNames.Check(name)] = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The names, in order.</summary>
    public IEnumerable<string> Keys => items.Keys;

    /// <summary>The modules, in order.</summary>
    public IEnumerable<T> Values => items.Values;

    /// <summary>Adds <paramref name="module"/> under a new <paramref name="name"/>.</summary>
    public void Add(string name, T module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!items.TryAdd(ContainerNames.Check(name), module)) throw new ForgeException($"ModuleDict already has a module '{name}'.");
    }

    /// <summary>Removes the module named <paramref name="name"/>; false when there is none.</summary>
    public bool Remove(string name) => items.Remove(name);

    /// <inheritdoc />
    public bool ContainsKey(string key) => items.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out T value) => items.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, T>> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private protected override IEnumerable<StateMember> Members() =>
        items.Select(item => new StateMember(item.Key, MemberKind.Module, item.Value, true));

    private protected override void SetMember(string name, MemberKind kind, object? value)
    {
        if (kind != MemberKind.Module || !items.ContainsKey(name))
            throw new ForgeException($"ModuleDict has no submodule '{name}'; its keys are: {string.Join(", ", items.Keys)}.");
        items[name] = value as T ?? throw new ForgeException($"ModuleDict item '{name}' holds {TypeName(typeof(T))} modules, cannot hold {(value is null ? "null" : TypeName(value.GetType()))}.");
    }
}
