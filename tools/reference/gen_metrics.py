"""Reference values for Forge.Metrics.

Classification metrics come from scikit-learn (Debian's python3-sklearn): accuracy, confusion matrix,
precision/recall/F-beta with every average, and classification_report as text (digits 2 and 4) and as
output_dict, on binary, multiclass (one class never predicted), imbalanced and string labels.

Entity-level NER metrics follow seqeval's default mode, which is not installable here, so this script carries
its own straightforward implementation of the conlleval chunk rules (the rules seqeval's get_entities copies):

* a tag is split into its prefix (first character: B, I, E, S, O or '.') and its type (what follows the first
  '-', or '_' when there is none, so 'O' has type '_');
* a chunk ENDS before the current tag when the previous prefix is E or S; or the previous prefix is B or I and
  the current one is B, S or O; or the previous prefix is not O or '.' and the types differ;
* a chunk STARTS at the current tag when its prefix is B or S; or the previous prefix is E or S and the current
  one is E or I; or the previous prefix is O and the current one is E or I; or the current prefix is not O or
  '.' and the types differ (so an I- after O, or after a different type, opens a new entity);
* sentences are concatenated with an 'O' after each one, and a final 'O' closes the last chunk.

Entities are (type, start, end) with an inclusive end, as seqeval reports them. Scores count an entity as
correct when type, start and end all match; precision/recall/F1 are micro, macro, weighted or per type, with 0
where a denominator is 0; the report text is seqeval's classification_report format.
"""
import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn import metrics

from common import save

warnings.simplefilter("ignore", UndefinedMetricWarning)


def plain(values):
    return [v.item() if hasattr(v, "item") else v for v in values]


def classification_case(y_true, y_pred, labels=None, target_names=None, pos_labels=()):
    case = {"y_true": y_true, "y_pred": y_pred}
    if labels is not None:
        case["labels"] = labels
    if target_names is not None:
        case["target_names"] = target_names
    case["accuracy"] = metrics.accuracy_score(y_true, y_pred)
    case["sorted_labels"] = plain(np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)])))
    case["confusion_matrix"] = metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist()
    for beta in (1.0, 0.5, 2.0):
        key = f"beta_{beta}"
        entry = {}
        p, r, f, s = metrics.precision_recall_fscore_support(y_true, y_pred, beta=beta, labels=labels, average=None)
        entry["none"] = {"precision": p.tolist(), "recall": r.tolist(), "fscore": f.tolist(), "support": s.tolist()}
        for average in ("micro", "macro", "weighted"):
            p, r, f, _ = metrics.precision_recall_fscore_support(y_true, y_pred, beta=beta, labels=labels, average=average)
            entry[average] = {"precision": float(p), "recall": float(r), "fscore": float(f)}
        for pos in pos_labels:
            p, r, f, _ = metrics.precision_recall_fscore_support(y_true, y_pred, beta=beta, average="binary", pos_label=pos)
            entry[f"binary_{pos}"] = {"pos_label": pos, "precision": float(p), "recall": float(r), "fscore": float(f)}
        case[key] = entry
    for digits in (2, 4):
        case[f"report_{digits}"] = metrics.classification_report(
            y_true, y_pred, labels=labels, target_names=target_names, digits=digits)
    case["report_dict"] = metrics.classification_report(
        y_true, y_pred, labels=labels, target_names=target_names, output_dict=True)
    return case


def classification_cases():
    rng = np.random.default_rng(7)
    binary_true = rng.integers(0, 2, 40).tolist()
    binary_pred = [t if rng.random() < 0.7 else 1 - t for t in binary_true]

    # Class 3 occurs in y_true but is never predicted; class 4 is predicted but never true.
    multi_true = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 0, 1, 1, 2, 3, 0, 2, 1, 0]
    multi_pred = [0, 2, 2, 0, 0, 1, 1, 2, 0, 1, 2, 1, 1, 4, 2, 1, 0, 2, 0, 0]

    imbalanced_true = [0] * 45 + [1] * 4 + [2] * 1
    imbalanced_pred = [0] * 42 + [1] * 3 + [1, 0, 0, 1] + [0]

    animals = ["cat", "dog", "bird", "Zebra", "ant"]
    string_true = [animals[i] for i in rng.integers(0, 5, 30)]
    string_pred = [t if rng.random() < 0.6 else animals[i] for t, i in zip(string_true, rng.integers(0, 5, 30))]

    tie_true = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    tie_pred = [0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]

    return {
        "binary": classification_case(binary_true, binary_pred, pos_labels=(1, 0)),
        "binary_names": classification_case(binary_true, binary_pred, target_names=["negative", "positive"], pos_labels=(1,)),
        "multiclass_unpredicted": classification_case(multi_true, multi_pred),
        "multiclass_labels_subset": classification_case(multi_true, multi_pred, labels=[2, 0, 1]),
        "multiclass_labels_reordered": classification_case(multi_true, multi_pred, labels=[4, 3, 2, 1, 0]),
        "imbalanced": classification_case(imbalanced_true, imbalanced_pred,
                                          target_names=["common", "rare", "very rare class name"]),
        "strings": classification_case(string_true, string_pred),
        "binary_strings": classification_case(["spam", "ham", "ham", "spam", "ham"], ["spam", "spam", "ham", "ham", "ham"],
                                              pos_labels=("spam", "ham")),
        "halves": classification_case(tie_true, tie_pred, pos_labels=(1,)),
    }


def split_tag(tag):
    prefix = tag[0]
    rest = tag[1:]
    kind = rest.split("-", 1)[-1] if rest else ""
    return prefix, (kind or "_")


def chunk_ends(prev_prefix, prefix, prev_type, kind):
    if prev_prefix in ("E", "S"):
        return True
    if prev_prefix in ("B", "I") and prefix in ("B", "S", "O"):
        return True
    return prev_prefix not in ("O", ".") and prev_type != kind


def chunk_starts(prev_prefix, prefix, prev_type, kind):
    if prefix in ("B", "S"):
        return True
    if prev_prefix in ("E", "S", "O") and prefix in ("E", "I"):
        return True
    return prefix not in ("O", ".") and prev_type != kind


def entities(sentences):
    tags = []
    for sentence in sentences:
        tags.extend(sentence)
        tags.append("O")
    found = []
    prev_prefix, prev_type, begin = "O", "", 0
    for i, tag in enumerate(tags + ["O"]):
        prefix, kind = split_tag(tag)
        if chunk_ends(prev_prefix, prefix, prev_type, kind):
            found.append((prev_type, begin, i - 1))
        if chunk_starts(prev_prefix, prefix, prev_type, kind):
            begin = i
        prev_prefix, prev_type = prefix, kind
    return found


def divide(a, b):
    return a / b if b else 0.0


def fscore(p, r, beta=1.0):
    b2 = beta * beta
    return divide((1 + b2) * p * r, b2 * p + r)


def entity_scores(y_true, y_pred):
    true = set(entities(y_true))
    pred = set(entities(y_pred))
    types = sorted({t for t, _, _ in true} | {t for t, _, _ in pred})
    per_type = {}
    for t in types:
        ts = {e for e in true if e[0] == t}
        ps = {e for e in pred if e[0] == t}
        tp = len(ts & ps)
        p, r = divide(tp, len(ps)), divide(tp, len(ts))
        per_type[t] = {"precision": p, "recall": r, "f1": fscore(p, r), "support": len(ts)}
    tp = len(true & pred)
    p, r = divide(tp, len(pred)), divide(tp, len(true))
    micro = {"precision": p, "recall": r, "f1": fscore(p, r), "support": len(true)}
    macro = {k: (sum(v[k] for v in per_type.values()) / len(types) if types else 0.0) for k in ("precision", "recall", "f1")}
    macro["support"] = len(true)
    total = sum(v["support"] for v in per_type.values())
    weighted = {k: divide(sum(v[k] * v["support"] for v in per_type.values()), total) for k in ("precision", "recall", "f1")}
    weighted["support"] = len(true)
    return types, per_type, micro, macro, weighted


def entity_report(y_true, y_pred, digits):
    types, per_type, micro, macro, weighted = entity_scores(y_true, y_pred)
    width = max([len(t) for t in types] + [len("weighted avg"), digits])
    row = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}"
    lines = [("{:>{width}s} " + " {:>9}" * 4).format("", "precision", "recall", "f1-score", "support", width=width), ""]
    for t in types:
        s = per_type[t]
        lines.append(row.format(t, s["precision"], s["recall"], s["f1"], s["support"], width=width, digits=digits))
    lines.append("")
    for name, s in (("micro avg", micro), ("macro avg", macro), ("weighted avg", weighted)):
        lines.append(row.format(name, s["precision"], s["recall"], s["f1"], s["support"], width=width, digits=digits))
    lines.append("")
    return lines[0] + "\n" + "\n".join(lines[1:])


def entity_case(y_true, y_pred):
    assert [len(s) for s in y_true] == [len(s) for s in y_pred]
    types, per_type, micro, macro, weighted = entity_scores(y_true, y_pred)
    return {
        "y_true": y_true,
        "y_pred": y_pred,
        "true_entities": [list(e) for e in entities(y_true)],
        "pred_entities": [list(e) for e in entities(y_pred)],
        "types": types,
        "per_type": per_type,
        "micro": micro,
        "macro": macro,
        "weighted": weighted,
        "report_2": entity_report(y_true, y_pred, 2),
        "report_4": entity_report(y_true, y_pred, 4),
    }


def entity_cases():
    return {
        "seqeval_readme": entity_case(
            [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]],
            [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]),
        "loose_inside_tags": entity_case(
            [["I-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "I-ORG"], ["B-LOC", "B-LOC", "I-LOC"]],
            [["B-PER", "I-PER", "O", "B-LOC", "I-ORG", "O", "I-ORG"], ["B-LOC", "I-LOC", "I-LOC"]]),
        "type_changes_and_sentence_ends": entity_case(
            [["B-PER", "I-LOC", "I-LOC", "O"], ["I-MISC"], ["B-ORG", "I-ORG"], ["O", "O"]],
            [["B-PER", "I-PER", "I-LOC", "O"], ["B-MISC"], ["B-ORG", "O"], ["O", "B-PER"]]),
        "long_type_names": entity_case(
            [["B-ORGANISATION", "I-ORGANISATION", "O", "B-X"], ["B-X", "O"]],
            [["B-ORGANISATION", "O", "O", "B-X"], ["B-X", "I-X"]]),
        "no_predictions": entity_case(
            [["B-PER", "O"], ["O", "B-LOC"]],
            [["O", "O"], ["O", "O"]]),
    }


if __name__ == "__main__":
    save("metrics", {"classification": classification_cases(), "entities": entity_cases()})
