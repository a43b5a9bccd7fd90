"""Opening the configured engine: the one place that knows both engine classes."""

from __future__ import annotations

from pathlib import Path

from indexer.engine import SearchEngine


def open_engine(
    kind: str, *, index_dir: Path, es_url: str, es_index: str, es_timeout: float = 10.0
) -> SearchEngine:
    if kind == "tantivy":
        from indexer.tantivy_engine import TantivyEngine

        return TantivyEngine(index_dir)
    if kind == "elasticsearch":
        from indexer.es_engine import ElasticsearchEngine

        return ElasticsearchEngine(es_url, es_index, timeout=es_timeout)
    raise ValueError(f"unknown engine {kind!r}: choose tantivy or elasticsearch")
