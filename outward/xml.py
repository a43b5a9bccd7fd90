"""XML writing shared by the outward formats: elements in namespaces, no stray control chars."""

from __future__ import annotations

import re

from lxml import etree

#: Characters XML 1.0 cannot carry (partner data sometimes has them); dropped on output.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    """A child element of `parent` (tag in Clark notation), with its text cleaned."""
    element = etree.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def parse_fragment(data: bytes) -> etree._Element:
    """Our own XML (a MARCXML record) back as an element, with no network or entities."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)
