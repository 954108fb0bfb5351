using System.Text;

namespace Forge.Data;

/// <summary>RFC 4180 comma-separated values: quoted fields, doubled quotes, commas and line breaks inside quotes.</summary>
internal static class Csv
{
    /// <summary>
    /// The records of <paramref name="text"/>, each with the 1-based line it starts on. Records end at CRLF or LF outside quotes; a
    /// trailing line break adds no record; blank lines are skipped. A quote inside an unquoted field, text after a closing quote,
    /// or a quote left open is a <see cref="ForgeException"/> naming <paramref name="source"/> and the line.
    /// </summary>
    public static List<(int Line, string[] Fields)> Parse(string text, string source)
    {
        var records = new List<(int, string[])>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1, i = 0;
        bool fieldStarted = false;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"')
            {
                if (field.Length > 0) throw new ForgeException($"'{source}' line {line}: a quote inside an unquoted field; expected the whole field in quotes with inner quotes doubled.");
                int openLine = line;
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new ForgeException($"'{source}' line {openLine}: a quoted field is never closed.");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (text[i] == '\n') line++;
                    field.Append(text[i++]);
                }
                fieldStarted = true;
                if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                    throw new ForgeException($"'{source}' line {line}: expected a comma or a line break after a closing quote, found '{text[i]}'.");
                continue;
            }
            if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
                fieldStarted = true;
                i++;
                continue;
            }
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
            if (c is '\n' or '\r')
            {
                EndRecord();
                line++;
                recordLine = line;
                i++;
                continue;
            }
            field.Append(c);
            fieldStarted = true;
            i++;
        }
        EndRecord();
        return records;

        void EndRecord()
        {
            if (fieldStarted || fields.Count > 0)
            {
                fields.Add(field.ToString());
                records.Add((recordLine, [.. fields]));
            }
            fields.Clear();
            field.Clear();
            fieldStarted = false;
        }
    }

    /// <summary>Writes a header and rows as RFC 4180 CSV (UTF-8 without a byte-order mark, CRLF line ends).</summary>
    public static void Write(TextWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        WriteRecord(writer, header);
        foreach (IReadOnlyList<string> row in rows) WriteRecord(writer, row);
    }

    private static void WriteRecord(TextWriter writer, IReadOnlyList<string> fields)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0) writer.Write(',');
            string f = fields[i];
            if (f.AsSpan().IndexOfAny(",\"\r\n") < 0 && f.Length > 0) writer.Write(f);
            else writer.Write("\"" + f.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"");
        }
        writer.Write("\r\n");
    }
}
