"""BERT and DistilBERT fixtures made with Hugging Face's own code (transformers + torch).

Run where `transformers` is installed (it is not a Debian package):

    python3 tools/reference/gen_bert_hf.py OUT_DIR

It reads the bert-base-uncased vocabulary from tests/fixtures/bert/vocab.txt and writes into OUT_DIR:
- tokenizer.json: BertTokenizer's (and BertTokenizerFast's) output on awkward texts, single and pair, with every
  truncation strategy, padding and offsets;
- small-vocab/: a tokenizer directory saved by BertTokenizerFast.save_pretrained (vocab.txt, tokenizer.json, config);
- models/<name>/: small randomly initialized BERT and DistilBERT models saved by save_pretrained, each with the
  tokenizer files and an expected.json of PyTorch outputs on a few texts.
Copy OUT_DIR to tests/fixtures/bert/hf/.
"""

import json
import os
import sys
import traceback

import torch
import transformers
from transformers import (BertConfig, BertForMaskedLM, BertForPreTraining, BertForSequenceClassification,
                          BertForTokenClassification, BertModel, BertTokenizerFast, DistilBertConfig,
                          DistilBertForMaskedLM, DistilBertForSequenceClassification,
                          DistilBertForTokenClassification)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VOCAB = os.path.join(ROOT, "tests", "fixtures", "bert", "vocab.txt")
OUT = sys.argv[1]
errors = []


def slow_tokenizer_class():
    try:
        from transformers import BertTokenizer
        return BertTokenizer
    except ImportError:
        return None


TEXTS = [
    "i like strawberries",
    "Hello, World! How are you doing today?",
    "Héllo wörld, naïve café résumé — Ångström façade",
    "北京欢迎你 and 東京タワー",
    "日本語のテキストです。",
    "한국어 텍스트",
    "control\x00chars\ufffd here\x07 and\ttab\nnewline\r\nend",
    "a" * 99 + " " + "b" * 100 + " " + "c" * 101,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "[CLS] the [MASK] sat on the [SEP] mat [PAD] [UNK]",
    "[mask] lowercase special [Mask]",
    "the [MASK]. [MASK]! x[MASK]y",
    "don't stop U.S.A. $100.00 e-mail a~b^c`d|e{f}g",
    "¿Qué? «quotes» “smart quotes” ‘single’ … – —",
    "I ❤️ 🤗 emojis 😀👍🏽",
    "x² + y² = z² ½ ⅓ ﬁ ligature Ⅻ",
    "ＡＢＣ full-width １２３",
    "e\u0301 combining n\u0303 and \u00a0nbsp zero\u200bwidth \u3000ideographic",
    "Привет мир! Καλημέρα κόσμε. مرحبا بالعالم",
    "1,234,567.89 and 3.14159 or 10^9",
    "##hash tags #ai @user http://example.com/path?q=1&r=2",
    "",
    "   \t\n  ",
    "Mixed CASE WoRdS and ÉCOLE",
    "unaffable unbelievably tokenization",
    "the quick brown fox jumps over the lazy dog " * 3,
    "\u2028line separator\u2029paragraph \u0085next-line \u000bvt \u000cff",
    "soft\u00adhyphen and\ufeffbom and \U0001F600\U0001F600",
    "𠀀 CJK extension B 𪜀 and 〇 々",
]

PAIRS = [
    ("i like strawberries", "they are red"),
    ("The quick brown fox jumps over the lazy dog", "A very long second sentence that keeps going on and on"),
    ("short", "a much much much longer second text with many many words in it"),
    ("a much much much longer first text with many many words in it", "short"),
]


def encodings(tok, name):
    result = {"class": type(tok).__name__, "single": [], "pairs": []}
    for text in TEXTS:
        entry = {"text": text}
        try:
            entry["tokens"] = tok.tokenize(text)
            enc = tok(text)
            entry["input_ids"] = enc["input_ids"]
            entry["token_type_ids"] = enc["token_type_ids"]
            entry["attention_mask"] = enc["attention_mask"]
            entry["decoded"] = tok.decode(enc["input_ids"])
            entry["decoded_skip_special"] = tok.decode(enc["input_ids"], skip_special_tokens=True)
            if getattr(tok, "is_fast", False):
                entry["offsets"] = [list(o) for o in tok(text, return_offsets_mapping=True)["offset_mapping"]]
        except Exception as e:  # recorded, not fatal
            entry["error"] = repr(e)
            errors.append(f"{name} single {text!r}: {e!r}")
        result["single"].append(entry)
    for a, b in PAIRS:
        entry = {"text": a, "text_pair": b, "plain": tok(a, b)["input_ids"], "cases": []}
        for strategy in ["longest_first", "only_first", "only_second"]:
            for max_length in [8, 12, 16, 40]:
                case = {"truncation": strategy, "max_length": max_length, "padding": "max_length"}
                try:
                    enc = tok(a, b, truncation=strategy, max_length=max_length, padding="max_length")
                    case.update(input_ids=enc["input_ids"], token_type_ids=enc["token_type_ids"],
                                attention_mask=enc["attention_mask"])
                except Exception as e:
                    case["error"] = repr(e)
                entry["cases"].append(case)
        result["pairs"].append(entry)
    batch = tok([t for t in TEXTS[:4]], padding=True, truncation=True, max_length=12)
    result["batch"] = {"texts": TEXTS[:4], "max_length": 12, "input_ids": batch["input_ids"],
                       "attention_mask": batch["attention_mask"], "token_type_ids": batch["token_type_ids"]}
    return result


def tokenizer_fixtures():
    out = {"transformers": transformers.__version__, "torch": torch.__version__, "variants": []}
    slow = slow_tokenizer_class()
    for lower in [True, False]:
        for cls in [slow, BertTokenizerFast]:
            if cls is None:
                continue
            try:
                tok = cls(VOCAB, do_lower_case=lower)
                variant = encodings(tok, f"{cls.__name__} lower={lower}")
                variant["do_lower_case"] = lower
                out["variants"].append(variant)
            except Exception as e:
                errors.append(f"{cls} lower={lower}: {e!r}")
                traceback.print_exc()
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)


MODEL_TEXTS = ["the capital of france is [MASK] .", "i [MASK] to the [MASK] yesterday and it was great !",
               "hello world", "this movie was not good at all"]
PAIR = ("the man went to the store .", "he bought a gallon of milk .")


def small_vocab():
    full = [line.rstrip("\n") for line in open(VOCAB, encoding="utf-8")]
    tok = BertTokenizerFast(VOCAB)
    keep = ["[PAD]"] + [f"[unused{i}]" for i in range(5)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = set()
    for text in MODEL_TEXTS + list(PAIR) + ["paris london berlin went go came ran store shop milk water"]:
        words.update(tok.tokenize(text))
    chars = [c for c in "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-()"]
    common = full[1996:2296]
    for t in chars + ["##" + c for c in chars] + common + sorted(words):
        if t not in keep:
            keep.append(t)
    path = os.path.join(OUT, "small-vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(keep) + "\n")
    return path, len(keep)


def perturb(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.02)
    model.eval()
    return model


def save(model, tok, name, expected):
    d = os.path.join(OUT, "models", name)
    model.save_pretrained(d)
    tok.save_pretrained(d)
    with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f)
    print("saved", name, sorted(os.listdir(d)))


def mlm_expected(model, tok):
    items = []
    for text in MODEL_TEXTS:
        enc = tok(text, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits[0] if not isinstance(model, BertForPreTraining) else \
                model(**enc).prediction_logits[0]
        ids = enc["input_ids"][0].tolist()
        masks = [i for i, t in enumerate(ids) if t == tok.mask_token_id]
        probs = logits.softmax(-1)
        entry = {"text": text, "input_ids": ids, "mask_positions": masks, "top5": [],
                 "logits_first_row": logits[0].tolist(), "logits_sum": float(logits.double().sum())}
        for m in masks:
            p, i = probs[m].topk(5)
            entry["top5"].append({"ids": i.tolist(), "probs": p.tolist(),
                                  "tokens": tok.convert_ids_to_tokens(i.tolist()),
                                  "logits": logits[m].tolist()})
        items.append(entry)
    return {"fill_mask": items}


def classify_expected(model, tok):
    items = []
    for text in MODEL_TEXTS:
        enc = tok(text, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits[0]
        items.append({"text": text, "input_ids": enc["input_ids"][0].tolist(), "logits": logits.tolist(),
                      "probabilities": logits.softmax(-1).tolist()})
    enc = tok(*PAIR, return_tensors="pt")
    with torch.no_grad():
        logits = model(**enc).logits[0]
    items.append({"text": PAIR[0], "text_pair": PAIR[1], "input_ids": enc["input_ids"][0].tolist(),
                  "token_type_ids": enc["token_type_ids"][0].tolist() if "token_type_ids" in enc else None,
                  "logits": logits.tolist(), "probabilities": logits.softmax(-1).tolist()})
    return {"classify": items}


def token_expected(model, tok):
    items = []
    for text in MODEL_TEXTS:
        enc = tok(text, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits[0]
        items.append({"text": text, "input_ids": enc["input_ids"][0].tolist(), "logits": logits.tolist()})
    return {"token_logits": items}


def model_fixtures():
    vocab_path, vocab_size = small_vocab()
    tok = BertTokenizerFast(vocab_path)
    base = dict(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=64, max_position_embeddings=64, type_vocab_size=2)
    labels3 = {0: "negative", 1: "neutral", 2: "positive"}
    ner = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}

    torch.manual_seed(1)
    m = perturb(BertForMaskedLM(BertConfig(**base)), 1)
    save(m, tok, "bert-mlm", mlm_expected(m, tok))

    torch.manual_seed(2)
    m = BertForMaskedLM(BertConfig(**base)).eval()
    save(m, tok, "bert-mlm-default-init", mlm_expected(m, tok))

    torch.manual_seed(3)
    m = perturb(BertForSequenceClassification(BertConfig(**base, num_labels=3, id2label=labels3,
                                                        label2id={v: k for k, v in labels3.items()})), 3)
    save(m, tok, "bert-classify", classify_expected(m, tok))

    torch.manual_seed(4)
    m = perturb(BertForTokenClassification(BertConfig(**base, num_labels=5, id2label=ner,
                                                     label2id={v: k for k, v in ner.items()})), 4)
    save(m, tok, "bert-ner", token_expected(m, tok))

    torch.manual_seed(5)
    m = perturb(BertForPreTraining(BertConfig(**base)), 5)
    exp = mlm_expected(m, tok)
    enc = tok(*PAIR, return_tensors="pt")
    with torch.no_grad():
        out = m(**enc)
    exp["nsp"] = {"text": PAIR[0], "text_pair": PAIR[1], "input_ids": enc["input_ids"][0].tolist(),
                  "token_type_ids": enc["token_type_ids"][0].tolist(),
                  "seq_relationship_logits": out.seq_relationship_logits[0].tolist()}
    save(m, tok, "bert-pretraining", exp)

    torch.manual_seed(6)
    m = perturb(BertModel(BertConfig(**base)), 6)
    items = []
    for text in MODEL_TEXTS[:2] + [PAIR]:
        enc = tok(*text, return_tensors="pt") if isinstance(text, tuple) else tok(text, return_tensors="pt")
        with torch.no_grad():
            out = m(**enc)
        items.append({"input_ids": enc["input_ids"][0].tolist(), "token_type_ids": enc["token_type_ids"][0].tolist(),
                      "last_hidden_state": out.last_hidden_state[0].tolist(),
                      "pooler_output": out.pooler_output[0].tolist()})
    batch = tok(MODEL_TEXTS[:3], padding=True, return_tensors="pt")
    with torch.no_grad():
        out = m(**batch)
    items.append({"batch_input_ids": batch["input_ids"].tolist(), "attention_mask": batch["attention_mask"].tolist(),
                  "last_hidden_state": out.last_hidden_state.tolist(), "pooler_output": out.pooler_output.tolist()})
    save(m, tok, "bert-base-model", {"hidden": items})

    dbase = dict(vocab_size=vocab_size, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=64)
    torch.manual_seed(7)
    m = perturb(DistilBertForMaskedLM(DistilBertConfig(**dbase)), 7)
    save(m, tok, "distilbert-mlm", mlm_expected(m, tok))

    torch.manual_seed(8)
    m = perturb(DistilBertForSequenceClassification(DistilBertConfig(**dbase, num_labels=3, id2label=labels3,
                                                                    label2id={v: k for k, v in labels3.items()})), 8)
    save(m, tok, "distilbert-classify", classify_expected(m, tok))

    torch.manual_seed(9)
    m = perturb(DistilBertForTokenClassification(DistilBertConfig(**dbase, num_labels=5, id2label=ner,
                                                                 label2id={v: k for k, v in ner.items()})), 9)
    save(m, tok, "distilbert-ner", token_expected(m, tok))

    d = os.path.join(OUT, "small-vocab")
    tok.save_pretrained(d)


def main():
    os.makedirs(OUT, exist_ok=True)
    for step in [tokenizer_fixtures, model_fixtures]:
        try:
            step()
        except Exception as e:
            errors.append(f"{step.__name__}: {e!r}")
            traceback.print_exc()
    with open(os.path.join(OUT, "errors.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(errors) + "\n")
    print("transformers", transformers.__version__, "torch", torch.__version__, "errors:", len(errors))
    for e in errors[:40]:
        print(e)


if __name__ == "__main__":
    main()
