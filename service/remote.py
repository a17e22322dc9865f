"""`kbqa ask --url`: one question to a running service over HTTP, so the CLI need not load the
model (about 10 s) for it. Transport and HTTP errors become typed errors with the reason."""

from __future__ import annotations

import httpx

from indexer.errors import KbqaError
from service.api.models import AskResponse


class RemoteError(KbqaError):
    """The service could not be reached or refused the question."""


def ask_remote(base_url: str, question: str, top_k: int, timeout: float = 30.0) -> AskResponse:
    url = base_url.rstrip("/") + "/ask"
    try:
        response = httpx.post(url, json={"question": question, "top_k": top_k}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise RemoteError(f"cannot reach the service at {base_url}: {exc}") from exc
    if response.status_code != 200:
        raise RemoteError(f"the service answered {response.status_code}: {_detail(response)}")
    return AskResponse.model_validate(response.json())


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:200]
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        return str(detail[0].get("msg", detail))
    return str(detail)
