using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using Forge.Tensors;

namespace Forge.Nn;

/// <summary>What a module member holds.</summary>
internal enum MemberKind
{
    /// <summary>A submodule.</summary>
    Module,
    /// <summary>A learnable parameter.</summary>
    Parameter,
    /// <summary>A tensor that is state but not learned.</summary>
    Buffer,
}

/// <summary>A member of a module as found at one moment: its state name, kind and current value (null when unset).</summary>
internal readonly record struct StateMember(string Name, MemberKind Kind, object? Value, bool Persistent);

/// <summary>One field of a module type that can hold state, with the name and kind it is registered under.</summary>
internal sealed class MemberSlot(FieldInfo storage, string name, string memberName, MemberKind kind, bool persistent)
{
    /// <summary>The state name (snake_case or from <see cref="StateNameAttribute"/>).</summary>
    public string Name { get; } = name;

    /// <summary>The C# member name, for messages.</summary>
    public string MemberName { get; } = memberName;

    /// <summary>The kind of state; a Tensor field without <see cref="BufferAttribute"/> counts only while it holds a Parameter.</summary>
    public MemberKind Kind { get; } = kind;

    /// <summary>Whether a buffer is saved in state dicts.</summary>
    public bool Persistent { get; } = persistent;

    /// <summary>The declared type of the member.</summary>
    public Type DeclaredType => storage.FieldType;

    public object? GetValue(Module owner) => storage.GetValue(owner);

    public void SetValue(Module owner, object? value)
    {
        if (value is not null && !DeclaredType.IsInstanceOfType(value))
            throw new ForgeException($"Member '{Name}' ({MemberName}) of {Module.TypeName(owner.GetType())} is declared as {Module.TypeName(DeclaredType)} and cannot hold a {Module.TypeName(value.GetType())}.");
        storage.SetValue(owner, value);
    }
}

/// <summary>
/// The state members of a module type, found once by reflection over its instance fields (auto-properties through their backing
/// fields), base types first, each type's members in declaration order.
/// </summary>
internal sealed class ModuleLayout
{
    private static readonly ConcurrentDictionary<Type, ModuleLayout> Cache = new();
    private readonly Dictionary<string, MemberSlot> byName;

    private ModuleLayout(List<MemberSlot> slots)
    {
        Slots = slots;
        byName = slots.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }

    /// <summary>The state members, in order.</summary>
    public IReadOnlyList<MemberSlot> Slots { get; }

    /// <summary>The layout of <paramref name="type"/>, built on first use.</summary>
    public static ModuleLayout For(Type type) => Cache.GetOrAdd(type, Build);

    /// <summary>The slot named <paramref name="name"/>, or null.</summary>
    public MemberSlot? Find(string name) => byName.GetValueOrDefault(name);

    /// <summary>Converts a C# member name to snake_case: QProj → q_proj, CAttn → c_attn, LnF → ln_f, Norm1 → norm1.</summary>
    public static string ToSnakeCase(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string trimmed = name.TrimStart('_');
        var result = new StringBuilder(trimmed.Length + 4);
        for (int i = 0; i < trimmed.Length; i++)
        {
            char c = trimmed[i];
            if (char.IsUpper(c))
            {
                bool afterWord = i > 0 && (char.IsLower(trimmed[i - 1]) || char.IsDigit(trimmed[i - 1]));
                bool endsAcronym = i > 0 && char.IsUpper(trimmed[i - 1]) && i + 1 < trimmed.Length && char.IsLower(trimmed[i + 1]);
                if (afterWord || endsAcronym) result.Append('_');
                result.Append(char.ToLowerInvariant(c));
            }
            else
            {
                result.Append(c);
            }
        }
        return result.ToString();
    }

    private static ModuleLayout Build(Type type)
    {
        var hierarchy = new List<Type>();
        for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType) hierarchy.Add(t);
        hierarchy.Reverse();
        var slots = new List<MemberSlot>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Type t in hierarchy)
        {
            FieldInfo[] fields = t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            foreach (FieldInfo field in fields.OrderBy(f => f.MetadataToken))
            {
                if (Describe(type, t, field) is not MemberSlot slot) continue;
                if (names.TryGetValue(slot.Name, out string? other))
                    throw new ForgeException($"{Module.TypeName(type)} has two members with the state name '{slot.Name}': {other} and {slot.MemberName}; rename one or give it a [StateName].");
                names[slot.Name] = slot.MemberName;
                slots.Add(slot);
            }
        }
        return new ModuleLayout(slots);
    }

    /// <summary>The slot for <paramref name="field"/>, or null when it holds no state.</summary>
    private static MemberSlot? Describe(Type moduleType, Type declaringType, FieldInfo field)
    {
        var (memberName, attributes) = SourceMember(declaringType, field);
        var stateName = attributes.OfType<StateNameAttribute>().FirstOrDefault();
        var buffer = attributes.OfType<BufferAttribute>().FirstOrDefault();
        Type type = field.FieldType;
        MemberKind? kind = typeof(Module).IsAssignableFrom(type) ? MemberKind.Module
            : type == typeof(Parameter) ? MemberKind.Parameter
            : typeof(Tensor).IsAssignableFrom(type) && type != typeof(Parameter) ? (buffer is not null ? MemberKind.Buffer : MemberKind.Parameter)
            : null;
        string where = $"{Module.TypeName(moduleType)}.{memberName}";
        if (kind is null)
        {
            if (HoldsState(type))
                throw new ForgeException($"{where} is a {Module.TypeName(type)}, a collection of modules or parameters that would not be registered; hold modules in a ModuleList<T> or ModuleDict<T> and parameters in a ParameterList.");
            if (stateName is not null || buffer is not null)
                throw new ForgeException($"{where} has [StateName] or [Buffer] but is a {Module.TypeName(type)}, not a module or tensor.");
            return null;
        }
        if (buffer is not null && kind != MemberKind.Buffer)
            throw new ForgeException($"{where} has [Buffer] but is a {Module.TypeName(type)}; buffers are Tensor members (parameters are learned, not buffers).");
        string name = stateName?.Name ?? ToSnakeCase(memberName);
        if (name.Length == 0 || name.Contains('.', StringComparison.Ordinal))
            throw new ForgeException($"{where} has the state name '{name}'; a state name must be non-empty and contain no '.'.");
        return new MemberSlot(field, name, memberName, kind.Value, buffer?.Persistent ?? true);
    }

    /// <summary>The C# member a field stands for (the property of a backing field) and its attributes.</summary>
    private static (string Name, Attribute[] Attributes) SourceMember(Type declaringType, FieldInfo field)
    {
        string name = field.Name;
        var attributes = field.GetCustomAttributes(inherit: true).OfType<Attribute>().ToList();
        if (name.StartsWith('<'))
        {
            int end = name.IndexOf('>', StringComparison.Ordinal);
            string inner = name[1..end];
            name = inner;
            PropertyInfo? property = declaringType.GetProperty(inner, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            if (property is not null) attributes.AddRange(property.GetCustomAttributes(inherit: true).OfType<Attribute>());
        }
        return (name, [.. attributes]);
    }

    /// <summary>True for arrays and collections whose elements are modules or parameters.</summary>
    private static bool HoldsState(Type type)
    {
        if (type.IsArray) return IsStateType(type.GetElementType()!);
        IEnumerable<Type> interfaces = type.IsInterface ? type.GetInterfaces().Append(type) : type.GetInterfaces();
        foreach (Type i in interfaces)
        {
            if (!i.IsGenericType || i.GetGenericTypeDefinition() != typeof(IEnumerable<>)) continue;
            Type element = i.GetGenericArguments()[0];
            if (IsStateType(element)) return true;
            if (element.IsGenericType && element.GetGenericTypeDefinition() == typeof(KeyValuePair<,>) && IsStateType(element.GetGenericArguments()[1])) return true;
        }
        return false;
    }

    private static bool IsStateType(Type type) => typeof(Module).IsAssignableFrom(type) || type == typeof(Parameter);
}
