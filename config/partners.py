"""The partner registry: one TOML file listing the libraries fedcat harvests.

Format (see docs/operator-guide.md):

    [[partner]]
    id = "north"                       # short, stable; used in URLs, facets and state
    name = "North City Library"
    base_url = "https://opac.north.example/oai"
    metadata_prefix = "marc21"         # marc21 | marcxml | unimarc | cnmarc | oai_dc | mods
    set = ""                           # optional OAI-PMH set spec
    location = "Main stacks"           # holding location when the feed has none
    catalog_url = "https://opac.north.example/record/{id}"  # {id}: local record id
    origins = ["https://www.north.example"]  # sites allowed to embed the widget
    ill_email = "ill@north.example"    # optional: where new loan requests are mailed
    max_removal = 25                   # optional: % of its records a full harvest may remove
                                       # unconfirmed (default FEDCAT_MAX_REMOVAL)

    [partner.ill]                      # optional: how the library takes part in loans
    system = "iso18626"                # fedcat (default): its staff work fedcat's queues;
                                       # iso18626: its own ILL system, spoken to over ISO 18626
    agency_id = "ISIL:XX-NORTH"        # its ISO 18626 agency id, type:value (default FEDCAT:<id>)
    endpoint = "https://ill.north.example/iso18626"  # iso18626: where fedcat posts messages
    secret_env = "FEDCAT_PEER_SECRET_NORTH"  # iso18626: the variable holding the shared secret
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

METADATA_PREFIXES = ("marc21", "marcxml", "unimarc", "cnmarc", "oai_dc", "mods")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


ILL_SYSTEMS = ("fedcat", "iso18626")
_AGENCY = re.compile(r"^[A-Za-z0-9_.-]{1,32}:[^\s:]{1,100}$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")


class RegistryError(ValueError):
    """The partner registry file is missing or wrong; the message says where."""


@dataclass(frozen=True)
class PartnerIll:
    """How a library takes part in inter-library loan: in fedcat's own queues, or through its own
    ILL system over ISO 18626 (then fedcat posts to `endpoint`, and both sides prove who they are
    with the shared secret held in the environment variable `secret_env`)."""

    system: str = "fedcat"
    agency_id: str = ""  # "type:value", e.g. "ISIL:DK-710100"; "" means FEDCAT:<partner id>
    endpoint: str = ""
    secret_env: str = ""

    @property
    def speaks_iso18626(self) -> bool:
        return self.system == "iso18626"


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
    ill: PartnerIll = field(default_factory=PartnerIll)

    @property
    def agency_id(self) -> str:
        """The library's ISO 18626 agency id, "type:value"."""
        return self.ill.agency_id or f"FEDCAT:{self.id}"

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
    ill = _partner_ill(entry.get("ill", {}), f"{where} [ill]")
    return Partner(**{**entry, "origins": tuple(entry.get("origins", ())), "ill": ill})


def _partner_ill(entry: object, where: str) -> PartnerIll:
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: must be a table")
    unknown = set(entry) - set(PartnerIll.__dataclass_fields__)
    if unknown:
        raise RegistryError(f"{where}: unknown keys {sorted(unknown)}")
    if any(not isinstance(value, str) for value in entry.values()):
        raise RegistryError(f"{where}: every value must be a string")
    ill = PartnerIll(**entry)
    if ill.system not in ILL_SYSTEMS:
        raise RegistryError(f"{where}: system {ill.system!r} not one of {ILL_SYSTEMS}")
    if ill.agency_id and not _AGENCY.match(ill.agency_id):
        raise RegistryError(f"{where}: agency_id {ill.agency_id!r} must be type:value")
    if ill.speaks_iso18626:
        if not ill.endpoint or not _is_safe_endpoint(ill.endpoint):
            raise RegistryError(
                f"{where}: an iso18626 partner needs an https endpoint (http only on loopback)"
            )
        if not _ENV_NAME.match(ill.secret_env):
            raise RegistryError(
                f"{where}: an iso18626 partner needs secret_env, the name of the environment "
                "variable that holds the shared secret"
            )
    elif ill.endpoint or ill.secret_env:
        raise RegistryError(f'{where}: endpoint and secret_env are for system = "iso18626"')
    return ill


def _is_safe_endpoint(url: str) -> bool:
    """https, or http to this machine (tests, a peer on the same host)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


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
    agencies = [p.agency_id for p in partners]
    twice = sorted({a for a in agencies if agencies.count(a) > 1})
    if twice:
        raise RegistryError(f"{source}: two partners with the agency id(s) {twice}")
    return partners


def load_registry(path: Path) -> list[Partner]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot read partner registry {path}: {exc.strerror}") from None
    return parse_registry(text, str(path))
