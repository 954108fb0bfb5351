namespace Forge.Tokenizers;

/// <summary>A token matched whole in the input text before the model splits it (Hugging Face's "added token"), such as <c>&lt;|endoftext|&gt;</c>.</summary>
/// <param name="Content">The exact text of the token.</param>
/// <param name="Id">Its id.</param>
/// <param name="Special">True for special tokens (end of text, padding, ...), which decoding can skip.</param>
/// <param name="Normalized">True when the token is matched in the normalized text (after lowercasing, ...) rather than in the raw text.</param>
public sealed record AddedToken(string Content, int Id, bool Special = true, bool Normalized = false);
