using System.Collections;
using System.Globalization;
using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// Tensor modules applied one after the other (PyTorch's nn.Sequential), named "0", "1", ... or by the names given.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "PyTorch's name for the container.")]
public sealed class Sequential : Module<Tensor, Tensor>, IReadOnlyList<Module<Tensor, Tensor>>
{
    private readonly OrderedDictionary<string, Module<Tensor, Tensor>> items = new(StringComparer.Ordinal);

    /// <summary>An empty sequence (the identity until modules are added).</summary>
    public Sequential() { }

    /// <summary>A sequence of <paramref name="modules"/> named by position.</summary>
    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules) Add(module);
    }

    /// <summary>A sequence of named modules (PyTorch's Sequential(OrderedDict(...))).</summary>
    public Sequential(params (string Name, Module<Tensor, Tensor> Module)[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (name, module) in modules) Add(name, module);
    }

    /// <summary>The number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The module at <paramref name="index"/>; setting replaces it under the same name.</summary>
    public Module<Tensor, Tensor> this[int index]
    {
        get => items.GetAt(CheckIndex(index)).Value;
        set => items.SetAt(CheckIndex(index), value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>Appends <paramref name="module"/>, named by its position.</summary>
    public void Add(Module<Tensor, Tensor> module) => Add(items.Count.ToString(CultureInfo.InvariantCulture), module);

    /// <summary>Appends <paramref name="module"/> under <paramref name="name"/>.</summary>
    public void Add(string name, Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!items.TryAdd(ContainerNames.Check(name), module)) throw new ForgeException($"Sequential already has a module '{name}'.");
    }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor input)
    {
        Tensor x = input;
        foreach (var module in items.Values) x = module.Forward(x);
        return x;
    }

    /// <inheritdoc />
    public IEnumerator<Module<Tensor, Tensor>> GetEnumerator() => items.Values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private protected override IEnumerable<StateMember> Members() =>
        items.Select(item => new StateMember(item.Key, MemberKind.Module, item.Value, true));

    private protected override void SetMember(string name, MemberKind kind, object? value)
    {
        if (kind != MemberKind.Module || !items.ContainsKey(name))
            throw new ForgeException($"Sequential has no submodule '{name}'; its names are: {string.Join(", ", items.Keys)}.");
        items[name] = value as Module<Tensor, Tensor> ?? throw new ForgeException($"Sequential item '{name}' must map a tensor to a tensor, found {(value is null ? "null" : TypeName(value.GetType()))}.");
    }

    private int CheckIndex(int index) =>
        index >= 0 && index < items.Count ? index : throw new ForgeException($"Sequential index {index} is out of range for {items.Count} modules.");
}
