"""Validation against the standard's own XSD (`xsd/ISO-18626-v1_2.xsd`), offline.

The schema is read once from this package with a parser that fetches nothing; every message
fedcat sends is checked against it, and every message it receives before it is read.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lxml import etree

XSD_PATH = Path(__file__).resolve().parent / "xsd" / "ISO-18626-v1_2.xsd"
_LOCK = threading.Lock()  # one XMLSchema object, used by the web server's threads in turn


def safe_parser() -> etree.XMLParser:
    """A parser for untrusted XML: no network, no DTD, no entity expansion, no huge trees."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH), safe_parser()))


def schema_errors(root: etree._Element) -> list[etree._LogEntry]:
    """The schema's complaints about a parsed message, in document order (empty when valid)."""
    schema = _schema()
    with _LOCK:
        if schema.validate(root):
            return []
        return list(schema.error_log)


def validate(body: bytes) -> list[str]:
    """What is wrong with a message's bytes against the ISO 18626 v1.2 schema; [] when valid."""
    try:
        root = etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    if root.getroottree().docinfo.doctype:
        return ["a DOCTYPE is not allowed in an ISO 18626 message"]
    return [f"line {entry.line}: {entry.message}" for entry in schema_errors(root)]


def assert_valid(body: bytes) -> None:
    """Raise AssertionError listing the schema's complaints unless the body is valid."""
    errors = validate(body)
    if errors:
        raise AssertionError("not a valid ISO 18626 v1.2 message:\n" + "\n".join(errors))
