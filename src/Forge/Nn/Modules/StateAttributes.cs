namespace Forge.Nn;

/// <summary>
/// Gives a module member the state name to use instead of its snake_case C# name, so state dicts match a PyTorch or
/// Hugging Face checkpoint: <c>[StateName("c_attn")] public Linear Attention { get; set; }</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = true)]
public sealed class StateNameAttribute(string name) : Attribute
{
    /// <summary>The name used in state dicts and dotted paths.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Marks a tensor member of a module as a buffer: state that is not learned (BatchNorm's running_mean). Buffers appear in
/// <see cref="Module.NamedBuffers"/> and, when persistent, in the state dict.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = true)]
public sealed class BufferAttribute : Attribute
{
    /// <summary>Whether the buffer is saved in the state dict (true by default, as PyTorch's register_buffer).</summary>
    public bool Persistent { get; init; } = true;
}
