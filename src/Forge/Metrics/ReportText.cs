using System.Globalization;
using System.Numerics;
using System.Text;

namespace Forge.Metrics;

/// <summary>The fixed-width text of scikit-learn's and seqeval's classification reports.</summary>
internal sealed class ReportText
{
    private static readonly string[] Headers = ["precision", "recall", "f1-score", "support"];

    private readonly StringBuilder text = new();
    private readonly int width;
    private readonly int digits;

    /// <summary>Starts a report whose first column fits <paramref name="names"/> and "weighted avg", with the header line and a blank line.</summary>
    public ReportText(IEnumerable<string> names, int digits)
    {
        if (digits < 0) throw new ForgeException($"A report needs digits >= 0, found {digits}.");
        this.digits = digits;
        width = Math.Max(names.Select(n => n.Length).Append("weighted avg".Length).Max(), digits);
        text.Append(new string(' ', width)).Append(' ');
        foreach (string header in Headers) text.Append(' ').Append(header.PadLeft(9));
        text.Append("\n\n");
    }

    public void Row(string name, ClassScores scores)
    {
        text.Append(name.PadLeft(width)).Append(' ');
        foreach (double value in (double[])[scores.Precision, scores.Recall, scores.FScore]) text.Append(' ').Append(Fixed(value, digits).PadLeft(9));
        text.Append(' ').Append(scores.Support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }

    /// <summary>scikit-learn's accuracy line: blank precision and recall columns.</summary>
    public void AccuracyRow(double accuracy, int support)
    {
        text.Append("accuracy".PadLeft(width)).Append(' ').Append(' ', 20);
        text.Append(' ').Append(Fixed(accuracy, digits).PadLeft(9));
        text.Append(' ').Append(support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }

    public void Blank() => text.Append('\n');

    public override string ToString() => text.ToString();

    /// <summary>
    /// <paramref name="value"/> with <paramref name="digits"/> decimals as Python's <c>'{:.Nf}'</c> writes it: the exact binary
    /// value rounded half to even (so 0.125 is "0.12", where .NET's "F2" gives "0.13").
    /// </summary>
    internal static string Fixed(double value, int digits)
    {
        if (!double.IsFinite(value)) return value.ToString(CultureInfo.InvariantCulture);
        long bits = BitConverter.DoubleToInt64Bits(value);
        bool negative = bits < 0;
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xF_FFFF_FFFF_FFFF;
        if (exponent == 0) exponent = 1;
        else mantissa |= 1L << 52;
        exponent -= 1075;
        BigInteger numerator = mantissa * BigInteger.Pow(10, digits);
        BigInteger denominator = BigInteger.One;
        if (exponent >= 0) numerator <<= exponent;
        else denominator <<= -exponent;
        BigInteger quotient = BigInteger.DivRem(numerator, denominator, out BigInteger remainder);
        int half = (remainder * 2).CompareTo(denominator);
        if (half > 0 || (half == 0 && !quotient.IsEven)) quotient++;
        string number = quotient.ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0');
        if (digits > 0) number = number[..^digits] + "." + number[^digits..];
        return negative ? "-" + number : number;
    }
}
