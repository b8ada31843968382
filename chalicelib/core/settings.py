"""Typed settings, read from the environment once per container.

This is the only module that reads environment variables. Every value is validated at
cold start (``get_settings()`` is called by each entry point at import), so a
misconfigured Lambda fails on its first invocation with a clear message, not halfway
through a request.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, ClassVar, Literal, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

Stage = Literal["local", "test", "dev", "staging", "prod"]


# Signs tokens only where no Secrets Manager secret is configured: unit tests and the
# local cloud without one. A deployed Lambda on a non-local stage refuses to start with it.
LOCAL_JWT_SECRET = "bazaar-local-signing-key-never-use-outside-local-and-test"  # noqa: S105

# Verifies webhook signatures where no Stripe webhook secret is configured (the simulated
# provider signs its callbacks with it; tests sign their own payloads with it).
LOCAL_WEBHOOK_SECRET = "whsec_bazaar_local_never_use_outside_local_and_test"  # noqa: S105


class RateLimitRule(BaseModel):
    """At most ``per_email`` and ``per_ip`` attempts per fixed ``window_seconds`` window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_email: int = Field(gt=0)
    per_ip: int = Field(gt=0)
    window_seconds: int = Field(gt=0, le=86_400)


class EnvironmentSettings(BaseModel):
    """Settings read from environment variables: ``BAZAAR_<FIELD>`` (any case), or the
    names a field's ``validation_alias`` gives; structured values (rate limits) as JSON.

    A few lines instead of pydantic-settings, whose import alone cost a quarter of the API
    Lambda's cold start (bench ``cold_start``); we need none of its other sources.
    """

    # defer_build: only ``Settings`` (built by get_settings() at cold start) needs a
    # validator; the per-capability parts are never instantiated on their own.
    model_config = ConfigDict(
        extra="ignore", frozen=True, defer_build=True, validate_by_name=True, validate_by_alias=True
    )
    env_prefix: ClassVar[str] = "BAZAAR_"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Validate the settings the environment (``os.environ`` by default) sets."""
        upper = {key.upper(): value for key, value in (environ or os.environ).items()}
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            for key in _environment_names(cls.env_prefix, name, field):
                if key.upper() in upper:
                    values[key if field.validation_alias else name] = _decoded(
                        key, field, upper[key.upper()]
                    )
                    break
        return cls.model_validate(values)


def _environment_names(prefix: str, name: str, field: FieldInfo) -> list[str]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    if isinstance(alias, str):
        return [alias]
    return [f"{prefix}{name}".upper()]


def _decoded(key: str, field: FieldInfo, value: str) -> Any:
    # Nested models are given as JSON (BAZAAR_RATE_LIMIT_LOGIN='{"per_email": 3, ...}').
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError(f"{key} must be a JSON object") from None
    return value


class PlatformSettings(EnvironmentSettings):
    """What every container needs: stage, AWS endpoint, shared tables, bus, limits."""

    stage: Stage = "local"
    service_name: str = "bazaar"
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")

    # Resource names; infra/template.yaml sets them on every function.
    connections_table: str = "bazaar-local-connections"
    event_archive_table: str = "bazaar-local-event-archive"
    idempotency_table: str = "bazaar-local-idempotency"
    event_bus_name: str = "bazaar"
    media_bucket: str = "bazaar-local-media"
    # Base URL of the API Gateway WebSocket management API (the "@connections" API):
    # https://{api-id}.execute-api.{region}.amazonaws.com/{stage} on AWS.
    websocket_management_url: str = "http://127.0.0.1:4566/local"
    # The Amazon Bedrock model texts are drafted with where a capability is configured to
    # use it (product descriptions, review improvement suggestions): chalicelib.core.bedrock.
    bedrock_model_id: str = "anthropic.claude-3-haiku-20240307-v1:0"

    max_body_bytes: int = Field(default=1_048_576, gt=0)
    # Deepest nesting of arrays/objects a JSON body or WebSocket frame may have; deeper
    # input is refused (400 / an error frame) before it is decoded.
    max_json_depth: int = Field(default=32, ge=2, le=256)
    page_size_default: int = Field(default=20, ge=1, le=100)
    page_size_max: int = Field(default=100, ge=1, le=1000)
    websocket_connection_ttl_seconds: int = Field(default=7200, gt=0)
    # Last seen per account (written when its connection closes).
    presence_table: str = "bazaar-local-presence"
    # A client frame larger than this gets an error frame (API Gateway's frame limit is
    # 32 KB; its message limit 128 KB).
    websocket_max_frame_bytes: int = Field(default=16_384, ge=1024, le=131_072)
    # Frames one connection may send per fixed window; more get a RATE_LIMITED error frame.
    websocket_rate_limit_frames: int = Field(default=30, ge=1)
    websocket_rate_limit_window_seconds: int = Field(default=10, ge=1, le=3600)

    @field_validator("aws_endpoint_url")
    @classmethod
    def _endpoint_is_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("http://", "https://")):
            raise ValueError("AWS_ENDPOINT_URL must start with http:// or https://")
        return value.rstrip("/")

    @property
    def is_local(self) -> bool:
        """True when running against the local cloud (moto/LocalStack), never on AWS."""
        return self.stage in ("local", "test")


class IdentitySettings(PlatformSettings):
    """Accounts, tokens, one-time codes, passwords, rate limits, email."""

    identity_table: str = "bazaar-local-identity"
    # Set by Lambda itself; the signing-key check below applies to deployed functions only
    # (``chalice package`` imports the app with a non-local stage and no secret).
    lambda_function_name: str | None = Field(
        default=None, validation_alias="AWS_LAMBDA_FUNCTION_NAME"
    )
    jwt_issuer: str = "bazaar"
    jwt_audience: str = "bazaar-api"
    jwt_algorithm: Literal["HS256"] = "HS256"
    jwt_secret: SecretStr = SecretStr(LOCAL_JWT_SECRET)
    # Secrets Manager secret (name or ARN) holding the signing key; wins over jwt_secret.
    jwt_secret_arn: str | None = None
    jwt_secret_cache_seconds: int = Field(default=300, ge=0)
    jwt_leeway_seconds: int = Field(default=5, ge=0, le=60)
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=3600, le=90 * 86_400)
    reset_token_ttl_seconds: int = Field(default=600, ge=60, le=3600)
    max_sessions_per_account: int = Field(default=10, ge=1, le=50)
    otp_length: int = Field(default=6, ge=6, le=10)
    otp_ttl_seconds: int = Field(default=600, ge=60, le=3600)
    otp_max_attempts: int = Field(default=5, ge=1, le=20)
    otp_lockout_seconds: int = Field(default=900, ge=60)
    otp_resend_cooldown_seconds: int = Field(default=60, ge=1)
    password_min_length: int = Field(default=10, ge=8, le=64)
    password_max_length: int = Field(default=128, ge=64, le=1024)
    # argon2id; defaults are RFC 9106's "low memory" profile. Tests lower them here only.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    rate_limit_login: RateLimitRule = RateLimitRule(per_email=10, per_ip=100, window_seconds=900)
    rate_limit_register: RateLimitRule = RateLimitRule(per_email=5, per_ip=20, window_seconds=3600)
    rate_limit_otp_verify: RateLimitRule = RateLimitRule(
        per_email=10, per_ip=100, window_seconds=900
    )
    rate_limit_otp_send: RateLimitRule = RateLimitRule(per_email=5, per_ip=30, window_seconds=3600)
    rate_limit_password_reset: RateLimitRule = RateLimitRule(
        per_email=5, per_ip=30, window_seconds=3600
    )
    mail_sender: str = "no-reply@bazaar.example.com"
    mail_sender_name: str = "Bazaar"
    max_addresses_per_account: int = Field(default=20, ge=1, le=100)

    @model_validator(mode="after")
    def _signing_key_is_safe(self) -> Self:
        # A deployed function never signs with the published local key.
        secret = self.jwt_secret.get_secret_value()
        if self.jwt_secret_arn:
            return self
        if len(secret.encode()) < 32:
            raise ValueError("BAZAAR_JWT_SECRET must be at least 32 bytes")
        if secret == LOCAL_JWT_SECRET and not self.is_local and self.lambda_function_name:
            raise ValueError(
                f"stage {self.stage!r} needs BAZAAR_JWT_SECRET_ARN (or its own BAZAAR_JWT_SECRET);"
                " the built-in signing key is for local and test stages only"
            )
        return self


class CatalogSettings(PlatformSettings):
    """Shops, products, images, search, discount codes, and the carts that hold them."""

    catalog_table: str = "bazaar-local-catalog"
    search_table: str = "bazaar-local-search"
    carts_table: str = "bazaar-local-carts"
    # Full ARNs of the purge workflows (the scheduled starter runs them).
    product_purge_state_machine_arn: str | None = None
    shop_purge_state_machine_arn: str | None = None
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    product_restore_hours: int = Field(default=24, ge=1, le=24 * 30)
    shop_restore_days: int = Field(default=28, ge=1, le=365)
    # Money is integer minor units; this caps any price (10 million major units).
    price_max_minor: int = Field(default=1_000_000_000, gt=0)
    stock_max: int = Field(default=1_000_000, gt=0)
    cart_quantity_max: int = Field(default=99, ge=1, le=10_000)
    cart_max_lines: int = Field(default=50, ge=1, le=500)
    cart_abandoned_after_seconds: int = Field(default=86_400, ge=60)
    image_max_bytes: int = Field(default=5 * 1_048_576, gt=0)
    # Decoded pixels an image may have (Pillow's MAX_IMAGE_PIXELS while opening ours).
    image_max_pixels: int = Field(default=40_000_000, gt=0)
    image_upload_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    max_images_per_product: int = Field(default=8, ge=1, le=50)
    # Items a search may read from the index per request before it returns a short page.
    search_max_reads: int = Field(default=2_000, ge=100)
    descriptions_provider: Literal["offline", "bedrock"] = "offline"


class OrdersSettings(PlatformSettings):
    """Checkout saga, orders, payments (simulated or Stripe)."""

    orders_table: str = "bazaar-local-orders"
    checkout_state_machine_arn: str | None = None
    # "simulated" behaves like Stripe's test cards; "stripe" needs stripe_api_key. Unset:
    # Stripe when a key is configured, the simulator otherwise.
    payment_provider: Literal["simulated", "stripe"] | None = None
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr = SecretStr(LOCAL_WEBHOOK_SECRET)
    # Stripe's API address; only stripe-mock or a test server sets it (local/test stages).
    stripe_api_base: str | None = None
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    # How long the saga waits for a payment needing the shopper's action (3-D Secure).
    payment_timeout_seconds: int = Field(default=900, ge=1, le=86_400)
    checkout_return_url: str = "http://localhost:8000/orders"
    # How long after delivery a shopper may ask to return lines (days).
    return_window_days: int = Field(default=30, ge=0, le=365)
    # Lets a checkout carry an X-Fault-Plan header that fails saga steps on purpose.
    # Refused outside the local and test stages (see the validator).
    fault_injection: bool = False

    @field_validator("stripe_api_key", "stripe_api_base", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("stripe_webhook_secret", mode="before")
    @classmethod
    def _empty_webhook_secret_is_local(cls, value: object) -> object:
        return LOCAL_WEBHOOK_SECRET if value in ("", None) else value

    @model_validator(mode="after")
    def _payments_are_safe(self) -> Self:
        # Fault plans and the local webhook secret stay local.
        if self.fault_injection and not self.is_local:
            raise ValueError("BAZAAR_FAULT_INJECTION is allowed on local and test stages only")
        if self.payment_provider == "stripe" and self.stripe_api_key is None:
            raise ValueError("BAZAAR_PAYMENT_PROVIDER=stripe needs BAZAAR_STRIPE_API_KEY")
        uses_stripe = self.payments_provider == "stripe"
        local_secret = self.stripe_webhook_secret.get_secret_value() == LOCAL_WEBHOOK_SECRET
        if uses_stripe and local_secret and not self.is_local:
            raise ValueError("Stripe on a deployed stage needs BAZAAR_STRIPE_WEBHOOK_SECRET")
        if self.stripe_api_base and not self.is_local:
            raise ValueError("BAZAAR_STRIPE_API_BASE is allowed on local and test stages only")
        if self.stripe_api_base and not self.stripe_api_base.startswith(("http://", "https://")):
            raise ValueError("BAZAAR_STRIPE_API_BASE must be an http(s) URL")
        return self

    @property
    def payments_provider(self) -> Literal["simulated", "stripe"]:
        """The payment provider in use."""
        if self.payment_provider is not None:
            return self.payment_provider
        return "stripe" if self.stripe_api_key is not None else "simulated"


class ModelsSettings(PlatformSettings):
    """Where trained models live (S3, by name and version) and where a container caches them."""

    models_bucket: str = "bazaar-local-models"
    model_cache_dir: str = "/tmp/bazaar-models"  # noqa: S108  Lambda's only writable path


class ReviewsSettings(ModelsSettings):
    """Reviews, replies, moderation, aggregates, sentiment, analytics (S5)."""

    reviews_table: str = "bazaar-local-reviews"
    sentiment_model_version: str = "v5"
    review_edits_kept: int = Field(default=20, ge=1, le=100)
    # A scored review below this confidence waits in the moderation queue.
    sentiment_low_confidence: float = Field(default=0.55, ge=0.0, le=1.0)
    # Reports that put a review in the moderation queue.
    reports_to_queue: int = Field(default=1, ge=1, le=100)
    # Improvement suggestions in review analytics: the offline advice per category, or
    # Amazon Bedrock (BAZAAR_BEDROCK_MODEL_ID) drawing on the category's complaints.
    review_suggestions_provider: Literal["offline", "bedrock"] = "offline"


class RecommendationsSettings(ModelsSettings):
    """Recommendations (S9): engagement weights, the model, its scheduled retraining."""

    recommendations_table: str = "bazaar-local-recommendations"
    recs_model_name: str = "recs"
    # Served until a trained version is published as current (models/recs/<version>/).
    recs_model_version: str = "v2"
    # How often a container looks for a newly published version (seconds; 0: every request).
    recs_model_check_seconds: int = Field(default=60, ge=0, le=86_400)
    # Engagement weights (view < wishlist < cart < purchase); a user's history is weighted
    # by them, relative to a purchase.
    recs_weight_view: float = Field(default=1.0, gt=0)
    recs_weight_wishlist: float = Field(default=2.0, gt=0)
    recs_weight_cart: float = Field(default=3.0, gt=0)
    recs_weight_purchase: float = Field(default=5.0, gt=0)
    # The training window read from the lake and the orders, and the most recent days of it
    # held out to compare a new model with the published one.
    recs_history_days: int = Field(default=400, ge=7, le=3650)
    recs_holdout_days: int = Field(default=14, ge=1, le=90)
    # A new model is published unless its HR@10 on the held-out slice is lower than the
    # published model's by more than this.
    recs_publish_tolerance: float = Field(default=0.0, ge=0.0, le=1.0)
    recs_min_interactions: int = Field(default=20, ge=1)
    # A user's own purchases looked up live (orders) at each request.
    recs_recent_orders: int = Field(default=20, ge=1, le=100)
    recs_max_results: int = Field(default=100, ge=10, le=500)
    recs_training_state_machine_arn: str = ""


class ChatSettings(PlatformSettings):
    """Conversations between shoppers and shops (S7)."""

    chat_table: str = "bazaar-local-chat"
    chat_text_max_chars: int = Field(default=4000, ge=1, le=10_000)
    # Messages one chat.resume replays at most; the client resumes again from the cursor
    # it got back (``chat.resumed`` says ``more``).
    chat_resume_max_messages: int = Field(default=500, ge=10, le=5000)


class NotificationsSettings(PlatformSettings):
    """Notifications (S8): the table, the chat email digest."""

    notifications_table: str = "bazaar-local-notifications"
    # A chat notification still unread this long after it was made goes into the email digest.
    chat_digest_delay_seconds: int = Field(default=900, ge=0, le=7 * 86_400)
    # Most chat notifications one digest run takes (the rest wait for the next run).
    chat_digest_max_per_run: int = Field(default=500, ge=1, le=10_000)
    notification_retention_days: int = Field(default=90, ge=1, le=3650)
    # Most notifications "mark all read" marks in one request (it says when more remain).
    mark_all_read_max: int = Field(default=500, ge=1, le=5_000)


class LogsSettings(PlatformSettings):
    """Client logs (S10): ingestion limits, the queue, retention."""

    logs_table: str = "bazaar-local-logs"
    client_logs_queue_url: str | None = None
    log_retention_days: int = Field(default=14, ge=1, le=365)
    log_batch_max_entries: int = Field(default=50, ge=1, le=500)
    log_message_max_chars: int = Field(default=2_000, ge=100, le=10_000)
    log_context_max_bytes: int = Field(default=4_096, ge=256, le=65_536)
    # Batches one client (account, or source IP when anonymous) may send per minute.
    log_batches_per_minute: int = Field(default=60, ge=1, le=10_000)
    # Most rows one download returns (a narrower range gets the rest).
    log_download_max_rows: int = Field(default=10_000, ge=100, le=100_000)
    # Lambda answers at most 6 MB: a download stops short of it (and says so).
    log_download_max_bytes: int = Field(default=5_000_000, ge=10_000, le=5_500_000)
    log_download_max_days: int = Field(default=7, ge=1, le=31)


class AnalyticsSettings(PlatformSettings):
    """Engagement events, the raw event lake, aggregates and dashboards."""

    analytics_table: str = "bazaar-local-analytics"
    analytics_lake_bucket: str = "bazaar-local-analytics-lake"
    # The queue POST /analytics/events sends each accepted batch to (one message a batch).
    analytics_events_queue_url: str | None = None
    analytics_max_events: int = Field(default=50, ge=1, le=500)
    # Client clocks: an event may be this far in the future (skew) or in the past (offline).
    analytics_future_tolerance_seconds: int = Field(default=300, ge=0, le=3600)
    analytics_past_tolerance_seconds: int = Field(default=7 * 86_400, ge=60, le=30 * 86_400)
    # Batches per source IP per window (fixed windows, counted in the analytics table).
    analytics_rate_limit: int = Field(default=120, ge=1)
    analytics_rate_window_seconds: int = Field(default=60, ge=1, le=3600)
    analytics_max_range_days: int = Field(default=366, ge=1, le=3660)


class BillsSettings(ModelsSettings):
    """Bill posts (S6): uploads, OCR, the authenticity model and the decision thresholds."""

    bills_table: str = "bazaar-local-bills"
    bills_bucket: str = "bazaar-local-bills"
    # The verification queue (S3 notifications; an admin's retry is sent here too).
    bills_queue_url: str = ""
    bills_ocr_engine: Literal["local", "textract"] = "local"
    bills_model_version: str = "v7"  # models/bill-authenticity/<version>/
    bills_reader_version: str = "v3"  # models/bill-reader/<version>/ (re-spacing names, rules)
    bills_max_bytes: int = Field(default=8 * 1_048_576, gt=0)
    bills_max_pixels: int = Field(default=40_000_000, gt=0)
    bills_upload_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    # The decision: edit probability below ``verify_below`` with every check passed →
    # VERIFIED; at or above ``reject_above`` → REJECTED; anything between → NEEDS_REVIEW.
    # ``verify_below`` 0 means "use the threshold on the model's card".
    bills_verify_below: float = Field(default=0.0, ge=0.0, le=1.0)
    bills_reject_above: float = Field(default=0.9, ge=0.0, le=1.0)
    # REJECTED also needs this model at or above ``reject_above``: v6 was trained with
    # re-saved genuine bills as genuine, so a second compression alone (which v7 counts as a
    # sign of editing) sends a bill to review, never to rejection. Empty: the main model alone.
    bills_reject_model_version: str = "v6"
    # A bill whose perceptual hash differs from an earlier one's in at most this many bits
    # is a duplicate.
    bills_duplicate_bits: int = Field(default=6, ge=0, le=16)
    # Oldest bill date accepted as plausible (days before today); none from the future.
    bills_max_age_days: int = Field(default=3650, ge=1)
    bills_min_ocr_confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class ForecastingSettings(ModelsSettings):
    """Sales forecasting (S9): the shipped model, uploads, the stock-out horizon."""

    forecast_table: str = "bazaar-local-forecast"
    # The shipped version served until the retraining workflow publishes forecast/current.
    forecast_model_version: str = "v2"
    forecast_upload_max_bytes: int = Field(default=1_048_576, ge=1_024, le=5_000_000)
    forecast_upload_max_rows: int = Field(default=50_000, ge=10, le=500_000)
    forecast_upload_ttl_days: int = Field(default=30, ge=1, le=365)
    # Stock-out risk: the days a restock takes to arrive (the risk is running out before).
    forecast_lead_days: int = Field(default=14, ge=1, le=90)
    # The retraining workflow (its scheduled start names it).
    forecast_retrain_state_machine_arn: str = ""


class Settings(
    ForecastingSettings,
    RecommendationsSettings,
    ReviewsSettings,
    BillsSettings,
    AnalyticsSettings,
    LogsSettings,
    NotificationsSettings,
    ChatSettings,
    OrdersSettings,
    CatalogSettings,
    IdentitySettings,
):
    """Runtime configuration of one Bazaar container: every capability's settings in one.

    Each capability reads the part it owns (``IdentitySettings``, ``CatalogSettings``,
    ``OrdersSettings``, ``ChatSettings``, ``NotificationsSettings``, ``LogsSettings``,
    ``AnalyticsSettings``, ``BillsSettings``, ``ReviewsSettings``,
    ``ForecastingSettings``, on top of ``PlatformSettings``); the environment names stay
    flat (``BAZAAR_<FIELD>``).
    """


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The container's settings; raises ``pydantic.ValidationError`` on bad configuration."""
    return Settings.from_environment()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
