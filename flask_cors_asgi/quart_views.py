"""`cross_origin` on a Quart view, as Flask-CORS's decorator on the same Flask view.

Quart is Flask's API on asyncio, and Flask-CORS's decorator works there by Flask's own means: it
asks the router to send OPTIONS to the view (`required_methods`, `provide_automatic_options`, which
Quart's routing reads as Flask's does), answers a preflight with the app's default OPTIONS
response, turns the view's return value into a response with `make_response` and appends the
route's headers to it, with its options layered over the app's `CORS_*` config as Flask-CORS layers
them over Flask's. The wrapper built by `decorator` does the same through the functions here,
when it finds itself called inside a Quart request (a Quart view takes its path parameters, never a
Starlette request).

Quart is a framework this engine does not depend on: it is only looked up among the imported modules
(`frameworks.imported_quart`), so a Quart view can only be running if the app has imported it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Protocol

from flask_cors_asgi.decision import cors_headers
from flask_cors_asgi.frameworks import imported_quart
from flask_cors_asgi.middleware import EVALUATED, asked_for, known_for, read_request
from flask_cors_asgi.options import AppConfig, Policy, RoutePolicies

# The view attributes Flask's (and Quart's) add_url_rule reads: Flask-CORS sets them so that the
# route sends OPTIONS to the decorated view instead of answering it itself.
REQUIRED_METHODS = "required_methods"
PROVIDE_AUTOMATIC_OPTIONS = "provide_automatic_options"


def route_options_to_view(wrapper: Callable[..., Any], endpoint: Callable[..., Any], policy: Policy) -> None:
    """What Flask-CORS's decorator tells the router, with `automatic_options` (the default): the
    view answers OPTIONS. Starlette and FastAPI never read these attributes."""
    if policy.automatic_options:
        required = set(getattr(endpoint, REQUIRED_METHODS, ()))
        required.add("OPTIONS")
        setattr(wrapper, REQUIRED_METHODS, required)
        setattr(wrapper, PROVIDE_AUTOMATIC_OPTIONS, False)


class HasPolicies(Protocol):
    """Where a decorated view's policies are (`CrossOrigin`, whose `reconfigure` replaces them)."""

    @property
    def policies(self) -> RoutePolicies: ...


class RoutePolicy:
    """A decorated view's policy in the Quart app serving it. Flask-CORS's decorator layers its
    options over the app's `CORS_*` config on every request (defaults < app config < arguments,
    `RoutePolicies`); Quart's config is a plain dict that may change, so the layering is redone
    only when the app's `CORS_*` keys, or the route's policies (reconfigured), differ from the last
    ones seen."""

    def __init__(self, route: HasPolicies) -> None:
        self.route = route
        self.compiled: weakref.WeakKeyDictionary[Any, tuple[RoutePolicies, dict[str, Any], Policy]] = (
            weakref.WeakKeyDictionary()
        )

    def for_app(self, app: Any) -> Policy:
        policies = self.route.policies  # once: the request sees one policy
        config = {key: value for key, value in app.config.items() if key.startswith("CORS_")}
        seen = self.compiled.get(app)
        if seen is not None and seen[0] is policies and seen[1] == config:
            return seen[2]
        policy = policies.policy(AppConfig.of(config, "Quart app"))
        self.compiled[app] = (policies, config, policy)
        return policy


def quart_module() -> Any | None:
    """The `quart` module when the current call runs inside a Quart request, else None."""
    quart = imported_quart()
    if quart is None or not quart.has_request_context():
        return None
    return quart


async def answer(quart: Any, endpoint: Callable[..., Any], args: Any, kwargs: Any, route: RoutePolicy) -> Any:
    """Flask-CORS's wrapped view for an async Quart view: the default OPTIONS response for a
    preflight (the view does not run), else the view's value made a response; the route's headers
    on either. An exception the view raises passes through untouched, so its error answer gets the
    app-wide policy, as in Flask-CORS."""
    policy = route.for_app(quart.current_app._get_current_object())
    if policy.origin_check is not None:  # asked once, before the view: see flask_cors_asgi.dynamic
        scope = quart.request.scope
        await asked_for(policy, read_request(scope), scope)
    if policy.automatic_options and quart.request.method == "OPTIONS":
        response = await quart.current_app.make_default_options_response()
    else:
        response = await quart.make_response(await endpoint(*args, **kwargs))
    return _decorate(quart, response, policy)


def answer_sync(quart: Any, endpoint: Callable[..., Any], args: Any, kwargs: Any, route: RoutePolicy) -> Any:
    """`answer` for a sync Quart view, which Quart runs in a worker thread. Quart's
    `make_default_options_response` and `make_response` are coroutines that never wait on
    anything, so they run to completion here, in the thread: the view returns the finished
    response, and a value Quart cannot make one of raises here, inside the view, as in Flask-CORS.
    An origin callable cannot be awaited from Quart's worker thread: only an answer it cached
    admits the origin (it fails closed otherwise)."""
    policy = route.for_app(quart.current_app._get_current_object())
    if policy.automatic_options and quart.request.method == "OPTIONS":
        response = _run_now(quart.current_app.make_default_options_response())
    else:
        response = _run_now(quart.make_response(endpoint(*args, **kwargs)))
    return _decorate(quart, response, policy)


def _run_now(coroutine: Any) -> Any:
    """The result of a coroutine that completes without waiting; a RuntimeError if it waits (a
    Quart whose response making does, which a worker thread cannot run), never a view left
    without the route's headers."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError(
        "cross_origin() on a sync Quart view: this Quart makes responses asynchronously, which a "
        "sync view's worker thread cannot do; make the view async (async def)"
    )


def _decorate(quart: Any, response: Any, policy: Policy) -> Any:
    # Appended, as Flask-CORS's set_cors_headers does with headers.add.
    scope = quart.request.scope
    for name, value in cors_headers(policy, known_for(policy, read_request(scope), scope)):
        response.headers.add(name, value)
    # The ASGI scope is the one CORSMiddleware sees: it leaves this response alone, as Flask-CORS's
    # after_request skips a response marked FLASK_CORS_EVALUATED.
    scope[EVALUATED] = True
    return response
