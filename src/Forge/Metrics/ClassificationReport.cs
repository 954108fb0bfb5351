namespace Forge.Metrics;

/// <summary>
/// The structured form of scikit-learn's classification report (its <c>output_dict=True</c>): per-class scores, then accuracy or
/// the micro average, and the macro and weighted averages. <see cref="ToText"/> writes scikit-learn's text.
/// </summary>
public sealed class ClassificationReport
{
    internal ClassificationReport(IReadOnlyList<string> names, IReadOnlyList<ClassScores> classes, bool microIsAccuracy, ClassScores micro, ClassScores macro, ClassScores weighted)
    {
        Names = names;
        Classes = classes;
        Accuracy = microIsAccuracy ? micro.FScore : null;
        MicroAverage = microIsAccuracy ? null : micro;
        MacroAverage = macro;
        WeightedAverage = weighted;
    }

    /// <summary>The row names: the target names, or the labels as text.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The scores of each class, in the order of <see cref="Names"/>.</summary>
    public IReadOnlyList<ClassScores> Classes { get; }

    /// <summary>The accuracy, present when the report covers every label (then the micro average equals it).</summary>
    public double? Accuracy { get; }

    /// <summary>The micro average, present when the report covers only some of the labels.</summary>
    public ClassScores? MicroAverage { get; }

    /// <summary>The unweighted mean of the class scores.</summary>
    public ClassScores MacroAverage { get; }

    /// <summary>The mean of the class scores weighted by support.</summary>
    public ClassScores WeightedAverage { get; }

    /// <summary>The report as scikit-learn's <c>classification_report(digits=...)</c> writes it, character for character.</summary>
    public string ToText(int digits = 2)
    {
        var text = new ReportText(Names, digits);
        for (int i = 0; i < Names.Count; i++) text.Row(Names[i], Classes[i]);
        text.Blank();
        if (Accuracy is double accuracy) text.AccuracyRow(accuracy, MacroAverage.Support);
        else text.Row("micro avg", MicroAverage!);
        text.Row("macro avg", MacroAverage);
        text.Row("weighted avg", WeightedAverage);
        return text.ToString();
    }

    /// <inheritdoc cref="ToText"/>
    public override string ToString() => ToText();
}
