"""The fetch profile's policy in force, as the middleware and the route decorator hold it: one
immutable `FetchState` (options, compiled config, debug flag) that each request reads once, so it
sees one policy and one debug flag from start to end.

`reconfigure(**options)` validates first (every problem at once, the policy in force unchanged) and
then swaps the whole state; `set_debug` swaps it with only the flag changed. Both take one lock, so
that neither loses the other's change; a request takes no lock (one attribute read), as jub0bs's
`Reconfigure` and `SetDebug` leave the hot path alone.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from flask_cors_asgi.fetch.config import FetchConfig, compile_fetch


@dataclass(frozen=True, slots=True, eq=False)
class FetchState:
    """Everything a request reads of a fetch-profile policy."""

    options: Mapping[str, Any]  # as given, without `debug` (read-only): what reconfigure compares
    config: FetchConfig
    debug: bool


class FetchPolicy:
    """A fetch-profile policy that can be reconfigured and debugged while it serves."""

    _state: FetchState
    _swapping: threading.Lock

    def _start_policy(self, options: Mapping[str, Any], debug: bool) -> None:
        config = compile_fetch({"debug": debug, **options})
        self._state = FetchState(MappingProxyType(dict(options)), config, debug)
        self._swapping = threading.Lock()

    @property
    def config(self) -> FetchConfig:
        """The compiled policy in force."""
        return self._state.config

    @property
    def options(self) -> Mapping[str, Any]:
        """The options in force, as given (read-only), without `debug`."""
        return self._state.options

    @property
    def debug(self) -> bool:
        """Whether debug mode is on: failed preflights whose origin passed get 204 and the headers
        so far, so the browser's console names the method or header that failed."""
        return self._state.debug

    def set_debug(self, on: bool) -> None:
        """Turn debug mode on or off while serving: one swap of the state, so concurrent requests
        see either value, never a mix; the policy stays."""
        if not isinstance(on, bool):
            raise TypeError(f"set_debug() takes True or False, got {on!r}")
        with self._swapping:
            self._state = replace(self._state, debug=on)

    def reconfigure(self, **options: Any) -> bool:
        """Replace the policy with the one these options build (they replace the current ones, they
        are not merged into them). Safe from any task or thread.

        Validates first: on any problem raises `FetchConfigError` listing every problem, and the
        policy in force keeps serving. Returns False, changing nothing, when the options are the
        ones in force; True once swapped. The debug flag survives unless `debug` is given."""
        with self._swapping:
            state = self._state
            debug = options.pop("debug", state.debug)
            if isinstance(debug, bool) and debug == state.debug and options == dict(state.options):
                return False
            config = compile_fetch({"debug": debug, **options})  # raises before anything changes
            self._state = FetchState(MappingProxyType(options), config, debug)
            return True
