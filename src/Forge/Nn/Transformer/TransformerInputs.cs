using Forge.Tensors;

namespace Forge.Nn;

/// <summary>
/// The input of <see cref="TransformerEncoderLayer"/> and <see cref="TransformerEncoder"/>: the sequence [batch, length, dModel]
/// and optional masks, with the meanings of <see cref="AttentionInput.AttentionMask"/> and <see cref="AttentionInput.KeyPaddingMask"/>
/// (true = may attend, true = real token).
/// </summary>
public sealed record EncoderInput(Tensor Source, Tensor? Mask = null, Tensor? KeyPaddingMask = null);

/// <summary>
/// The input of <see cref="TransformerDecoderLayer"/> and <see cref="TransformerDecoder"/>: the target sequence [batch, Lt, dModel],
/// the encoder output (memory) [batch, Ls, dModel], and optional masks for self-attention (target) and cross-attention (memory),
/// with the meanings of <see cref="AttentionInput"/>'s masks.
/// </summary>
public sealed record DecoderInput(Tensor Target, Tensor Memory, Tensor? TargetMask = null, Tensor? MemoryMask = null,
    Tensor? TargetKeyPaddingMask = null, Tensor? MemoryKeyPaddingMask = null);
