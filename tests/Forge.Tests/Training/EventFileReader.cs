using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace Forge.Tests.Training;

/// <summary>
/// An independent reader of TensorBoard event files for the tests: checks the TFRecord framing (lengths and masked CRC-32C,
/// computed bit by bit here) and decodes the Event protobuf fields the writer uses.
/// </summary>
internal static class EventFileReader
{
    public sealed record Event(double WallTime, long Step, string? FileVersion, IReadOnlyList<(string Tag, float Value)> Scalars, int? SessionLogStatus);

    public static List<Event> Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        var events = new List<Event>();
        int offset = 0;
        while (offset < file.Length)
        {
            Assert.True(file.Length - offset >= 12, $"Truncated record header at byte {offset}.");
            ReadOnlySpan<byte> header = file.AsSpan(offset, 8);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            Assert.Equal(MaskedCrc(header), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8)));
            Assert.True((ulong)(file.Length - offset - 16) >= length, $"Truncated record at byte {offset}.");
            ReadOnlySpan<byte> data = file.AsSpan(offset + 12, (int)length);
            Assert.Equal(MaskedCrc(data), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 12 + (int)length)));
            events.Add(ParseEvent(data));
            offset += 16 + (int)length;
        }
        return events;
    }

    /// <summary>CRC-32C bit by bit (reflected polynomial 0x82F63B78), then TFRecord's mask.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
        }
        crc = ~crc;
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8);
    }

    private static Event ParseEvent(ReadOnlySpan<byte> data)
    {
        double wallTime = 0;
        long step = 0;
        string? fileVersion = null;
        int? status = null;
        var scalars = new List<(string, float)>();
        foreach (var field in Fields(data.ToArray()))
        {
            switch (field.Number, field.WireType)
            {
                case (1, 1): wallTime = BitConverter.Int64BitsToDouble((long)field.Value); break;
                case (2, 0): step = (long)field.Value; break;
                case (3, 2): fileVersion = Encoding.UTF8.GetString(field.Bytes!); break;
                case (5, 2): scalars.AddRange(ParseSummary(field.Bytes!)); break;
                case (7, 2): status = (int)Fields(field.Bytes!).Single(f => f.Number == 1 && f.WireType == 0).Value; break;
                default: Assert.Fail($"Unexpected Event field {field.Number} (wire type {field.WireType})."); break;
            }
        }
        return new Event(wallTime, step, fileVersion, scalars, status);
    }

    private static IEnumerable<(string, float)> ParseSummary(byte[] summary)
    {
        foreach (var value in Fields(summary))
        {
            Assert.Equal((1, 2), (value.Number, value.WireType));
            string? tag = null;
            float? simple = null;
            foreach (var field in Fields(value.Bytes!))
            {
                if ((field.Number, field.WireType) == (1, 2)) tag = Encoding.UTF8.GetString(field.Bytes!);
                else if ((field.Number, field.WireType) == (2, 5)) simple = BitConverter.Int32BitsToSingle((int)field.Value);
                else Assert.Fail($"Unexpected Summary.Value field {field.Number} (wire type {field.WireType}).");
            }
            yield return (tag ?? throw new InvalidDataException("Summary.Value without a tag."), simple ?? throw new InvalidDataException("Summary.Value without simple_value."));
        }
    }

    private sealed record Field(int Number, int WireType, ulong Value, byte[]? Bytes);

    private static List<Field> Fields(byte[] message)
    {
        var fields = new List<Field>();
        int i = 0;
        while (i < message.Length)
        {
            ulong key = Varint(message, ref i);
            int number = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add(new Field(number, wire, Varint(message, ref i), null)); break;
                case 1: fields.Add(new Field(number, wire, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(i)), null)); i += 8; break;
                case 5: fields.Add(new Field(number, wire, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(i)), null)); i += 4; break;
                case 2:
                    int length = (int)Varint(message, ref i);
                    fields.Add(new Field(number, wire, 0, message[i..(i + length)]));
                    i += length;
                    break;
                default: throw new InvalidDataException($"Unsupported wire type {wire}.");
            }
        }
        return fields;
    }

    private static ulong Varint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
