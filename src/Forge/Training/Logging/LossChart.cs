using System.Globalization;
using System.Text.Json.Nodes;
using Forge.Serialization;

namespace Forge.Training.Logging;

/// <summary>
/// Draws loss curves (training in blue, validation in orange) against the step into a PNG file, with a grid, axis labels and a
/// legend, so a run can be checked without TensorBoard. Non-finite losses are left out.
/// </summary>
public static class LossChart
{
    private static readonly Rgb Background = new(255, 255, 255);
    private static readonly Rgb Grid = new(228, 228, 228);
    private static readonly Rgb Axis = new(90, 90, 90);
    private static readonly Rgb Ink = new(40, 40, 40);

    /// <summary>The color of the training curve.</summary>
    internal static readonly Rgb TrainingColor = new(31, 119, 180);

    /// <summary>The color of the validation curve.</summary>
    internal static readonly Rgb ValidationColor = new(255, 127, 14);

    private const int Scale = 2;
    private const int Left = 90, Right = 24, Top = 44, Bottom = 56;

    /// <summary>Writes the chart of <paramref name="training"/> (and <paramref name="validation"/>) losses to <paramref name="path"/> (atomically).</summary>
    public static void Write(
        string path,
        IEnumerable<(long Step, double Loss)> training,
        IEnumerable<(long Step, double Loss)>? validation = null,
        int width = 960,
        int height = 540)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] png = Render(training, validation ?? [], width, height);
        AtomicFile.Write(path, s => s.Write(png));
    }

    /// <summary>Writes the chart of the <c>loss</c> and <c>val_loss</c> values of a <see cref="MetricsLog"/> file.</summary>
    public static void WriteFromMetrics(string metricsPath, string path)
    {
        var records = MetricsLog.Read(metricsPath);
        Write(path, Series(records, "loss"), Series(records, "val_loss"));
    }

    /// <summary>The PNG bytes of the chart.</summary>
    internal static byte[] Render(IEnumerable<(long Step, double Loss)> training, IEnumerable<(long Step, double Loss)> validation, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(validation);
        if (width < 320 || height < 200) throw new ForgeException($"The loss chart must be at least 320x200 pixels, found {width}x{height}.");
        (long Step, double Loss)[] train = Finite(training), valid = Finite(validation);
        var canvas = new Canvas(width, height, Background);
        var plot = (X0: Left, Y0: Top, X1: width - Right - 1, Y1: height - Bottom - 1);

        var all = train.Concat(valid).ToArray();
        double xMin = all.Length > 0 ? all.Min(p => p.Step) : 0, xMax = all.Length > 0 ? all.Max(p => p.Step) : 1;
        double yMin = all.Length > 0 ? all.Min(p => p.Loss) : 0, yMax = all.Length > 0 ? all.Max(p => p.Loss) : 1;
        if (xMax <= xMin) (xMin, xMax) = (xMin - 1, xMax + 1);
        double pad = yMax > yMin ? (yMax - yMin) * 0.05 : Math.Max(Math.Abs(yMax) * 0.1, 0.5);
        (yMin, yMax) = (yMin - pad, yMax + pad);
        int X(double step) => plot.X0 + (int)Math.Round((step - xMin) / (xMax - xMin) * (plot.X1 - plot.X0));
        int Y(double loss) => plot.Y1 - (int)Math.Round((loss - yMin) / (yMax - yMin) * (plot.Y1 - plot.Y0));

        foreach (var (tick, label) in Ticks(yMin, yMax, integers: false))
        {
            int y = Y(tick);
            canvas.Line(plot.X0, y, plot.X1, y, Grid, 1);
            canvas.Text(plot.X0 - 8 - Canvas.TextWidth(label, Scale), y - 7, label, Ink, Scale);
        }
        foreach (var (tick, label) in Ticks(xMin, xMax, integers: true))
        {
            int x = X(tick);
            canvas.Line(x, plot.Y0, x, plot.Y1, Grid, 1);
            int labelWidth = Canvas.TextWidth(label, Scale);
            canvas.Text(Math.Min(x - labelWidth / 2, width - labelWidth - 2), plot.Y1 + 10, label, Ink, Scale);
        }
        canvas.Line(plot.X0, plot.Y0, plot.X0, plot.Y1, Axis, 1);
        canvas.Line(plot.X0, plot.Y1, plot.X1, plot.Y1, Axis, 1);
        canvas.Text(plot.X0, 12, "loss", Ink, Scale);
        canvas.Text((plot.X0 + plot.X1 - Canvas.TextWidth("step", Scale)) / 2, height - 22, "step", Ink, Scale);

        Polyline(canvas, train, X, Y, TrainingColor);
        Polyline(canvas, valid, X, Y, ValidationColor);

        int legendX = plot.X1 - 10;
        foreach (var (name, color, points) in new[] { ("val", ValidationColor, valid), ("train", TrainingColor, train) })
        {
            if (points.Length == 0) continue;
            legendX -= Canvas.TextWidth(name, Scale);
            canvas.Text(legendX, 12, name, Ink, Scale);
            legendX -= 22;
            canvas.Fill(legendX, 14, legendX + 13, 27, color);
            legendX -= 16;
        }
        return PngImage.Encode(canvas.Pixels, width, height);
    }

    private static (long Step, double Loss)[] Finite(IEnumerable<(long Step, double Loss)> points) =>
        [.. points.Where(p => double.IsFinite(p.Loss)).OrderBy(p => p.Step)];

    private static List<(long Step, double Loss)> Series(IEnumerable<JsonObject> records, string name)
    {
        var points = new List<(long, double)>();
        foreach (JsonObject record in records)
        {
            if (record[name] is JsonValue value && value.TryGetValue(out double loss)) points.Add((record["step"]!.GetValue<long>(), loss));
        }
        return points;
    }

    private static void Polyline(Canvas canvas, (long Step, double Loss)[] points, Func<double, int> x, Func<double, int> y, Rgb color)
    {
        for (int i = 0; i < points.Length; i++)
        {
            int x1 = x(points[i].Step), y1 = y(points[i].Loss);
            if (i == 0) canvas.Fill(x1 - 1, y1 - 1, x1 + 1, y1 + 1, color);
            else canvas.Line(x(points[i - 1].Step), y(points[i - 1].Loss), x1, y1, color, 2);
        }
    }

    /// <summary>About five round tick values (1, 2 or 5 times a power of ten apart) inside [min, max], with labels.</summary>
    private static IEnumerable<(double Value, string Label)> Ticks(double min, double max, bool integers)
    {
        double raw = (max - min) / 5;
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = raw / power < 1.5 ? power : raw / power < 3.5 ? 2 * power : raw / power < 7.5 ? 5 * power : 10 * power;
        if (integers) step = Math.Max(1, Math.Round(step));
        int decimals = integers ? 0 : Math.Max(0, -(int)Math.Floor(Math.Log10(step)));
        for (double tick = Math.Ceiling(min / step) * step; tick <= max + step * 1e-9; tick += step)
        {
            yield return (tick, tick.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        }
    }

    internal readonly record struct Rgb(byte R, byte G, byte B);

    /// <summary>An RGB raster with the few drawing operations the chart needs.</summary>
    private sealed class Canvas
    {
        private readonly int width, height;

        public Canvas(int width, int height, Rgb background)
        {
            this.width = width;
            this.height = height;
            Pixels = new byte[width * height * 3];
            Fill(0, 0, width - 1, height - 1, background);
        }

        public byte[] Pixels { get; }

        public void Fill(int x0, int y0, int x1, int y1, Rgb color)
        {
            for (int y = Math.Max(y0, 0); y <= Math.Min(y1, height - 1); y++)
            {
                for (int x = Math.Max(x0, 0); x <= Math.Min(x1, width - 1); x++)
                {
                    int i = (y * width + x) * 3;
                    (Pixels[i], Pixels[i + 1], Pixels[i + 2]) = (color.R, color.G, color.B);
                }
            }
        }

        /// <summary>A Bresenham line drawn with a square pen of <paramref name="thickness"/> pixels.</summary>
        public void Line(int x0, int y0, int x1, int y1, Rgb color, int thickness)
        {
            int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
            int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
            int error = dx + dy;
            while (true)
            {
                Fill(x0, y0, x0 + thickness - 1, y0 + thickness - 1, color);
                if (x0 == x1 && y0 == y1) return;
                int twice = 2 * error;
                if (twice >= dy)
                {
                    error += dy;
                    x0 += sx;
                }
                if (twice <= dx)
                {
                    error += dx;
                    y0 += sy;
                }
            }
        }

        public static int TextWidth(string text, int scale) => text.Length * 6 * scale - scale;

        public void Text(int x, int y, string text, Rgb color, int scale)
        {
            foreach (char c in text)
            {
                string[] rows = Font.Glyph(c);
                for (int row = 0; row < rows.Length; row++)
                {
                    for (int column = 0; column < 5; column++)
                    {
                        if (rows[row][column] == '#') Fill(x + column * scale, y + row * scale, x + (column + 1) * scale - 1, y + (row + 1) * scale - 1, color);
                    }
                }
                x += 6 * scale;
            }
        }
    }

    /// <summary>A 5x7 pixel font with the characters of the labels.</summary>
    private static class Font
    {
        private static readonly Dictionary<char, string[]> Glyphs = new()
        {
            ['0'] = [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
            ['1'] = ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
            ['2'] = [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
            ['3'] = ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
            ['4'] = ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
            ['5'] = ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
            ['6'] = ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
            ['7'] = ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
            ['8'] = [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
            ['9'] = [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
            ['.'] = [".....", ".....", ".....", ".....", ".....", ".##..", ".##.."],
            ['-'] = [".....", ".....", ".....", ".###.", ".....", ".....", "....."],
            ['a'] = [".....", ".....", ".###.", "....#", ".####", "#...#", ".####"],
            ['e'] = [".....", ".....", ".###.", "#...#", "#####", "#....", ".###."],
            ['i'] = ["..#..", ".....", ".##..", "..#..", "..#..", "..#..", ".###."],
            ['l'] = [".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
            ['n'] = [".....", ".....", "#.##.", "##..#", "#...#", "#...#", "#...#"],
            ['o'] = [".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."],
            ['p'] = [".....", ".....", "####.", "#...#", "####.", "#....", "#...."],
            ['r'] = [".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."],
            ['s'] = [".....", ".....", ".####", "#....", ".###.", "....#", "####."],
            ['t'] = [".#...", ".#...", "###..", ".#...", ".#...", ".#..#", "..##."],
            ['v'] = [".....", ".....", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
        };

        private static readonly string[] Blank = [".....", ".....", ".....", ".....", ".....", ".....", "....."];

        public static string[] Glyph(char c) => Glyphs.GetValueOrDefault(c, Blank);
    }
}
