"""Running the demo partner libraries as real OAI-PMH endpoints on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from demo.oai_provider import ProviderRecord, make_app, marcxml, serve
from demo.partners import LIBRARIES, library_records


@contextmanager
def running_demo_libraries() -> Iterator[list[str]]:
    """Start every demo library on its registry port; yields their OAI base URLs."""
    with ExitStack() as stack:
        urls = []
        for library in LIBRARIES:
            records = [
                ProviderRecord(r.identifier, r.datestamp, [], {"marc21": marcxml(r.record)})
                for r in library_records(library)
            ]
            app = make_app(records, repository_name=library.name)
            urls.append(stack.enter_context(serve(app, port=library.port)))
        yield urls
