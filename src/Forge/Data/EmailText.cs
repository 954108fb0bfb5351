using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Forge.Data;

/// <summary>
/// Turns a raw e-mail (headers and body, as in the SpamAssassin corpus) into plain text for classification: headers are dropped
/// except the Subject's text; MIME parts that are text are kept (a multipart/alternative keeps its plain part, else its HTML
/// part), decoded from quoted-printable or base64 with their charset; HTML loses its tags, comments, scripts and styles, and its
/// entities are decoded; URLs become "URL" and e-mail addresses "EMAIL"; whitespace runs become one space. Deterministic.
/// </summary>
public static partial class EmailText
{
    /// <summary>The cleaned text of <paramref name="rawEmail"/>: the subject, a space, then the body text.</summary>
    public static string Clean(string rawEmail)
    {
        ArgumentNullException.ThrowIfNull(rawEmail);
        var (headers, body) = SplitHeaders(rawEmail.ReplaceLineEndings("\n"));
        string subject = DecodeEncodedWords(Header(headers, "Subject") ?? "");
        string text = subject + "\n" + PartText(headers, body);
        text = UrlPattern().Replace(text, " URL ");
        text = EmailPattern().Replace(text, " EMAIL ");
        return Whitespace().Replace(text, " ").Trim();
    }

    private static (List<(string Name, string Value)> Headers, string Body) SplitHeaders(string message)
    {
        int end = message.StartsWith('\n') ? 0 : message.IndexOf("\n\n", StringComparison.Ordinal);
        string head = end < 0 ? message : message[..end];
        string body = end < 0 ? "" : message[(end + (end == 0 ? 1 : 2))..];
        var headers = new List<(string, string)>();
        foreach (string line in head.Split('\n'))
        {
            if (line.Length > 0 && line[0] is ' ' or '\t' && headers.Count > 0)
            {
                headers[^1] = (headers[^1].Item1, headers[^1].Item2 + " " + line.Trim());
                continue;
            }
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0) headers.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return (headers, body);
    }

    private static string? Header(List<(string Name, string Value)> headers, string name) =>
        headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private static string PartText(List<(string Name, string Value)> headers, string body)
    {
        string contentType = Header(headers, "Content-Type") ?? "text/plain";
        string mediaType = contentType.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType.StartsWith("multipart/", StringComparison.Ordinal) && Parameter(contentType, "boundary") is { Length: > 0 } boundary)
        {
            var parts = SplitParts(body, boundary).Select(SplitHeaders).ToList();
            if (mediaType == "multipart/alternative")
            {
                var preferred = parts.FirstOrDefault(p => MediaType(p.Headers) == "text/plain");
                if (preferred.Headers is null) preferred = parts.FirstOrDefault(p => MediaType(p.Headers) is "text/html" || MediaType(p.Headers).StartsWith("multipart/", StringComparison.Ordinal));
                return preferred.Headers is null ? "" : PartText(preferred.Headers, preferred.Body);
            }
            return string.Join("\n", parts.Select(p => PartText(p.Headers, p.Body)));
        }
        if (mediaType is not ("text/plain" or "text/html" or "text")) return "";
        string text = Decode(body, Header(headers, "Content-Transfer-Encoding"), Parameter(contentType, "charset"));
        return mediaType == "text/html" ? StripHtml(text) : text;
    }

    private static string MediaType(List<(string Name, string Value)> headers) =>
        (Header(headers, "Content-Type") ?? "text/plain").Split(';')[0].Trim().ToLowerInvariant();

    private static string? Parameter(string contentType, string name)
    {
        Match match = Regex.Match(contentType, $@"(?:^|;)\s*{name}\s*=\s*(?:""([^""]*)""|([^;\s]+))", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return match.Success ? (match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value) : null;
    }

    private static List<string> SplitParts(string body, string boundary)
    {
        string delimiter = "--" + boundary;
        var parts = new List<string>();
        StringBuilder? current = null;
        foreach (string line in body.Split('\n'))
        {
            string trimmed = line.TrimEnd();
            if (trimmed == delimiter + "--") break;
            if (trimmed == delimiter)
            {
                if (current is not null) parts.Add(current.ToString());
                current = new StringBuilder();
                continue;
            }
            current?.Append(line).Append('\n');
        }
        if (current is not null) parts.Add(current.ToString());
        return parts;
    }

    private static string Decode(string body, string? transferEncoding, string? charset)
    {
        string encoding = (transferEncoding ?? "").Trim().ToLowerInvariant();
        byte[]? bytes = encoding switch
        {
            "quoted-printable" => QuotedPrintable(body),
            "base64" => Base64(body),
            _ => null,
        };
        return bytes is null ? body : CharsetOf(charset).GetString(bytes);
    }

    private static byte[] QuotedPrintable(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '=' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
                continue;
            }
            if (c == '=' && i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
                continue;
            }
            if (c < 256) bytes.Add((byte)c);
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return [.. bytes];
    }

    private static byte[]? Base64(string text)
    {
        string compact = new([.. text.Where(c => !char.IsWhiteSpace(c))]);
        try
        {
            return Convert.FromBase64String(compact);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>UTF-8 for "utf-8", ASCII for "us-ascii", else Latin-1 (which also stands in for windows-1252 and unknown charsets).</summary>
    private static Encoding CharsetOf(string? charset) => (charset ?? "").Trim().ToLowerInvariant() switch
    {
        "utf-8" or "utf8" => Encoding.UTF8,
        "us-ascii" or "ascii" => Encoding.ASCII,
        _ => Encoding.Latin1,
    };

    private static string DecodeEncodedWords(string header) => EncodedWord().Replace(header, m =>
    {
        string charset = m.Groups[1].Value, mode = m.Groups[2].Value.ToUpperInvariant(), data = m.Groups[3].Value;
        byte[]? bytes = mode == "B" ? Base64(data) : QuotedPrintable(data.Replace('_', ' '));
        return bytes is null ? m.Value : CharsetOf(charset).GetString(bytes);
    });

    private static string StripHtml(string html)
    {
        string text = HtmlHidden().Replace(html, " ");
        text = HtmlTag().Replace(text, " ");
        return WebUtility.HtmlDecode(text);
    }

    [GeneratedRegex(@"<!--.*?-->|<(script|style)\b.*?</\1\s*>", RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HtmlHidden();

    [GeneratedRegex(@"<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"=\?([^?]+)\?([BbQq])\?([^?]*)\?=", RegexOptions.CultureInvariant)]
    private static partial Regex EncodedWord();

    [GeneratedRegex(@"\b(?:(?:https?|ftp)://|www\.)[^\s<>""']+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}
