using Forge.Data;
using Xunit;

namespace Forge.Tests.Data;

public sealed class EmailTextTests
{
    [Fact]
    public void DropsHeadersKeepsSubjectAndMasksUrlsAndAddresses()
    {
        const string mail = "From: Bob <bob@example.com>\nReceived: from x\n\tby y\nSubject: Meeting\n  tomorrow\n\nHi,\n\nsee http://example.com/a?b=1 or www.test.org, mail me at alice.b@mail.example.co.uk.\n";
        Assert.Equal("Meeting tomorrow Hi, see URL or URL mail me at EMAIL .", EmailText.Clean(mail));
    }

    [Fact]
    public void DecodesQuotedPrintableHtml()
    {
        const string mail = "Subject: =?iso-8859-1?Q?Caf=E9_deal?=\nContent-Type: text/html; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n<html><head><style>p {color: red}</style></head><body><!-- hidden --><p>Price: 10&nbsp;&euro; caf=\n=E9</p><a href=3D\"http://x.com\">click</a></body></html>\n";
        Assert.Equal("Café deal Price: 10 € café click", EmailText.Clean(mail));
    }

    [Fact]
    public void MultipartKeepsTextPartsAndPrefersPlainAlternatives()
    {
        const string mail = "Subject: parts\nContent-Type: multipart/mixed; boundary=\"OUTER\"\n\npreamble\n--OUTER\nContent-Type: multipart/alternative; boundary=INNER\n\n--INNER\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSGVsbG8g\nd29ybGQ=\n--INNER\nContent-Type: text/html\n\n<b>Hello world</b>\n--INNER--\n--OUTER\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlh\n--OUTER\nContent-Type: text/plain\n\nsecond part\n--OUTER--\nepilogue\n";
        Assert.Equal("parts Hello world second part", EmailText.Clean(mail));
    }

    [Fact]
    public void CrLfAndMissingBodyAreHandled()
    {
        Assert.Equal("Only subject", EmailText.Clean("Subject: Only subject\r\nTo: a@b.c\r\n"));
        Assert.Equal("body line", EmailText.Clean("X-Other: 1\r\n\r\nbody\r\n  line\r\n"));
    }
}
