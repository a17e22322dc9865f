"""Ask a running kbqa service over HTTP (for `kbqa eval --url`)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from service.api.models import AskResponse


def http_asker(base_url: str, top_k: int = 5, timeout: float = 30.0) -> Callable[[str], AskResponse]:
    client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def ask(question: str) -> AskResponse:
        response = client.post("/ask", json={"question": question, "top_k": top_k})
        response.raise_for_status()
        return AskResponse.model_validate(response.json())

    return ask
