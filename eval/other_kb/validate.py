"""Validate eval/other_kb: questions.jsonl against corpus files."""

import collections
import json
import pathlib

base = pathlib.Path(__file__).resolve().parent
corpus = base / "corpus"
catalog = json.loads((corpus / "catalog.json").read_text(encoding="utf-8"))
docs = {p.name: p.read_text(encoding="utf-8") for p in corpus.iterdir() if p.name != "catalog.json"}
assert set(catalog) == set(docs), (set(catalog), set(docs))
KINDS = {
    "faq",
    "paraphrase",
    "keyword",
    "typo",
    "comparison",
    "list",
    "detail",
    "definition",
    "unanswerable",
    "offtopic",
}
KEYS = ["id", "question", "answerable", "evidence", "source", "kind"]
errs, ids = [], set()
kinds, per_src = collections.Counter(), collections.Counter()
lines = (base / "questions.jsonl").read_text(encoding="utf-8").splitlines()
for ln, line in enumerate(lines, 1):
    try:
        q = json.loads(line)
    except Exception as e:
        errs.append(f"line {ln}: parse error {e}")
        continue
    if list(q) != KEYS:
        errs.append(f"line {ln}: keys {list(q)}")
    if q["id"] in ids:
        errs.append(f"line {ln}: duplicate id {q['id']}")
    ids.add(q["id"])
    if q["kind"] not in KINDS:
        errs.append(f"{q['id']}: bad kind {q['kind']}")
    kinds[q["kind"]] += 1
    if q["answerable"]:
        if q["source"] not in docs:
            errs.append(f"{q['id']}: unknown source {q['source']}")
            continue
        per_src[q["source"]] += 1
        if not q["evidence"]:
            errs.append(f"{q['id']}: no evidence")
        for ev in q["evidence"]:
            if ev not in docs[q["source"]]:
                errs.append(f"{q['id']}: evidence not verbatim: {ev[:60]!r}")
            if len(ev.split()) > 45:
                errs.append(f"{q['id']}: evidence > 45 words")
    else:
        if q["evidence"] != [] or q["source"] is not None:
            errs.append(f"{q['id']}: unanswerable must have evidence [] and source null")
print(
    f"{len(lines)} questions, {sum(per_src.values())} answerable, "
    f"{len(lines) - sum(per_src.values())} not answerable"
)
print("per source:", dict(per_src))
print("kinds:", dict(kinds))
for name, text in docs.items():
    print(f"{name}: {len(text.split())} words")
print("ERRORS:" if errs else "OK: all checks passed", *errs, sep="\n")
raise SystemExit(1 if errs else 0)
