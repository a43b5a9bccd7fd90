"""Prometheus metrics at `/metrics` (prometheus_client): the web app's requests, and per
partner its last harvest and its health, for an operator's monitoring.

Requests are counted by route (the URL rule, never the path a client typed, so the labels
stay few), method and status, with their latency. Each process of `fedcat serve` counts its
own requests (a scrape reaches one worker; see docs/operator-guide.md); the harvest figures
are read from the run history in the data directory at each scrape, so every worker gives the
same. Only loopback clients are answered, unless FEDCAT_METRICS_TOKEN is set: then any client
with that bearer token.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from datetime import datetime
from ipaddress import ip_address

from flask import Blueprint, Flask, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from werkzeug.wrappers import Response

from search_ui.extension import fedcat
from search_ui.staff_health import partner_health_now

blueprint = Blueprint("metrics", __name__)

REGISTRY = "fedcat_metrics"


class HarvestCollector(Collector):
    """The last harvest and health of each partner, read from the run history per scrape."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        with self.app.app_context():
            rows = partner_health_now()
        gauges = {
            name: GaugeMetricFamily(f"fedcat_{name}", help_text, labels=["partner"])
            for name, help_text in (
                ("partner_records", "Records the partner has in the catalogue"),
                ("partner_flagged", "1 when fedcat health flags the partner, else 0"),
                ("harvest_last_records", "Records applied by the partner's last run"),
                ("harvest_last_errors", "Errors of the partner's last run"),
                ("harvest_last_duration_seconds", "Duration of the partner's last run"),
                ("harvest_last_success_timestamp_seconds", "When its last run succeeded"),
            )
        }
        quality = GaugeMetricFamily(
            "fedcat_partner_quality_share",
            "Share of the partner's records (or holdings) with each kind of metadata",
            labels=["partner", "share"],
        )
        for row in rows:
            pid = [row.partner_id]
            gauges["partner_records"].add_metric(pid, row.records)
            gauges["partner_flagged"].add_metric(pid, 1 if row.flags else 0)
            if row.recent:
                last = row.recent[-1]
                gauges["harvest_last_records"].add_metric(pid, last.records)
                gauges["harvest_last_errors"].add_metric(pid, last.errors)
                gauges["harvest_last_duration_seconds"].add_metric(pid, last.duration_seconds)
            if row.last_success:
                moment = datetime.fromisoformat(row.last_success.replace("Z", "+00:00"))
                gauges["harvest_last_success_timestamp_seconds"].add_metric(pid, moment.timestamp())
            for share, value in (row.quality.shares if row.quality else {}).items():
                quality.add_metric([row.partner_id, share], value)
        yield from gauges.values()
        yield quality


def init_app(app: Flask) -> None:
    """Count every request of `app`; its registry is its own (several apps in one process,
    as in the tests, never share counts)."""
    registry = CollectorRegistry()
    requests = Counter(
        "fedcat_http_requests",
        "Requests answered, by route, method and status",
        ["route", "method", "status"],
        registry=registry,
    )
    latency = Histogram(
        "fedcat_http_request_duration_seconds",
        "Time to answer a request, by route and method",
        ["route", "method"],
        registry=registry,
    )
    registry.register(HarvestCollector(app))
    app.extensions[REGISTRY] = registry

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule is not None else "(no route)"
        requests.labels(route, request.method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            latency.labels(route, request.method).observe(time.perf_counter() - started)
        return response


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ip_address(address).is_loopback
    except ValueError:
        return False


@blueprint.get("/metrics")
def metrics() -> Response:
    token = fedcat().settings.metrics_token
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            abort(401, description="/metrics needs Authorization: Bearer <FEDCAT_METRICS_TOKEN>.")
    elif not _loopback(request.remote_addr):
        abort(
            403,
            description="/metrics answers loopback clients only; set FEDCAT_METRICS_TOKEN to "
            "let a monitoring server with that token read it.",
        )
    registry = current_app.extensions[REGISTRY]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
