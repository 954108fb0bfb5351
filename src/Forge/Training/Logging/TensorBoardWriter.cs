using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Forge.Training.Logging;

/// <summary>
/// Writes scalars to a TensorBoard event file, <c>events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;</c> in a log directory, readable by
/// <c>tensorboard --logdir</c>. Each record is TFRecord-framed (little-endian uint64 length, masked CRC-32C of the length, the data,
/// masked CRC-32C of the data) and holds a hand-encoded <c>tensorflow.Event</c> protobuf: the first says <c>file_version</c>
/// "brain.Event:2", the others carry a <c>Summary</c> with one <c>simple_value</c>. Each record is flushed as it is written.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private const string FileVersion = "brain.Event:2";
    private const int SessionLogStart = 1;

    private readonly FileStream stream;

    /// <summary>Creates a new event file in <paramref name="logDirectory"/> (created if needed).</summary>
    /// <param name="logDirectory">TensorBoard's run directory.</param>
    /// <param name="purgeStep">
    /// When resuming from a checkpoint, its step: an <c>Event.session_log</c> with status START at this step, the record PyTorch's
    /// <c>SummaryWriter(purge_step=...)</c> writes, which tells TensorBoard to discard the events at or after that step left by the interrupted run.
    /// </param>
    public TensorBoardWriter(string logDirectory, long? purgeStep = null)
    {
        ArgumentNullException.ThrowIfNull(logDirectory);
        Directory.CreateDirectory(logDirectory);
        double now = UnixSeconds(DateTimeOffset.UtcNow);
        string baseName = "events.out.tfevents." + ((long)now).ToString(CultureInfo.InvariantCulture) + "." + Environment.MachineName;
        stream = CreateUnique(Path.Combine(logDirectory, baseName), out string path);
        FilePath = path;
        WriteRecord(Event(now, 0, w => w.String(3, FileVersion)));
        if (purgeStep is long step)
        {
            WriteRecord(Event(now, step, w => w.Message(7, s => s.Varint(1, SessionLogStart))));
        }
        stream.Flush();
    }

    /// <summary>The event file being written.</summary>
    public string FilePath { get; }

    /// <summary>Adds one point to the chart <paramref name="tag"/> (TensorBoard stores it as a float), stamped with <paramref name="wallTime"/> or now.</summary>
    public void AddScalar(string tag, double value, long step, DateTimeOffset? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        double time = UnixSeconds(wallTime ?? DateTimeOffset.UtcNow);
        WriteRecord(Event(time, step, w => w.Message(5, summary => summary.Message(1, v =>
        {
            v.String(1, tag);
            v.Float(2, (float)value);
        }))));
        stream.Flush();
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => stream.Dispose();

    private static double UnixSeconds(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

    private static byte[] Event(double wallTime, long step, Action<ProtoWriter> body)
    {
        var w = new ProtoWriter();
        w.Double(1, wallTime);
        if (step != 0) w.Varint(2, (ulong)step); // proto3 leaves default values out, as TensorFlow's writers do
        body(w);
        return w.ToArray();
    }

    private void WriteRecord(byte[] data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    private static FileStream CreateUnique(string basePath, out string path)
    {
        for (int suffix = 0; ; suffix++)
        {
            path = suffix == 0 ? basePath : basePath + "." + suffix.ToString(CultureInfo.InvariantCulture);
            try
            {
                return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another writer started in the same second on this host; take the next suffix.
            }
        }
    }

    /// <summary>The few protobuf encodings an Event needs.</summary>
    private sealed class ProtoWriter
    {
        private readonly ArrayBufferWriter<byte> buffer = new();

        public byte[] ToArray() => buffer.WrittenSpan.ToArray();

        public void Varint(int field, ulong value)
        {
            Key(field, 0);
            WriteVarint(value);
        }

        public void Double(int field, double value)
        {
            Key(field, 1);
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
            buffer.Write(bytes);
        }

        public void Float(int field, float value)
        {
            Key(field, 5);
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            buffer.Write(bytes);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, Action<ProtoWriter> body)
        {
            var inner = new ProtoWriter();
            body(inner);
            Bytes(field, inner.ToArray());
        }

        private void Bytes(int field, byte[] bytes)
        {
            Key(field, 2);
            WriteVarint((ulong)bytes.Length);
            buffer.Write(bytes);
        }

        private void Key(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

        private void WriteVarint(ulong value)
        {
            while (value >= 0x80)
            {
                buffer.Write([(byte)(value | 0x80)]);
                value >>= 7;
            }
            buffer.Write([(byte)value]);
        }
    }
}
