"""Serves the real app for the browser tests: `python -m tests.browser.serve_app --port P --index DIR`.

The same as `kbqa serve` (create_app with Settings read from KBQA_* variables, under uvicorn),
except that when create_app does not include the widget's routes yet, they are added here with
a warning; test_widget_routes.py::test_create_app_serves_the_widget fails in that case.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from service.app import create_app
from service.config import Settings
from service.widget import router


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args()
    app = create_app(Settings(index_dir=args.index))
    if not any(getattr(route, "path", None) == "/widget.js" for route in app.routes):
        print("serve_app: create_app does not include service.widget.router; adding it", file=sys.stderr)
        app.include_router(router)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
