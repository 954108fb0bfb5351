#!/usr/bin/env bash
# Checks that Hugging Face transformers loads what Forge writes (run where transformers is installed, e.g. a GPU machine):
# a tiny BERT pretrained by `forge train bert` and fine-tuned by `forge finetune classify`, both saved as Hugging Face
# directories, must load without missing or unexpected weights and give Forge's fill-mask and classify outputs.
#   bash tools/reference/check_bert_export.sh [FORGE]   # FORGE: the command that runs Forge (default ./forge)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
forge="${1:-./forge}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import csv, random, sys
random.seed(1)
words = "the a movie film was great bad good fun boring plot actor story long short i liked hated it very not".split()
with open(f"{sys.argv[1]}/cls.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["text", "label"])
    for _ in range(300):
        t = " ".join(random.choice(words) for _ in range(8))
        w.writerow([t, "pos" if "great" in t or "good" in t else "neg"])
with open(f"{sys.argv[1]}/text.txt", "w") as f:
    f.write(" ".join(random.choice(words) for _ in range(20000)))
PY
cat > "$dir/tiny.json" <<'JSON'
{"model_type": "bert", "vocab_size": 397, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64, "type_vocab_size": 2}
JSON
$forge train bert --config "$dir/tiny.json" --tokenizer tests/fixtures/bert/hf/small-vocab --data "$dir/text.txt" --steps 30 --batch 8 --seq 64 \
    --out "$dir/mlm" --eval-every 0 --save-every 0 >/dev/null
$forge finetune classify --model "$dir/mlm/final" --data "$dir/cls.csv" --out "$dir/cls" --epochs 2 --lr 1e-3 --max-length 32 >/dev/null
$forge fill-mask --model "$dir/mlm/final" --text "the movie was [MASK] ." --json >"$dir/forge_fill.json"
$forge classify --model "$dir/cls/final" --text "the movie was great fun" --json >"$dir/forge_cls.json"
$forge tokenize --tokenizer "$dir/cls/final" --text "The Movie was GREAT fun, wasn't it?" --json >"$dir/forge_tok.json"
python3 - "$dir" <<'PY'
import json, sys, torch
from transformers import AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoTokenizer, pipeline
d = sys.argv[1]
failures = []
for name, cls in [("mlm", AutoModelForMaskedLM), ("cls", AutoModelForSequenceClassification)]:
    model, info = cls.from_pretrained(f"{d}/{name}/final", output_loading_info=True)
    tok = AutoTokenizer.from_pretrained(f"{d}/{name}/final")
    problems = {k: v for k, v in info.items() if v}
    print(name, type(model).__name__, type(tok).__name__, problems or "all weights used")
    if problems.get("missing_keys") or problems.get("unexpected_keys"):
        failures.append(f"{name}: {problems}")
    model.eval()
    if name == "mlm":
        hf = pipeline("fill-mask", model=model, tokenizer=tok, top_k=5)("the movie was [MASK] .")
        forge = json.load(open(f"{d}/forge_fill.json"))
        ids_equal = [h["token"] for h in hf] == [f["id"] for f in forge]
        worst = max(abs(h["score"] - f["score"]) / f["score"] for h, f in zip(hf, forge))
        print("fill-mask ids equal:", ids_equal, "max relative difference:", worst)
        if not ids_equal or worst > 1e-4:
            failures.append("fill-mask differs")
    else:
        enc = tok("the movie was great fun", return_tensors="pt")
        with torch.no_grad():
            p = model(**enc).logits.softmax(-1)[0].tolist()
        forge = json.load(open(f"{d}/forge_cls.json"))
        worst = max(abs(a - b) / b for a, b in zip(p, forge["probabilities"]))
        print("classify:", p, forge, "max relative difference:", worst)
        if worst > 1e-4 or model.config.id2label[max(range(len(p)), key=p.__getitem__)] != forge["label"]:
            failures.append("classify differs")
        ids = tok("The Movie was GREAT fun, wasn't it?")["input_ids"]
        if ids != json.load(open(f"{d}/forge_tok.json")):
            failures.append(f"tokenizer differs: {ids}")
print("FAILED: " + "; ".join(failures) if failures else "OK: transformers loads Forge's directories and agrees")
sys.exit(1 if failures else 0)
PY
