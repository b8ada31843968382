"""The API Lambda: REST routes and WebSocket handlers. Wiring only; code is in chalicelib.

Each capability's routes are registered from ``chalicelib/route_index.json`` and its code
is imported when a request first reaches it (``chalicelib.web.lazy``): a cold start
imports what its first request needs, not the whole API. After adding or changing a
route, ``make routes`` rewrites the index (a test says when it is stale).
"""

from chalice import Chalice, Response
from chalice.app import WebsocketEvent

from chalicelib.api_modules import API_MODULES, DEV_MODULES
from chalicelib.core import observability
from chalicelib.core.caller import Caller
from chalicelib.core.settings import get_settings
from chalicelib.web import access
from chalicelib.web.lazy import LazyRoutes
from chalicelib.web.middleware import http_middleware

get_settings()  # validate configuration at cold start
observability.start_tracing()  # X-Ray patches on AWS; the SDK is not imported where tracing is off


def authenticate(token: str) -> Caller:
    """Identity's token check (imported with the first request that carries a token)."""
    from chalicelib.identity import service

    return service.authenticate_caller(token)


access.use_authenticator(authenticate)

app = Chalice(app_name="bazaar")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.register_middleware(http_middleware, "http")
capabilities = LazyRoutes(app, API_MODULES + (DEV_MODULES if get_settings().is_local else []))
capabilities.register()


def install_payment_simulator() -> None:
    """The payment simulator, used where Stripe is not configured (local and test only)."""
    from chalicelib.dev import payments as dev_payments

    dev_payments.install()


if get_settings().is_local:
    for payments_module in ("chalicelib.orders.api", "chalicelib.dev.payments"):
        capabilities.after_load(payments_module, install_payment_simulator)


@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> Response | None:
    from chalicelib.realtime import ws

    return ws.on_connect(event)


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> None:
    from chalicelib.realtime import ws

    ws.on_disconnect(event)


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> None:
    from chalicelib.realtime import ws

    capabilities.load_all()  # capabilities register their WebSocket actions on import
    ws.on_message(event)
