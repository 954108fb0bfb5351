using System.Text;
using Forge.Autograd;
using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// Base of every neural-network module (PyTorch's torch.nn.Module). A module finds its submodules, parameters and buffers
/// itself, by reflection over its instance fields and auto-properties (base class first, then declaration order; the layout is
/// cached per type), so there is no registration to write:
/// <list type="bullet">
/// <item>a member whose type is a <see cref="Module"/> is a submodule;</item>
/// <item>a member of type <see cref="Parameter"/> (or a Tensor member holding one) is a parameter;</item>
/// <item>a Tensor member marked <see cref="BufferAttribute"/> is a buffer.</item>
/// </list>
/// Null members are skipped (an optional bias). State names are the member names in snake_case (QProj → q_proj) unless
/// <see cref="StateNameAttribute"/> gives one; nested names join with dots (<c>h.0.attn.c_attn.weight</c>), as in PyTorch and
/// Hugging Face checkpoints. Own parameters come first, then own buffers, then each submodule's state.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "PyTorch's name for the concept; Forge targets C#.")]
public abstract class Module
{
    /// <summary>Whether the module is in training mode (dropout active, batch statistics used); see <see cref="Train"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>The total number of elements in the distinct parameters.</summary>
    public long ParameterCount => Parameters().Sum(p => p.Numel);

    /// <summary>The number of elements in the distinct parameters that require gradients.</summary>
    public long TrainableParameterCount => Parameters().Where(p => p.RequiresGrad).Sum(p => p.Numel);

    /// <summary>The direct submodules, parameters and buffers that are set, in order.</summary>
    private protected virtual IEnumerable<StateMember> Members()
    {
        foreach (MemberSlot slot in ModuleLayout.For(GetType()).Slots)
        {
            object? value = slot.GetValue(this);
            if (value is null || (slot.Kind == MemberKind.Parameter && value is not Parameter)) continue;
            yield return new StateMember(slot.Name, slot.Kind, value, slot.Persistent);
        }
    }

    /// <summary>Replaces the direct member <paramref name="name"/> of kind <paramref name="kind"/>; throws when there is none.</summary>
    private protected virtual void SetMember(string name, MemberKind kind, object? value)
    {
        MemberSlot? slot = ModuleLayout.For(GetType()).Find(name);
        if (slot is null || slot.Kind != kind)
            throw new ForgeException($"{TypeName(GetType())} has no {KindName(kind)} member '{name}'; its {KindName(kind)} members are: {Describe(ModuleLayout.For(GetType()).Slots.Where(s => s.Kind == kind).Select(s => s.Name))}.");
        slot.SetValue(this, value);
    }

    /// <summary>Sets training mode on this module and every submodule (false is evaluation mode).</summary>
    public void Train(bool mode = true)
    {
        foreach (var (_, module) in Walk(removeDuplicates: true)) module.Training = mode;
    }

    /// <summary>Sets evaluation mode on this module and every submodule: dropout off, running statistics used.</summary>
    public void Eval() => Train(false);

    /// <summary>The direct submodules.</summary>
    public IReadOnlyList<Module> Children() => [.. NamedChildren().Select(c => c.Module)];

    /// <summary>The direct submodules with their names (a module held twice is listed once).</summary>
    public IReadOnlyList<(string Name, Module Module)> NamedChildren()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        return [.. OwnMembers(MemberKind.Module).Select(m => (m.Name, (Module)m.Value!)).Where(c => seen.Add(c.Item2))];
    }

    /// <summary>This module and every submodule, depth first, each once.</summary>
    public IReadOnlyList<Module> Modules() => [.. Walk(removeDuplicates: true).Select(m => m.Module)];

    /// <summary>This module (named "") and every submodule with its dotted name, depth first, each once.</summary>
    public IReadOnlyList<(string Name, Module Module)> NamedModules() => Walk(removeDuplicates: true);

    /// <summary>The distinct parameters of this module and, when <paramref name="recurse"/>, of its submodules.</summary>
    public IReadOnlyList<Parameter> Parameters(bool recurse = true) => [.. NamedParameters(recurse).Select(p => p.Parameter)];

    /// <summary>The distinct parameters with their dotted names (a shared parameter appears under its first name).</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters(bool recurse = true) =>
        [.. NamedTensors(MemberKind.Parameter, recurse).Select(t => (t.Name, (Parameter)t.Tensor))];

    /// <summary>The distinct buffers of this module and, when <paramref name="recurse"/>, of its submodules.</summary>
    public IReadOnlyList<Tensor> Buffers(bool recurse = true) => [.. NamedBuffers(recurse).Select(b => b.Buffer)];

    /// <summary>The distinct buffers with their dotted names, persistent or not.</summary>
    public IReadOnlyList<(string Name, Tensor Buffer)> NamedBuffers(bool recurse = true) =>
        [.. NamedTensors(MemberKind.Buffer, recurse)];

    /// <summary>Calls <paramref name="action"/> on every submodule (children before parents) and then on this module, e.g. to initialize weights.</summary>
    public void Apply(Action<Module> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var postOrder = new List<Module>();
        Walk(removeDuplicates: true, postOrder);
        foreach (Module module in postOrder) action(module);
    }

    /// <summary>Clears the gradients of every parameter: sets them to null, or to zero when <paramref name="setToNone"/> is false.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (Parameter p in Parameters())
        {
            if (setToNone) p.Grad = null;
            else p.ZeroGradKeepingBuffer();
        }
    }

    /// <summary>Stops gradients for every parameter (RequiresGrad false): optimizers then skip them. Freeze one with <c>parameter.RequiresGrad = false</c>.</summary>
    public void Freeze() => SetRequiresGrad(false);

    /// <summary>Makes every parameter require gradients again.</summary>
    public void Unfreeze() => SetRequiresGrad(true);

    private void SetRequiresGrad(bool value)
    {
        foreach (Parameter p in Parameters()) p.RequiresGrad = value;
    }

    /// <summary>
    /// The parameters and persistent buffers by dotted name, in order. The tensors share storage with the module's (detached, as
    /// PyTorch's state_dict): save them, or clone them for a snapshot. A shared tensor appears under each of its names.
    /// </summary>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in StateEntries()) result[name] = tensor.Detach();
        return result;
    }

    /// <summary>
    /// Copies the values of <paramref name="stateDict"/> into this module's parameters and buffers (the tensors stay the same
    /// objects, so optimizers built over them remain valid; values are converted to each tensor's dtype). A tensor whose shape
    /// differs always raises <see cref="ForgeException"/> naming the key and both shapes. With <paramref name="strict"/>, keys the
    /// module expects but the dict lacks (missing) and keys the module does not know (unexpected) raise <see cref="ForgeException"/>
    /// listing them; otherwise they are returned. Nothing is changed when an exception is raised.
    /// </summary>
    public StateDictLoadResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var entries = StateEntries();
        var expected = new HashSet<string>(entries.Select(e => e.Name), StringComparer.Ordinal);
        var mismatches = new List<string>();
        var missing = new List<string>();
        foreach (var (name, target) in entries)
        {
            if (!stateDict.TryGetValue(name, out Tensor? source) || source is null)
            {
                missing.Add(name);
                continue;
            }
            if (!source.Shape.SequenceEqual(target.Shape))
                mismatches.Add($"'{name}': the module's tensor has shape {Tensor.Format(target.Shape)}, the state dict's has {Tensor.Format(source.Shape)}");
        }
        if (mismatches.Count > 0)
            throw new ForgeException($"Cannot load the state dict into {TypeName(GetType())}: shape mismatch for {string.Join("; ", mismatches)}.");
        List<string> unexpected = [.. stateDict.Keys.Where(k => !expected.Contains(k)).Order(StringComparer.Ordinal)];
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            var problems = new List<string>();
            if (missing.Count > 0) problems.Add($"missing keys: {string.Join(", ", missing)}");
            if (unexpected.Count > 0) problems.Add($"unexpected keys: {string.Join(", ", unexpected)}");
            throw new ForgeException($"The state dict does not match {TypeName(GetType())} ({string.Join("; ", problems)}); load with strict: false to skip them.");
        }
        using (GradMode.NoGrad())
        {
            foreach (var (name, target) in entries)
            {
                if (stateDict.TryGetValue(name, out Tensor? source) && source is not null) target.CopyFrom(source);
            }
        }
        return new StateDictLoadResult(missing, unexpected);
    }

    /// <summary>The submodule at a dotted path such as "h.0.attn" ("" is this module); throws <see cref="ForgeException"/> naming the missing part.</summary>
    public Module GetSubmodule(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Module current = this;
        if (path.Length == 0) return current;
        string walked = "";
        foreach (string part in path.Split('.'))
        {
            Module? next = current.OwnMembers(MemberKind.Module).Where(m => m.Name == part).Select(m => (Module)m.Value!).FirstOrDefault();
            if (next is null)
            {
                string at = walked.Length == 0 ? "the root" : $"'{walked}'";
                throw new ForgeException($"{TypeName(GetType())} has no submodule '{path}': {TypeName(current.GetType())} at {at} has no child '{part}' (its children are: {Describe(current.NamedChildren().Select(c => c.Name))}).");
            }
            walked = Join(walked, part);
            current = next;
        }
        return current;
    }

    /// <summary>
    /// Replaces the submodule at a dotted path (for example to wrap "h.0.attn.c_attn" in an adapter). The path must name an existing
    /// member whose declared type accepts <paramref name="module"/>; afterwards the replacement is found like any other submodule.
    /// </summary>
    public void SetSubmodule(string path, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (parent, name) = ParentOf(path);
        parent.SetMember(name, MemberKind.Module, module);
    }

    /// <summary>The parameter at a dotted path such as "h.0.attn.c_attn.weight".</summary>
    public Parameter GetParameter(string path)
    {
        var (parent, name) = ParentOf(path);
        return parent.OwnMembers(MemberKind.Parameter).Where(m => m.Name == name).Select(m => (Parameter)m.Value!).FirstOrDefault()
            ?? throw new ForgeException($"{TypeName(GetType())} has no parameter '{path}' ({TypeName(parent.GetType())} has parameters: {Describe(parent.OwnMembers(MemberKind.Parameter).Select(m => m.Name))}).");
    }

    /// <summary>Replaces the parameter at a dotted path (for example to tie an output layer's weight to an embedding's).</summary>
    public void SetParameter(string path, Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var (parent, name) = ParentOf(path);
        parent.SetMember(name, MemberKind.Parameter, parameter);
    }

    /// <summary>
    /// Converts the floating-point parameters and buffers to <paramref name="dtype"/>. Parameters are replaced by new ones (tied
    /// parameters stay tied, RequiresGrad is kept), so create optimizers afterwards.
    /// </summary>
    public void To(DType dtype) => ReplaceTensors(t => t.DType.IsFloatingPoint() ? t.To(dtype) : t);

    /// <summary>Moves the parameters and buffers to <paramref name="device"/>, replacing them as <see cref="To(DType)"/> does.</summary>
    public void To(Device device) => ReplaceTensors(t => t.To(device));

    /// <summary>The settings shown inside the parentheses of <see cref="ToString"/> (PyTorch's extra_repr), e.g. "in_features=4, out_features=2, bias=True".</summary>
    public virtual string ExtraRepr() => "";

    /// <summary>A tree of the module and its submodules, as PyTorch prints a module.</summary>
    public override string ToString() => Repr(new HashSet<Module>(ReferenceEqualityComparer.Instance));

    internal string Repr(HashSet<Module> path)
    {
        if (!path.Add(this)) return TypeName(GetType()) + "(...)";
        string extra = ExtraRepr();
        List<string> extraLines = extra.Length > 0 ? [.. extra.Split('\n')] : [];
        List<string> childLines = [.. ChildReprLines(path)];
        path.Remove(this);
        var text = new StringBuilder(TypeName(GetType())).Append('(');
        if (extraLines.Count == 1 && childLines.Count == 0) text.Append(extraLines[0]);
        else if (extraLines.Count + childLines.Count > 0) text.Append("\n  ").AppendJoin("\n  ", extraLines.Concat(childLines)).Append('\n');
        return text.Append(')').ToString();
    }

    /// <summary>One "(name): repr" line per child, continuation lines indented.</summary>
    private protected virtual IEnumerable<string> ChildReprLines(HashSet<Module> path) =>
        OwnMembers(MemberKind.Module).Select(m => Indent($"({m.Name}): {((Module)m.Value!).Repr(path)}"));

    /// <summary>Indents every line but the first by two spaces (PyTorch's _addindent).</summary>
    private protected static string Indent(string text) => text.Replace("\n", "\n  ", StringComparison.Ordinal);

    /// <summary>A type's name without the generic arity suffix.</summary>
    internal static string TypeName(Type type)
    {
        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    /// <summary>Python's spelling of a bool, for <see cref="ExtraRepr"/>.</summary>
    private protected static string PyBool(bool value) => value ? "True" : "False";

    private IEnumerable<StateMember> OwnMembers(MemberKind kind) => Members().Where(m => m.Kind == kind);

    /// <summary>Every parameter and persistent buffer under each of its names, in state dict order.</summary>
    private List<(string Name, Tensor Tensor)> StateEntries() =>
        [.. Walk(removeDuplicates: false).SelectMany(m => m.Module.Members()
            .Where(s => s.Kind == MemberKind.Parameter || (s.Kind == MemberKind.Buffer && s.Persistent))
            .OrderBy(s => s.Kind)
            .Select(s => (Join(m.Name, s.Name), (Tensor)s.Value!)))];

    /// <summary>The distinct tensors of one kind with their dotted names (a shared tensor under its first name).</summary>
    private List<(string Name, Tensor Tensor)> NamedTensors(MemberKind kind, bool recurse)
    {
        var result = new List<(string, Tensor)>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        IEnumerable<(string Name, Module Module)> modules = recurse ? Walk(removeDuplicates: true) : [("", this)];
        foreach (var (prefix, module) in modules)
        {
            foreach (StateMember member in module.OwnMembers(kind))
            {
                var tensor = (Tensor)member.Value!;
                if (!seen.Add(tensor)) continue;
                result.Add((Join(prefix, member.Name), tensor));
            }
        }
        return result;
    }

    /// <summary>
    /// This module and its descendants in pre-order with dotted names; with <paramref name="removeDuplicates"/> a module reached
    /// twice is visited once (which also cuts cycles); without it a cycle raises <see cref="ForgeException"/>. Fills
    /// <paramref name="postOrder"/> (children before parents) when given.
    /// </summary>
    private List<(string Name, Module Module)> Walk(bool removeDuplicates, List<Module>? postOrder = null)
    {
        var result = new List<(string, Module)>();
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var path = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        void Visit(string name, Module module)
        {
            if (removeDuplicates && !seen.Add(module)) return;
            if (path.Contains(module))
                throw new ForgeException($"{TypeName(GetType())} contains itself: the module at '{name}' is one of its own ancestors.");
            result.Add((name, module));
            path.Add(module);
            foreach (StateMember child in module.OwnMembers(MemberKind.Module)) Visit(Join(name, child.Name), (Module)child.Value!);
            path.Remove(module);
            postOrder?.Add(module);
        }
        Visit("", this);
        return result;
    }

    private (Module Parent, string Name) ParentOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) throw new ForgeException("Expected a dotted member path such as 'h.0.attn', found an empty path.");
        int dot = path.LastIndexOf('.');
        return dot < 0 ? (this, path) : (GetSubmodule(path[..dot]), path[(dot + 1)..]);
    }

    private void ReplaceTensors(Func<Tensor, Tensor> convert)
    {
        var replacements = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        using var noGrad = GradMode.NoGrad();
        foreach (var (_, module) in Walk(removeDuplicates: true))
        {
            foreach (StateMember member in module.Members().Where(m => m.Kind != MemberKind.Module).ToList())
            {
                var tensor = (Tensor)member.Value!;
                if (!replacements.TryGetValue(tensor, out Tensor? replacement))
                {
                    Tensor converted = convert(tensor);
                    replacement = ReferenceEquals(converted, tensor) ? tensor
                        : tensor is Parameter p ? new Parameter(converted, p.RequiresGrad) : converted;
                    replacements[tensor] = replacement;
                }
                if (!ReferenceEquals(replacement, tensor)) module.SetMember(member.Name, member.Kind, replacement);
            }
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private static string Describe(IEnumerable<string> names)
    {
        string list = string.Join(", ", names);
        return list.Length == 0 ? "none" : list;
    }

    private static string KindName(MemberKind kind) => kind switch
    {
        MemberKind.Module => "submodule",
        MemberKind.Parameter => "parameter",
        _ => "buffer",
    };
}
