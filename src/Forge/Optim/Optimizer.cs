using System.Globalization;
using System.Text.Json.Nodes;
using Forge.Autograd;
using Forge.Tensors;

namespace Forge.Optim;

/// <summary>
/// The per-parameter state of an optimizer: the number of steps taken on the parameter and named buffers
/// ("exp_avg", "momentum_buffer", ...) with the parameter's shape.
/// </summary>
public sealed class ParameterState
{
    /// <summary>Steps taken on this parameter (incremented before each update, so 1 on the first).</summary>
    public long StepCount { get; internal set; }

    /// <summary>Named state buffers.</summary>
    public Dictionary<string, Tensor> Buffers { get; } = [];

    /// <summary>The buffer <paramref name="name"/>, created as zeros shaped like <paramref name="parameter"/> when absent.</summary>
    public Tensor GetOrCreate(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (!Buffers.TryGetValue(name, out Tensor? buffer))
        {
            buffer = TensorScope.Keep(Tensor.Zeros([.. parameter.shape], DType.Float32, parameter.Device));
            Buffers[name] = buffer;
        }
        return buffer;
    }

    private Tensor? view, viewOf, gradientView, gradientViewOf;

    /// <summary>The parameter detached (its storage, no graph), made once: a step allocates nothing for it.</summary>
    internal Tensor DetachedParameter(Tensor parameter)
    {
        if (!ReferenceEquals(viewOf, parameter))
        {
            view = parameter.Detach();
            viewOf = parameter;
        }
        return view!;
    }

    /// <summary>The gradient detached, remade only when the parameter holds a different gradient tensor than last step.</summary>
    internal Tensor DetachedGradient(Tensor gradient)
    {
        if (!ReferenceEquals(gradientViewOf, gradient))
        {
            gradientView = gradient.Detach();
            gradientViewOf = gradient;
        }
        return gradientView!;
    }
}

/// <summary>
/// Base of the optimizers: owns the parameter groups and per-parameter state, and updates every parameter that has a
/// gradient in place (without recording gradients) on <see cref="Step()"/>. Parameters whose Grad is null are skipped.
/// </summary>
public abstract class Optimizer
{
    private readonly List<ParameterGroup> groups;
    private readonly List<Tensor> parameters = [];
    private readonly Dictionary<Tensor, ParameterState> state = new(ReferenceEqualityComparer.Instance);

    /// <summary>Adopts <paramref name="parameterGroups"/>, filling their unset options from <paramref name="defaults"/>.</summary>
    protected Optimizer(IEnumerable<ParameterGroup> parameterGroups, ParameterGroup defaults)
    {
        ArgumentNullException.ThrowIfNull(parameterGroups);
        ArgumentNullException.ThrowIfNull(defaults);
        groups = [.. parameterGroups];
        if (groups.Count == 0) throw new ForgeException("An optimizer needs at least one parameter group, found none.");
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (ParameterGroup group in groups)
        {
            if (group is null) throw new ForgeException("A parameter group is null.");
            group.InheritFrom(defaults);
            CheckLearningRate(group);
            foreach (Tensor p in group.Parameters)
            {
                if (!seen.Add(p)) throw new ForgeException($"A parameter of shape {Tensor.Format(p.Shape)} appears in more than one group.");
                if (p.DType != DType.Float32) throw new ForgeException($"Optimizers update Float32 parameters, found {p.DType}.");
                parameters.Add(p);
            }
        }
        if (parameters.Count == 0) throw new ForgeException("An optimizer needs at least one parameter, found an empty parameter list.");
    }

    /// <summary>A single group holding <paramref name="parameters"/>.</summary>
    protected static IEnumerable<ParameterGroup> SingleGroup(IEnumerable<Tensor> parameters) => [new ParameterGroup(parameters)];

    /// <summary>The parameter groups, in order.</summary>
    public IReadOnlyList<ParameterGroup> ParameterGroups => groups;

    /// <summary>
    /// The factor every gradient is read with during <see cref="Step(float)"/> by an optimizer that folds it into its update
    /// (see <see cref="FoldsGradientScale"/>); 1 otherwise.
    /// </summary>
    protected float GradientScale { get; private set; } = 1;

    /// <summary>Whether <see cref="Update"/> reads the gradient scaled by <see cref="GradientScale"/> (false: the base scales it first).</summary>
    protected virtual bool FoldsGradientScale => false;

    /// <summary>
    /// Updates every parameter as if its gradient had first been multiplied by <paramref name="gradientScale"/>, as
    /// <see cref="GradientClipping.ClipGradNorm"/> does (pair this with <see cref="GradientClipping.GetTotalNorm"/> and
    /// <see cref="GradientClipping.ClipCoefficient"/>). Adam and AdamW fold the factor into their update and leave the gradients
    /// as they are, which saves a pass over every gradient; other optimizers scale the gradients in place first.
    /// </summary>
    public void Step(float gradientScale)
    {
        if (!(gradientScale >= 0) || float.IsPositiveInfinity(gradientScale))
            throw new ForgeException($"The gradient scale must be a finite value ≥ 0, found {gradientScale}.");
        if (gradientScale != 1 && !FoldsGradientScale)
        {
            foreach (Tensor p in parameters) p.Grad?.MulInPlace(gradientScale);
        }
        else
        {
            GradientScale = gradientScale;
        }
        try
        {
            Step();
        }
        finally
        {
            GradientScale = 1;
        }
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void Step()
    {
        foreach (ParameterGroup group in groups)
        {
            CheckLearningRate(group);
            Validate(group);
        }
        using var noGrad = GradMode.NoGrad();
        foreach (ParameterGroup group in groups)
        {
            IReadOnlyList<Tensor> members = group.Parameters;
            for (int i = 0; i < members.Count; i++)
            {
                Tensor p = members[i];
                if (p.Grad is not Tensor grad) continue;
                if (!grad.Shape.SequenceEqual(p.Shape))
                    throw new ForgeException($"Gradient shape {Tensor.Format(grad.Shape)} does not match parameter shape {Tensor.Format(p.Shape)}.");
                if (!state.TryGetValue(p, out ParameterState? s))
                {
                    s = new ParameterState();
                    state[p] = s;
                }
                s.StepCount++;
                Tensor target = p.IsContiguous ? s.DetachedParameter(p) : p.Detach().Contiguous();
                Tensor g = grad.DType == DType.Float32 && grad.IsContiguous ? s.DetachedGradient(grad) : grad.Detach().To(DType.Float32).Contiguous();
                Update(group, target, g, s);
                if (!ReferenceEquals(target.Storage, p.Storage)) p.CopyFrom(target);
            }
        }
    }

    /// <summary>
    /// Checks combinations of a group's options before each step (single options are checked by their setters); throws
    /// <see cref="ForgeException"/> naming a bad value. The base accepts every group.
    /// </summary>
    protected virtual void Validate(ParameterGroup group) { }

    /// <summary>Updates one contiguous Float32 parameter in place from its contiguous Float32 gradient.</summary>
    protected abstract void Update(ParameterGroup group, Tensor parameter, Tensor gradient, ParameterState state);

    /// <summary>
    /// Clears the gradients: sets them to null, or to zero when <paramref name="setToNone"/> is false, which keeps the
    /// gradient buffers for the next backward (no new memory per step; the next backward writes instead of adding).
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (Tensor p in parameters)
        {
            if (setToNone) p.Grad = null;
            else p.ZeroGradKeepingBuffer();
        }
    }

    /// <summary>A snapshot of the state (tensors are copies) and the groups' hyper-parameters.</summary>
    public OptimizerState StateDict()
    {
        var tensors = new Dictionary<string, Tensor>();
        var stateJson = new JsonObject();
        for (int i = 0; i < parameters.Count; i++)
        {
            if (!state.TryGetValue(parameters[i], out ParameterState? s)) continue;
            string index = i.ToString(CultureInfo.InvariantCulture);
            stateJson[index] = new JsonObject { ["step"] = s.StepCount };
            foreach (var (name, buffer) in s.Buffers)
            {
                using var noGrad = GradMode.NoGrad();
                tensors[$"state.{index}.{name}"] = buffer.Clone();
            }
        }
        var groupsJson = new JsonArray();
        int next = 0;
        foreach (ParameterGroup group in groups)
        {
            JsonObject json = group.OptionsToJson();
            var indices = new JsonArray();
            foreach (Tensor _ in group.Parameters) indices.Add(next++);
            json["params"] = indices;
            groupsJson.Add(json);
        }
        var values = new JsonObject { ["optimizer"] = GetType().Name, ["state"] = stateJson, ["param_groups"] = groupsJson };
        return new OptimizerState(tensors, values);
    }

    /// <summary>
    /// Restores state and hyper-parameters saved by <see cref="StateDict"/> from an optimizer of the same type over parameters
    /// with the same group sizes and shapes; throws <see cref="ForgeException"/> on any mismatch, before changing anything.
    /// </summary>
    public void LoadStateDict(OptimizerState stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        JsonObject values = stateDict.Values;
        string? type = (string?)values["optimizer"];
        if (type != GetType().Name) throw new ForgeException($"The state was saved by optimizer '{type}', but this is {GetType().Name}.");
        if (values["param_groups"] is not JsonArray groupsJson || groupsJson.Count != groups.Count)
            throw new ForgeException($"The state has {(values["param_groups"] as JsonArray)?.Count ?? 0} parameter groups, but the optimizer has {groups.Count}.");
        for (int g = 0; g < groups.Count; g++)
        {
            int count = (groupsJson[g]?["params"] as JsonArray)?.Count ?? -1;
            if (count != groups[g].Parameters.Count)
                throw new ForgeException($"Parameter group {g} has {groups[g].Parameters.Count} parameters, but the state's group has {count}.");
        }
        foreach (JsonNode? groupJson in groupsJson)
        {
            if (groupJson is not JsonObject options) throw new ForgeException("A parameter group in the state is not a JSON object.");
            new ParameterGroup([]).OptionsFromJson(options);
        }
        var loaded = new Dictionary<int, ParameterState>();
        if (values["state"] is JsonObject stateJson)
        {
            foreach (var (key, node) in stateJson)
            {
                int index = ParameterIndex(key);
                loaded[index] = new ParameterState { StepCount = node?["step"]?.GetValue<long>() ?? 0 };
            }
        }
        foreach (var (key, tensor) in stateDict.Tensors)
        {
            string[] parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "state") throw new ForgeException($"Unexpected optimizer state tensor '{key}'; expected 'state.INDEX.NAME'.");
            int index = ParameterIndex(parts[1]);
            if (!tensor.Shape.SequenceEqual(parameters[index].Shape))
                throw new ForgeException($"State tensor '{key}' has shape {Tensor.Format(tensor.Shape)}, but parameter {index} has shape {Tensor.Format(parameters[index].Shape)}.");
            if (!loaded.TryGetValue(index, out ParameterState? s)) throw new ForgeException($"State tensor '{key}' has no step count in the state values.");
            s.Buffers[parts[2]] = tensor;
        }
        using var noGrad = GradMode.NoGrad();
        state.Clear();
        foreach (var (index, s) in loaded)
        {
            var copy = new ParameterState { StepCount = s.StepCount };
            foreach (var (name, tensor) in s.Buffers) copy.Buffers[name] = TensorScope.Keep(tensor.To(DType.Float32).Clone());
            state[parameters[index]] = copy;
        }
        for (int g = 0; g < groups.Count; g++) groups[g].OptionsFromJson((JsonObject)groupsJson[g]!);
    }

    private static void CheckLearningRate(ParameterGroup group)
    {
        if (group.LearningRate < 0) throw new ForgeException($"LearningRate must be ≥ 0, found {group.LearningRate}.");
    }

    private int ParameterIndex(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < parameters.Count
            ? index
            : throw new ForgeException($"The state refers to parameter '{text}', but the optimizer has {parameters.Count} parameters.");
}
