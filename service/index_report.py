"""The table `kbqa index` ends with: per format, files indexed and skipped (by reason), and the
characters the cleaner removed; then each skipped file with its reason and each document's
removed characters. Pure: manifest in, lines out."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

# The reason categories of a skipped file, by how its reason starts.
CATEGORIES = ("unsupported type", "empty", "no text layer", "unreadable", "too large", "symlink")


def category(reason: str) -> str:
    return next((c for c in CATEGORIES if reason.startswith(c)), "other")


def _by_reason(document: dict[str, Any]) -> str:
    by = sorted(document.get("removed_by", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{reason} {n}" for reason, n in by)


def report_lines(manifest: dict[str, Any]) -> list[str]:
    report = manifest.get("report", {})
    documents: list[dict[str, Any]] = report.get("documents", [])
    skipped: list[dict[str, str]] = manifest.get("skipped", [])
    indexed: Counter[str] = Counter(d["format"] for d in documents)
    removed: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    for d in documents:
        removed[d["format"]] += d["removed"]
        chars[d["format"]] += d["chars"]
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for s in skipped:
        reasons[s.get("format", "other")][category(s["reason"])] += 1
    rows = [("format", "indexed", "skipped", "removed by cleaning")]
    for fmt in sorted(set(indexed) | set(reasons)):
        why = ", ".join(f"{n} {c}" for c, n in sorted(reasons[fmt].items()))
        share = f" ({removed[fmt] / chars[fmt]:.1%})" if chars[fmt] else ""
        rows.append(
            (fmt, str(indexed[fmt]), why or "0", f"{removed[fmt]} chars{share}" if fmt in indexed else "-")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "",
        *("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows),
    ]
    lines += [f"skipped {s['path']}: {s['reason']}" for s in skipped]
    lines += [
        f"cleaned {d['path']}: {d['removed']} of {d['chars']} chars removed ({_by_reason(d)})"
        for d in documents
        if d["removed"]
    ]
    if report.get("excluded"):
        lines.append(f"{report['excluded']} file(s) left out on purpose (hidden, or by --include/--exclude)")
    return lines
