"""Starts and stops the whole local cloud in this process."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from localcloud import clock, dynamodb, logs
from localcloud.config import LocalCloudConfig
from localcloud.deploy import Deployment, FunctionSpec, deploy
from localcloud.front import AwsFront
from localcloud.lambdas import LambdaRuntime
from localcloud.pollers import QueuePoller
from localcloud.rest import RestGateway
from localcloud.scheduler import Scheduler
from localcloud.template import load_template, to_cloudformation
from localcloud.websocket import WebSocketGateway

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"

API_FUNCTION = "api-handler"


@dataclass
class Endpoints:
    aws: str
    rest: str
    websocket: str
    websocket_management: str


class _LocalEndpointSession:
    """A boto3 session whose clients always use the local management endpoint.

    Chalice's ``websocket_api.send`` builds an ``execute-api.amazonaws.com`` URL; this is
    how the unchanged call reaches the local WebSocket gateway.
    """

    def __init__(self, endpoint: str, region: str) -> None:
        self._endpoint = endpoint
        self._session = boto3.session.Session(region_name=region)
        self.region_name = region

    def client(self, service: str, **kwargs: Any) -> Any:
        kwargs["endpoint_url"] = self._endpoint
        return self._session.client(service, **kwargs)


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (moto alone makes dozens a second)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class _Server:
    def __init__(self, name: str, host: str, port: int, app: Any) -> None:
        self.server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self.server.daemon_threads = True  # type: ignore[attr-defined]
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class LocalCloud:
    """moto + in-process Lambda runtime + REST and WebSocket gateways + pollers + schedules."""

    def __init__(self, config: LocalCloudConfig | None = None) -> None:
        self.config = config or LocalCloudConfig()
        self.runtime = LambdaRuntime(self.config.region)
        self.deployment: Deployment | None = None
        self.websockets: WebSocketGateway | None = None
        self.scheduler: Scheduler | None = None
        self.pollers: list[QueuePoller] = []
        self._servers: list[_Server] = []
        self.endpoints: Endpoints | None = None
        self.timings: dict[str, float] = {}
        self.environment: dict[str, str] = {}
        self._model_cache = tempfile.TemporaryDirectory(prefix="bazaar-models-")
        # The REST and WebSocket gateways answer 503 until this is set (``open``).
        self.accepting = threading.Event()
        self._started = time.perf_counter()

    # ---------- start ----------
    def start(self, *, hold: bool = False, started: float | None = None) -> Endpoints:
        """Start everything; ``hold`` keeps the gateways answering 503 until ``open()``.

        ``started`` is the ``time.perf_counter()`` the timings count from (default: now);
        ``python -m localcloud serve`` passes its own start, so the banner is the real time.
        """
        started = self._started = time.perf_counter() if started is None else started
        cfg = self.config
        dynamodb.install()
        aws = _Server(
            "aws",
            cfg.host,
            cfg.aws_port,
            AwsFront(
                DomainDispatcherApplication(create_backend_app),
                self.runtime,
                lambda: self.websockets,
                lambda: self,
            ),
        )
        self._servers.append(aws)
        aws_url = f"http://{cfg.host}:{aws.port}"
        management_url = f"{aws_url}/{cfg.api_stage}"
        self._set_environment(aws_url, aws.port)
        aws.start()
        self._enable_step_functions(aws_url)
        clock.scale_step_functions(cfg.time_scale)
        self.timings["moto_ready_s"] = time.perf_counter() - started

        parameters = {**cfg.parameters, "Stage": cfg.stage}
        template = to_cloudformation(load_template(), parameters, cfg.region)
        self.deployment = deploy(
            template,
            stack_name=cfg.stack_name,
            region=cfg.region,
            parameters=parameters,
            endpoint_url=aws_url,
        )
        self.timings["deployed_s"] = time.perf_counter() - started
        self._apply_function_environment(self.deployment, management_url)
        self._publish_models()
        for spec in self.deployment.functions.values():
            self.runtime.register(spec)

        import app as api_module  # after the environment is set: settings load at import

        chalice_app = api_module.app
        from chalicelib.core.observability import logger, metrics

        logs.isolate_per_thread(logger)  # each thread logs like its own Lambda container
        logs.isolate_metrics_per_thread(metrics)  # and flushes its own metrics
        chalice_app.websocket_api.session = _LocalEndpointSession(management_url, cfg.region)
        ws_routes = self._register_api_functions(chalice_app)
        self.websockets = WebSocketGateway(
            self.runtime,
            ws_routes,
            host=cfg.host,
            port=cfg.ws_port,
            api_id="local-websocket",
            stage=cfg.api_stage,
            accepting=self.accepting,
        )
        self.websockets.start()
        rest = _Server(
            "rest",
            cfg.host,
            cfg.rest_port,
            RestGateway(
                chalice_app, stage=cfg.api_stage, timeout=30, memory=512, ready=self.accepting
            ),
        )
        self._servers.append(rest)
        rest.start()

        sqs = boto3.client("sqs", region_name=cfg.region, endpoint_url=aws_url)
        for source in self.deployment.queue_sources:
            if source.enabled:
                poller = QueuePoller(
                    source,
                    self.runtime,
                    sqs,
                    wait_seconds=cfg.poll_wait_seconds,
                    fast_retry=cfg.fast_retry,
                )
                self.pollers.append(poller)
                poller.start()
        self.scheduler = Scheduler(self.deployment.schedules, self.runtime)
        self.scheduler.start()
        self.endpoints = Endpoints(
            aws=aws_url,
            rest=f"http://{cfg.host}:{rest.port}",
            websocket=f"ws://{cfg.host}:{self.websockets.port}",
            websocket_management=management_url,
        )
        self.timings["started_s"] = time.perf_counter() - started
        if not hold:
            self.open()
        return self.endpoints

    def _publish_models(self) -> None:
        """The trained models committed under ``models/`` go to the models bucket, as a
        release would put them (the functions load them from there)."""
        from chalicelib.core import model_store

        started = time.perf_counter()
        model_store.publish_all(MODELS_DIR)
        self.timings["models_published_s"] = round(time.perf_counter() - started, 3)

    def open(self) -> None:
        """The gateways start answering; ``timings["ready_s"]`` is the time until now."""
        self.timings["ready_s"] = time.perf_counter() - self._started
        self.accepting.set()

    def _set_environment(self, aws_url: str, port: int) -> None:
        cfg = self.config
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": aws_url,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": cfg.region,
                "AWS_REGION": cfg.region,
                # moto's Step Functions interpreter calls Lambda at localhost:$MOTO_PORT.
                "MOTO_PORT": str(port),
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_DEV": os.environ.get("POWERTOOLS_DEV", "false"),
            }
        )

    @staticmethod
    def _enable_step_functions(aws_url: str) -> None:
        request = urllib.request.Request(
            f"{aws_url}/moto-api/config",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def _apply_function_environment(self, deployment: Deployment, management_url: str) -> None:
        """One process runs every function, so their (shared) variables go in os.environ."""
        merged: dict[str, str] = {}
        for spec in deployment.functions.values():
            for key, value in spec.environment.items():
                if merged.setdefault(key, value) != value:
                    raise RuntimeError(
                        f"Functions disagree on {key}; the local cloud shares one environment"
                    )
        merged["BAZAAR_WEBSOCKET_MANAGEMENT_URL"] = management_url
        os.environ.update(merged)
        self.environment = merged
        # Like a Lambda container's /tmp, the models this cloud downloads are its own (not
        # in ``environment``: a process pointed at the cloud keeps its own cache too).
        os.environ["BAZAAR_MODEL_CACHE_DIR"] = self._model_cache.name
        from chalicelib.core import aws as aws_clients
        from chalicelib.core.dynamo import rebind_tables
        from chalicelib.core.settings import reset_settings

        reset_settings()
        aws_clients.reset_clients()
        rebind_tables()

    def _register_api_functions(self, chalice_app: Any) -> dict[str, str]:
        """The Chalice API's Lambdas (what ``chalice package`` generates), by route key."""
        self.runtime.register(FunctionSpec("APIHandler", API_FUNCTION, "app.app", {}, 30, 512))
        routes: dict[str, str] = {}
        for route_key, config in chalice_app.websocket_handlers.items():
            name = f"websocket-{config.name}"
            self.runtime.register(
                FunctionSpec(config.name, name, config.handler_string, {}, 30, 512)
            )
            routes[route_key] = name
        return routes

    # ---------- hooks ----------
    def run_schedule(self, name: str) -> dict[str, Any]:
        assert self.scheduler is not None
        result = self.scheduler.run_now(name)
        return {"payload": result.payload, "error": result.error, "duration_ms": result.duration_ms}

    def info(self) -> dict[str, Any]:
        assert self.deployment is not None
        assert self.endpoints is not None
        return {
            "endpoints": self.endpoints.__dict__,
            "stack_name": self.deployment.stack_name,
            "resources": self.deployment.physical,
            "outputs": self.deployment.outputs,
            "state_machines": self.deployment.state_machines,
            "functions": sorted(self.runtime.functions),
            "queue_sources": [s.__dict__ for s in self.deployment.queue_sources],
            "schedules": [s.__dict__ for s in self.deployment.schedules],
            "invocations": dict(self.runtime.invocations),
            "timings": self.timings,
            "region": self.config.region,
            # The functions' variables (secret values left out): tools and tests use them
            # to reach the same tables, bus and secrets (``process.client_environment``).
            "environment": {
                name: value
                for name, value in self.environment.items()
                if not name.endswith(("_API_KEY", "_WEBHOOK_SECRET"))
            },
        }

    # ---------- stop ----------
    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.websockets is not None:
            self.websockets.stop()
        # One deadline for all: a poller inside a slow invocation (a bill's OCR) must not
        # add its own wait to every other one's.
        deadline = time.monotonic() + self.config.poll_wait_seconds + 5
        for poller in self.pollers:
            poller.join(timeout=max(0.0, deadline - time.monotonic()))
        for server in reversed(self._servers):
            server.stop()
        self._model_cache.cleanup()


@contextlib.contextmanager
def running(config: LocalCloudConfig | None = None) -> Iterator[LocalCloud]:
    cloud = LocalCloud(config)
    try:
        cloud.start()
        yield cloud
    finally:
        cloud.stop()
