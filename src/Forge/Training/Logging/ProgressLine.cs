using System.Globalization;

namespace Forge.Training.Logging;

/// <summary>
/// Prints a training progress line to a console: rewritten in place with <c>\r</c> when the output is a terminal, one line per
/// update otherwise (a log file or pipe gets plain lines). <see cref="Format"/> builds the line.
/// </summary>
public sealed class ProgressLine
{
    private readonly TextWriter writer;
    private int shownLength;
    private bool showing;

    /// <summary>Prints to <paramref name="writer"/>, rewriting one line in place when <paramref name="rewrite"/> is true.</summary>
    public ProgressLine(TextWriter writer, bool rewrite)
    {
        ArgumentNullException.ThrowIfNull(writer);
        this.writer = writer;
        Rewrite = rewrite;
    }

    /// <summary>Whether updates rewrite one line in place.</summary>
    public bool Rewrite { get; }

    /// <summary>Prints to standard output, rewriting in place unless the output is redirected.</summary>
    public static ProgressLine ForConsole() => new(Console.Out, rewrite: !Console.IsOutputRedirected);

    /// <summary>Shows <paramref name="line"/>: in place of the previous one (padded to cover it), or as a new line.</summary>
    public void Update(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (Rewrite)
        {
            writer.Write('\r' + line.PadRight(shownLength));
            shownLength = line.Length;
            showing = true;
        }
        else
        {
            writer.WriteLine(line);
        }
        writer.Flush();
    }

    /// <summary>Ends the line being rewritten, so later output starts on a fresh line; does nothing otherwise.</summary>
    public void Complete()
    {
        if (!showing) return;
        writer.WriteLine();
        writer.Flush();
        shownLength = 0;
        showing = false;
    }

    /// <summary>
    /// One progress line, for example <c>step 120/5000 (2.4%) | loss 3.4521 | lr 3.00e-04 | 12.3k tok/s | eta 1h02m</c>.
    /// A null <paramref name="remaining"/> shows as <c>eta --</c>.
    /// </summary>
    public static string Format(long step, long totalSteps, double loss, double learningRate, double tokensPerSecond, TimeSpan? remaining)
    {
        var c = CultureInfo.InvariantCulture;
        int width = totalSteps.ToString(c).Length;
        string percent = totalSteps > 0 ? (100.0 * step / totalSteps).ToString("0.0", c) : "--";
        return $"step {step.ToString(c).PadLeft(width)}/{totalSteps.ToString(c)} ({percent}%) | loss {Number(loss, "0.0000")} | " +
            $"lr {Number(learningRate, "0.00e+00")} | {Rate(tokensPerSecond)} tok/s | eta {Duration(remaining)}";
    }

    /// <summary>The time the remaining steps take at the average pace so far, or null before the first step.</summary>
    public static TimeSpan? EstimateRemaining(long stepsDone, long stepsLeft, TimeSpan elapsed) =>
        stepsDone <= 0 || elapsed <= TimeSpan.Zero ? null : TimeSpan.FromTicks((long)Math.Min(elapsed.Ticks / (double)stepsDone * Math.Max(stepsLeft, 0), TimeSpan.MaxValue.Ticks));

    private static string Number(double value, string format) =>
        double.IsNaN(value) ? "nan" : double.IsInfinity(value) ? (value > 0 ? "inf" : "-inf") : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Rate(double perSecond) =>
        !double.IsFinite(perSecond) ? "--"
        : perSecond >= 999_950 ? Number(perSecond / 1e6, "0.00") + "M"
        : perSecond >= 999.95 ? Number(perSecond / 1e3, "0.0") + "k"
        : Number(perSecond, "0");

    private static string Duration(TimeSpan? remaining)
    {
        if (remaining is not TimeSpan t) return "--";
        var c = CultureInfo.InvariantCulture;
        long seconds = (long)Math.Ceiling(t.TotalSeconds);
        return seconds switch
        {
            < 60 => seconds.ToString(c) + "s",
            < 3600 => $"{(seconds / 60).ToString(c)}m{(seconds % 60).ToString("00", c)}s",
            < 86400 => $"{(seconds / 3600).ToString(c)}h{(seconds % 3600 / 60).ToString("00", c)}m",
            _ => $"{(seconds / 86400).ToString(c)}d{(seconds % 86400 / 3600).ToString("00", c)}h",
        };
    }
}
