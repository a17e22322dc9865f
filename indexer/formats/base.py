"""What a converter returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Converted:
    """A file's canonical text, its format, and what the file says about itself (title, owner,
    updated, url), where it says it."""

    text: str
    format: str
    meta: dict[str, str] = field(default_factory=dict)
