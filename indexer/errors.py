"""Typed errors of kbqa; the CLI and the HTTP app translate them at the edge."""


class KbqaError(Exception):
    """Base of every error kbqa raises on purpose."""


class ModelError(KbqaError):
    """The embedding model cannot be loaded or is not the expected one."""


class CorpusError(KbqaError):
    """The corpus folder is missing, empty or unreadable."""


class IndexLoadError(KbqaError):
    """The index directory is missing, corrupt, or built for another format."""


class IndexMismatch(KbqaError):
    """The index was built with another model or dimension than the one loaded."""


class ConversionError(KbqaError):
    """A corpus file cannot be turned into text: `reason` is what `kbqa index` reports for it
    ("no text layer", "unreadable: ...")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
