using Forge.Data;
using Xunit;

namespace Forge.Tests.Data;

public sealed class LabeledBatchTests
{
    [Fact]
    public void SequenceLabelsPadIdsToTheLongestExample()
    {
        LabeledBatch batch = LabeledBatch.Collate([new([101, 7, 8, 102], [0, 0, 0, 0], [1]), new([101, 9, 102], [0, 0, 0], [0])], padTokenId: 0);
        Assert.Equal([2, 4], batch.InputIds.Shape);
        Assert.Equal(new long[] { 101, 7, 8, 102, 101, 9, 102, 0 }, batch.InputIds.ToArray<long>());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 0 }, batch.AttentionMask.ToArray<long>());
        Assert.Equal(new long[] { 1, 0 }, batch.Labels.ToArray<long>());
        Assert.Equal(7, batch.TokenCount);
    }

    [Fact]
    public void TokenLabelsArePaddedWithIgnoreIndex()
    {
        LabeledBatch batch = LabeledBatch.Collate([new([101, 7, 102], [0, 0, 0], [-100, 3, -100]), new([101, 102], [0, 0], [-100, -100])], padTokenId: 0);
        Assert.Equal([2, 3], batch.Labels.Shape);
        Assert.Equal(new long[] { -100, 3, -100, -100, -100, -100 }, batch.Labels.ToArray<long>());
    }

    [Fact]
    public void LabelsGoToTheFirstPieceOfEachWord()
    {
        int?[] wordIds = [null, 0, 0, 1, 2, 2, 2, null];
        Assert.Equal([-100, 5, -100, 0, 3, -100, -100, -100], LabeledBatch.AlignLabels(wordIds, [5, 0, 3]));
    }

    [Fact]
    public void MismatchedLabelsAreClearErrors()
    {
        Assert.Throws<ForgeException>(() => LabeledBatch.Collate([new([101, 7, 102], [0, 0], [1])], 0));
        Assert.Throws<ForgeException>(() => LabeledBatch.AlignLabels([null, 0, 3, null], [1, 2]));
    }
}
