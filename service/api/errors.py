"""Domain errors become HTTP errors here, in one JSON shape: `{"detail": ...}`. Validation
errors, from FastAPI or from a route, are 422 with `[{"loc", "msg", "type"}]`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import DocumentNotFound


def unprocessable(loc: tuple[str, ...], msg: str) -> RequestValidationError:
    """A 422 for input a route checks itself, in the same shape as FastAPI's own."""
    return RequestValidationError([{"loc": loc, "msg": msg, "type": "value_error"}])


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    return JSONResponse(status_code=422, content={"detail": errors})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # registered for that type only
    # FastAPI answers a body it cannot decode (bytes that are not UTF-8) with a bare 400; to a
    # client that is malformed JSON like any other, so it gets the same 422.
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeError):
        return await _validation_error(request, unprocessable(("body",), "body is not UTF-8 encoded JSON"))
    return await http_exception_handler(request, exc)


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DocumentNotFound, _not_found)
