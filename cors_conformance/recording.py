"""Flask-CORS's calls, recorded while a module is imported: every `CORS(...)`/`init_app(...)` and
`@cross_origin(...)` with its raw arguments (positional ones and typos included, which Flask-CORS
drops before anything could inspect them)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class CORSCall:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass
class Recorded:
    """A module imported while Flask-CORS's calls were recorded."""

    module: Any
    extensions: dict[int, list[CORSCall]]  # by id() of the app each CORS() was attached to
    decorated: dict[Any, CORSCall]  # by the view function the decorator returned

    def calls(self) -> list[dict[str, Any]]:
        """Every recorded keyword set: the extensions' and the decorators'."""
        return [call.kwargs for calls in self.extensions.values() for call in calls] + [
            call.kwargs for call in self.decorated.values()
        ]


@contextmanager
def _recording() -> Iterator[tuple[dict[int, list[CORSCall]], dict[Any, CORSCall]]]:
    import flask_cors

    extensions: dict[int, list[CORSCall]] = {}
    decorated: dict[Any, CORSCall] = {}
    original_cors, original_cross_origin = flask_cors.CORS, flask_cors.cross_origin

    class RecordingCORS(original_cors):  # type: ignore[misc, valid-type]
        def __init__(self, app: Any = None, *args: Any, **kwargs: Any) -> None:
            self._recorded_args = args
            super().__init__(app, *args, **kwargs)

        def init_app(self, app: Any, **kwargs: Any) -> None:
            # CORS(app, **kw) calls init_app(app, **kw); CORS() then init_app(app, **kw) merges both.
            merged = {**getattr(self, "_options", {}), **kwargs}
            extensions.setdefault(id(app), []).append(CORSCall(getattr(self, "_recorded_args", ()), merged))
            super().init_app(app, **kwargs)

    def recording_cross_origin(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        decorator = original_cross_origin(*args, **kwargs)

        def record(view: Any) -> Any:
            wrapped = decorator(view)
            decorated[wrapped] = CORSCall(args, dict(kwargs))
            return wrapped

        return record

    flask_cors.CORS, flask_cors.cross_origin = RecordingCORS, recording_cross_origin  # type: ignore[misc]
    try:
        yield extensions, decorated
    finally:
        flask_cors.CORS, flask_cors.cross_origin = original_cors, original_cross_origin  # type: ignore[misc]


def import_recording(module_name: str) -> Recorded:
    """Import `module_name` afresh while recording Flask-CORS's calls (plainly, when Flask-CORS is
    not installed: nothing to record then). Import errors propagate as they are."""
    try:
        import flask_cors  # noqa: F401
    except ImportError:
        return Recorded(importlib.import_module(module_name), {}, {})
    with _recording() as (extensions, decorated):
        sys.modules.pop(module_name, None)
        module = importlib.import_module(module_name)
    return Recorded(module, extensions, decorated)
