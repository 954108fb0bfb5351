using System.Collections;
using System.Globalization;

namespace Forge.Nn;

/// <summary>A list of parameters named "0", "1", ... (PyTorch's nn.ParameterList), e.g. soft prompt vectors.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "PyTorch's name for the container.")]
public sealed class ParameterList : Module, IReadOnlyList<Parameter>
{
    private readonly List<Parameter> items = [];

    /// <summary>An empty list.</summary>
    public ParameterList() { }

    /// <summary>A list of <paramref name="parameters"/>.</summary>
    public ParameterList(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (Parameter p in parameters) Add(p);
    }

    /// <summary>The number of parameters.</summary>
    public int Count => items.Count;

    /// <summary>The parameter at <paramref name="index"/>; setting replaces it.</summary>
    public Parameter this[int index]
    {
        get => items[CheckIndex(index)];
        set => items[CheckIndex(index)] = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Appends <paramref name="parameter"/>.</summary>
    public void Add(Parameter parameter) => items.Add(parameter ?? throw new ArgumentNullException(nameof(parameter)));

    /// <inheritdoc />
    public IEnumerator<Parameter> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ExtraRepr() =>
        string.Join("\n", items.Select((p, i) => $"({i}): Parameter containing: [{p.DType} of size {string.Join("x", p.Shape)}]"));

    private protected override IEnumerable<StateMember> Members() =>
        items.Select((p, i) => new StateMember(i.ToString(CultureInfo.InvariantCulture), MemberKind.Parameter, p, true));

    private protected override void SetMember(string name, MemberKind kind, object? value) =>
        items[ContainerNames.Index(this, name, kind, MemberKind.Parameter, Count)] = value as Parameter
            ?? throw new ForgeException($"ParameterList item {name} must be a Parameter.");

    private int CheckIndex(int index) =>
        index >= 0 && index < items.Count ? index : throw new ForgeException($"ParameterList index {index} is out of range for {items.Count} parameters.");
}
