"""The partner registry: one TOML file listing the libraries fedcat harvests.

Format (see docs/operator-guide.md):

    [[partner]]
    id = "north"                       # short, stable; used in URLs, facets and state
    name = "North City Library"
    base_url = "https://opac.north.example/oai"
    metadata_prefix = "marc21"         # marc21 | marcxml | oai_dc | mods
    set = ""                           # optional OAI-PMH set spec
    location = "Main stacks"           # holding location when the feed has none
    catalog_url = "https://opac.north.example/record/{id}"  # {id}: local record id
    origins = ["https://www.north.example"]  # sites allowed to embed the widget
    ill_email = "ill@north.example"    # optional: where new loan requests are mailed
    max_removal = 25                   # optional: % of its records a full harvest may remove
                                       # unconfirmed (default FEDCAT_MAX_REMOVAL)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

METADATA_PREFIXES = ("marc21", "marcxml", "oai_dc", "mods")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RegistryError(ValueError):
    """The partner registry file is missing or wrong; the message says where."""


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    base_url: str
    metadata_prefix: str = "marc21"
    set: str = ""
    location: str = ""
    catalog_url: str = ""
    origins: tuple[str, ...] = field(default_factory=tuple)
    #: the inter-library loan desk's address, mailed when a request reaches the library
    ill_email: str = ""
    #: percent of its records a full harvest may remove without the operator's confirmation;
    #: None: FEDCAT_MAX_REMOVAL
    max_removal: float | None = None

    def record_url(self, local_id: str) -> str:
        """Link to a record in the partner's own catalog ("" when none is configured)."""
        return self.catalog_url.replace("{id}", local_id) if self.catalog_url else ""


def _partner(entry: dict, where: str) -> Partner:
    unknown = set(entry) - set(Partner.__dataclass_fields__)
    if unknown:
        raise RegistryError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("id", "name", "base_url"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise RegistryError(f"{where}: '{key}' is required")
    if not _ID.match(entry["id"]):
        raise RegistryError(f"{where}: id {entry['id']!r} must be 1-32 of a-z 0-9 _ -")
    prefix = entry.get("metadata_prefix", "marc21")
    if prefix not in METADATA_PREFIXES:
        raise RegistryError(f"{where}: metadata_prefix {prefix!r} not one of {METADATA_PREFIXES}")
    if not entry["base_url"].startswith(("http://", "https://")):
        raise RegistryError(f"{where}: base_url must be an http(s) URL")
    email = entry.get("ill_email", "")
    if not isinstance(email, str) or (email and not _EMAIL.match(email)):
        raise RegistryError(f"{where}: ill_email must be an e-mail address")
    share = entry.get("max_removal")
    if share is not None and (
        isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 100
    ):
        raise RegistryError(f"{where}: max_removal must be a percentage from 0 to 100")
    return Partner(**{**entry, "origins": tuple(entry.get("origins", ()))})


def parse_registry(text: str, source: str = "<registry>") -> list[Partner]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{source}: not valid TOML: {exc}") from None
    partners = [
        _partner(e, f"{source} partner #{i + 1}") for i, e in enumerate(data.get("partner", []))
    ]
    ids = [p.id for p in partners]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RegistryError(f"{source}: duplicate partner ids {duplicates}")
    return partners


def load_registry(path: Path) -> list[Partner]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot read partner registry {path}: {exc.strerror}") from None
    return parse_registry(text, str(path))
