"""OpenTelemetry tracing, optional: ``tracing = true`` in the settings and the standard
``OTEL_*`` environment variables (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``, ...),
which the OpenTelemetry SDK reads itself.

One span per request (opentelemetry-instrumentation-asgi), renamed to the route's template and
carrying the dialect, and one child span per database statement (opentelemetry-instrumentation-
asyncpg). Off by default and free when off: nothing here is imported unless it is on, so the
packages are an extra (``pip install 'ticketgate[tracing]'``).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Scope

SERVICE_NAME = "ticketgate"


def install(app: ASGIApp, exporter: Any = None) -> ASGIApp:
    """The app inside a tracing layer; ``exporter`` replaces OTLP (tests pass an in-memory one)."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    return OpenTelemetryMiddleware(app, tracer_provider=provider, exclude_spans=["receive", "send"])


def annotate(scope: Scope, dialect: str, route: str) -> None:
    """Name the request's span after its route template and record the dialect (called once the
    route is known, while the request span is still current)."""
    from opentelemetry import trace

    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.update_name(f"{scope['method']} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("ticketgate.dialect", dialect)
