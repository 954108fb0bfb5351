using System.Collections;
using System.Globalization;

namespace Forge.Nn;

/// <summary>
/// A list of submodules named "0", "1", ... (PyTorch's nn.ModuleList), e.g. the blocks of a Transformer: <c>h.0.attn</c>.
/// Items can be replaced by index or through <see cref="Module.SetSubmodule"/>.
/// </summary>
/// <typeparam name="T">The type of the items; a replacement must be one too.</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "PyTorch's name for the container.")]
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> items = [];

    /// <summary>An empty list.</summary>
    public ModuleList() { }

    /// <summary>A list of <paramref name="modules"/>.</summary>
    public ModuleList(IEnumerable<T> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (T module in modules) Add(module);
    }

    /// <summary>The number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The module at <paramref name="index"/>; setting replaces it.</summary>
    public T this[int index]
    {
        get => items[CheckIndex(index)];
        set => items[CheckIndex(index)] = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Appends <paramref name="module"/>.</summary>
    public void Add(T module) => items.Add(module ?? throw new ArgumentNullException(nameof(module)));

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private protected override IEnumerable<StateMember> Members() =>
        items.Select((module, i) => new StateMember(i.ToString(CultureInfo.InvariantCulture), MemberKind.Module, module, true));

    private protected override void SetMember(string name, MemberKind kind, object? value)
    {
        int index = ContainerNames.Index(this, name, kind, MemberKind.Module, Count);
        items[index] = value as T ?? throw new ForgeException($"ModuleList item {name} holds {TypeName(typeof(T))} modules, cannot hold {(value is null ? "null" : TypeName(value.GetType()))}.");
    }

    /// <summary>Consecutive identical items print once, as "(0-11): 12 x Block(...)", like PyTorch.</summary>
    private protected override IEnumerable<string> ChildReprLines(HashSet<Module> path)
    {
        var reprs = items.Select(m => m.Repr(path)).ToList();
        for (int start = 0; start < reprs.Count;)
        {
            int end = start;
            while (end + 1 < reprs.Count && reprs[end + 1] == reprs[start]) end++;
            yield return Indent(start == end ? $"({start}): {reprs[start]}" : $"({start}-{end}): {end - start + 1} x {reprs[start]}");
            start = end + 1;
        }
    }

    private int CheckIndex(int index) =>
        index >= 0 && index < items.Count ? index : throw new ForgeException($"ModuleList index {index} is out of range for {items.Count} modules.");
}

/// <summary>Name checks shared by the containers.</summary>
internal static class ContainerNames
{
    /// <summary>The index a container item name stands for; throws when the name or kind does not fit.</summary>
    public static int Index(Module container, string name, MemberKind kind, MemberKind itemKind, int count)
    {
        if (kind != itemKind || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= count)
            throw new ForgeException($"{Module.TypeName(container.GetType())} has no {(itemKind == MemberKind.Module ? "submodule" : "parameter")} '{name}'; its items are 0 to {count - 1}.");
        return index;
    }

    /// <summary>Throws unless <paramref name="name"/> can be a state name.</summary>
    public static string Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.Contains('.', StringComparison.Ordinal))
            throw new ForgeException($"A module name must be non-empty and contain no '.', found '{name}'.");
        return name;
    }
}
