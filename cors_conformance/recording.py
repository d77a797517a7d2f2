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
    """Flask-CORS's calls made while recording (a module imported, an app factory called)."""

    module: Any
    extensions: dict[int, list[CORSCall]]  # by id() of the app or blueprint each CORS() was attached to
    decorated: dict[Any, CORSCall]  # by the view function the decorator returned

    def calls(self) -> list[dict[str, Any]]:
        """Every recorded keyword set: the extensions' and the decorators'."""
        return [call.kwargs for calls in self.extensions.values() for call in calls] + [
            call.kwargs for call in self.decorated.values()
        ]

    def calls_for(self, app: Any) -> list[dict[str, Any]]:
        """The keyword sets of the calls that configure `app` and read its config: CORS() on it and
        the decorators of its views (not those of other apps in the module)."""
        found = [call.kwargs for call in self.extensions.get(id(app), [])]
        views = getattr(app, "view_functions", {})
        return found + [self.decorated[view].kwargs for view in views.values() if view in self.decorated]

    def blueprint_calls_for(self, app: Any) -> list[dict[str, Any]]:
        """The keyword sets of CORS(blueprint) on `app`'s blueprints (which read no app.config)."""
        blueprints = app.iter_blueprints() if hasattr(app, "iter_blueprints") else ()
        return [call.kwargs for owner in blueprints for call in self.extensions.get(id(owner), [])]


@contextmanager
def recording() -> Iterator[Recorded]:
    """Record Flask-CORS's calls made inside the block (nothing, when Flask-CORS is not installed)."""
    try:
        import flask_cors
    except ImportError:
        yield Recorded(None, {}, {})
        return
    found = Recorded(None, {}, {})
    extensions, decorated = found.extensions, found.decorated
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
        yield found
    finally:
        flask_cors.CORS, flask_cors.cross_origin = original_cors, original_cross_origin  # type: ignore[misc]


def import_fresh(module_name: str) -> Any:
    """Import `module_name` afresh (so that its Flask-CORS calls run again, inside a recording)."""
    sys.modules.pop(module_name, None)
    return importlib.import_module(module_name)


def import_recording(module_name: str) -> Recorded:
    """Import `module_name` afresh while recording Flask-CORS's calls. Import errors propagate."""
    with recording() as found:
        found.module = import_fresh(module_name)
    return found
