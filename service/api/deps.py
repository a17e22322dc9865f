"""The state the lifespan loads, and typed FastAPI dependencies on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from service.config import Settings
from service.qa.pipeline import QAPipeline


@dataclass
class AppState:
    """What the lifespan loaded: the pipeline, or why there is none (the service stays up so
    /healthz and /readyz can say what is wrong; every query answers 503)."""

    settings: Settings
    pipeline: QAPipeline | None = None
    load_error: str | None = None

    def readiness(self) -> str | None:
        """None when queries can be answered, else why not."""
        if self.pipeline is not None:
            return None
        return self.load_error or "the index is not loaded yet"


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.kbqa
    return state


def get_settings(state: Annotated[AppState, Depends(get_state)]) -> Settings:
    return state.settings


def get_pipeline(state: Annotated[AppState, Depends(get_state)]) -> QAPipeline:
    if state.pipeline is None:
        raise HTTPException(status_code=503, detail=f"service not ready: {state.readiness()}")
    return state.pipeline


StateDep = Annotated[AppState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PipelineDep = Annotated[QAPipeline, Depends(get_pipeline)]
