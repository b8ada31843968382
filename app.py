"""The API Lambda: REST routes and WebSocket handlers. Wiring only; code is in chalicelib."""

from chalice import Chalice, Response
from chalice.app import WebsocketEvent

from chalicelib.cart.api import bp as cart_bp
from chalicelib.catalog.api import bp as catalog_bp
from chalicelib.core import observability
from chalicelib.core.settings import get_settings
from chalicelib.identity import service as identity_service
from chalicelib.identity.api import bp as identity_bp
from chalicelib.orders.api import bp as orders_bp
from chalicelib.platform.api import bp as platform_bp
from chalicelib.realtime import ws
from chalicelib.reviews.api import bp as reviews_bp
from chalicelib.web import access
from chalicelib.web.middleware import http_middleware

get_settings()  # validate configuration at cold start
observability.start_tracing()  # X-Ray patches on AWS; the SDK is not imported where tracing is off
access.use_authenticator(identity_service.authenticate_caller)

app = Chalice(app_name="bazaar")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.register_middleware(http_middleware, "http")
app.register_blueprint(platform_bp)
app.register_blueprint(identity_bp)
app.register_blueprint(catalog_bp)
app.register_blueprint(cart_bp)
app.register_blueprint(orders_bp)
app.register_blueprint(reviews_bp)
if get_settings().is_local:  # development scaffolding: local and test stages only
    from chalicelib.dev import payments as dev_payments
    from chalicelib.dev.mailbox import bp as mailbox_bp

    app.register_blueprint(mailbox_bp)
    dev_payments.install()  # the payment simulator, when Stripe is not configured
    app.register_blueprint(dev_payments.bp)


@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> Response | None:
    return ws.on_connect(event)


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> None:
    ws.on_disconnect(event)


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> None:
    ws.on_message(event)
