"""MARC-8 that cannot be trusted: what pymarc could not decode, and MARC-8 left in Unicode.

pymarc decodes MARC-8 (and its East Asian set, EACC, behind `ESC $1`) itself, but where a
record's bytes are not MARC-8 it can decode (an EACC triple cut short or holding a delimiter
byte, a code no table has) it writes a line to stderr and puts a space in the character's
place: the record reads as something it does not say. Such a record is refused, with pymarc's
words as the reason, so the partner's report shows it and the rest of the file goes on.

The other way round, a record that is UTF-8 may still hold MARC-8 escape sequences, left by a
conversion that did not know EACC: as text they are `ESC $1` and three ASCII bytes a character
(`!Q5!Nt`), words that would be indexed as if they meant something. They are decoded where
they can be (a repair, reported) and left out where they cannot (also reported).
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import threading
from dataclasses import dataclass, field

import pymarc
from pymarc.marc8 import MARC8ToUnicode

#: the beginnings of pymarc's own lines about bytes it could not decode (pymarc.marc8)
_UNDECODABLE = ("Unable to parse character", "Multi-byte position")
#: an escape into another character set, up to the escape back to ASCII (or the value's end)
_ESCAPED = re.compile(r"\x1b[^\x1b]*(?:\x1b\(B|\x1bs|$)|\x1b[^\x1b]*(?=\x1b)")
#: pymarc reports on sys.stderr, which is one per process: one decoding at a time listens
_STDERR = threading.Lock()


@dataclass
class Decoded:
    """A binary record as pymarc read it, with what could not be trusted in it."""

    record: pymarc.Record
    #: pymarc's complaints about MARC-8 it could not decode: the record is not to be used
    undecodable: list[str] = field(default_factory=list)
    #: MARC-8 escape sequences found in a UTF-8 record, decoded or left out, one line each
    repairs: list[str] = field(default_factory=list)


def decode(chunk: bytes, utf8: bool) -> Decoded:
    """One ISO 2709 record read as UTF-8 (`utf8`) or MARC-8; pymarc's exceptions pass up."""
    with _listening() as heard:
        record = pymarc.Record(
            data=chunk, force_utf8=utf8, hide_utf8_warnings=True, utf8_handling="replace"
        )
    undecodable, other = _split(heard.getvalue())
    if other:
        sys.stderr.write(other)  # pymarc's other warnings, as they were before
    decoded = Decoded(record, undecodable=undecodable)
    if utf8:
        decoded.repairs = _repair_escapes(record)
    return decoded


@contextlib.contextmanager
def _listening():
    heard = io.StringIO()
    with _STDERR, contextlib.redirect_stderr(heard):
        yield heard


def _split(text: str) -> tuple[list[str], str]:
    lines = text.splitlines(keepends=True)
    undecodable = [line.strip() for line in lines if line.startswith(_UNDECODABLE)]
    return undecodable, "".join(line for line in lines if not line.startswith(_UNDECODABLE))


def _repair_escapes(record: pymarc.Record) -> list[str]:
    """Decode (or leave out) MARC-8 escape sequences in a UTF-8 record's subfields."""
    repairs = []
    for marc_field in record.get_fields():
        if marc_field.is_control_field():
            continue
        for position, subfield in enumerate(marc_field.subfields):
            if "\x1b" not in subfield.value:
                continue
            value, said = _decoded_escapes(subfield.value)
            marc_field.subfields[position] = pymarc.Subfield(subfield.code, value)
            repairs.append(f"{marc_field.tag} ${subfield.code}: {said}")
    return repairs


def _decoded_escapes(value: str) -> tuple[str, str]:
    """`value` with each escaped run decoded from MARC-8, or left out when it cannot be."""
    outcomes: list[str] = []

    def one(found: re.Match[str]) -> str:
        raw = found.group(0).encode("utf-8")
        with _listening() as heard:
            text = MARC8ToUnicode().translate(raw)
        if _split(heard.getvalue())[0] or not text.strip():
            outcomes.append("MARC-8 it cannot decode, left out")
            return ""
        outcomes.append(f"MARC-8 in a UTF-8 record decoded as {text!r}")
        return text

    repaired = _ESCAPED.sub(one, value)
    return repaired, "; ".join(outcomes)
