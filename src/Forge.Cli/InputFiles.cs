using System.Text;

namespace Forge.Cli;

/// <summary>Reads the text files commands are given, turning every problem into a <see cref="ForgeException"/> naming the file.</summary>
internal static class InputFiles
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The whole file as UTF-8 text (a byte-order mark is skipped); empty or non-UTF-8 files are errors.</summary>
    public static string ReadText(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Exists) throw new ForgeException($"Text file '{file.FullName}' does not exist.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgeException($"Cannot read text file '{file.FullName}': {e.Message}", e);
        }
        ReadOnlySpan<byte> body = bytes.AsSpan().StartsWith(ByteOrderMark) ? bytes.AsSpan(ByteOrderMark.Length) : bytes;
        if (body.IsEmpty) throw new ForgeException($"Text file '{file.FullName}' is empty.");
        try
        {
            return StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException e)
        {
            throw new ForgeException($"Text file '{file.FullName}' is not valid UTF-8 (bad byte at offset {e.Index}).", e);
        }
    }
}
