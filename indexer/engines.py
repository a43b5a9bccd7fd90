"""Opening the configured engine: the one place that knows both engine classes.

Every caller (the app factory, the CLI, the tests, the benchmarks) hands `open_engine` its
settings; none spells out an engine's arguments. The indexer reads no configuration itself:
`config.settings.Settings` has the attributes `EngineSettings` asks for, so the edges pass
their settings object down as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from indexer.engine import SearchEngine


class EngineSettings(Protocol):
    """What choosing and opening an engine needs to know."""

    @property
    def engine(self) -> str:
        """'tantivy' or 'elasticsearch'."""

    @property
    def index_dir(self) -> Path:
        """Where the tantivy index lives."""

    @property
    def es_url(self) -> str: ...

    @property
    def es_index(self) -> str: ...

    @property
    def es_timeout(self) -> float:
        """Seconds one call to Elasticsearch may take before it counts as unavailable."""

    @property
    def facet_cache(self) -> int:
        """Searches whose facet counts the engine keeps until the next commit (tantivy)."""


def open_engine(settings: EngineSettings) -> SearchEngine:
    """The engine `settings.engine` names, opened on its index."""
    if settings.engine == "tantivy":
        from indexer.tantivy_engine import TantivyEngine

        return TantivyEngine(settings.index_dir, facet_cache=settings.facet_cache)
    if settings.engine == "elasticsearch":
        from indexer.es_engine import ElasticsearchEngine

        return ElasticsearchEngine(settings.es_url, settings.es_index, timeout=settings.es_timeout)
    raise ValueError(f"unknown engine {settings.engine!r}: choose tantivy or elasticsearch")
