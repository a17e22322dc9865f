"""FastAPI dependencies: typed access to the state the lifespan loaded."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from service.config import Settings
from service.engine import KnowledgeBase


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_kb(request: Request) -> KnowledgeBase:
    kb: KnowledgeBase | None = getattr(request.app.state, "kb", None)
    if kb is None:
        error = getattr(request.app.state, "load_error", None) or "the index is not loaded yet"
        raise HTTPException(status_code=503, detail=f"service not ready: {error}")
    return kb


SettingsDep = Annotated[Settings, Depends(get_settings)]
KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(get_kb)]
