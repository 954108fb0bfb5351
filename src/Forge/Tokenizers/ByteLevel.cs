namespace Forge.Tokenizers;

/// <summary>GPT-2's reversible map between bytes and printable characters: the printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards in byte order.</summary>
public static class ByteLevel
{
    private static readonly char[] ByteToCharTable = BuildByteToChar();
    private static readonly short[] CharToByteTable = BuildCharToByte();

    /// <summary>The character that stands for a byte.</summary>
    public static char ByteToChar(byte value) => ByteToCharTable[value];

    /// <summary>The byte a character stands for, or -1 when the character stands for no byte.</summary>
    public static int CharToByte(int character) =>
        (uint)character < (uint)CharToByteTable.Length ? CharToByteTable[character] : -1;

    /// <summary>The 256 characters that stand for bytes, in byte order.</summary>
    public static IReadOnlyList<char> Alphabet => ByteToCharTable;

    /// <summary>Spells bytes with their characters.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = bytes.Length <= 512 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[i] = ByteToCharTable[bytes[i]];
        }
        return new string(chars);
    }

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            table[b] = IsPrintable(b) ? (char)b : (char)(256 + next++);
        }
        return table;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[256 + 68];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            table[ByteToCharTable[b]] = (short)b;
        }
        return table;
    }
}
