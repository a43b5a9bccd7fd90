"""The one place settings and the partner registry become fedcat's ISO 18626 parts.

The web app and the CLI both build their `IllService` here, so a request changed by either
queues the same messages for partners' systems.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from config.partners import Partner, RegistryError
from ill.peers.relay import IsoRelay
from ill.service import IllService, IllSettings
from ill.store import RequestStore


def peer_secrets(
    partners: Sequence[Partner], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each ISO 18626 partner's shared secret, read from the variable its entry names."""
    environ = os.environ if environ is None else environ
    secrets = {}
    for partner in partners:
        if not partner.ill.speaks_iso18626:
            continue
        secret = environ.get(partner.ill.secret_env, "")
        if len(secret) < 16:
            raise RegistryError(
                f"partner {partner.id}: set {partner.ill.secret_env} to its shared secret "
                "(at least 16 characters)"
            )
        secrets[partner.id] = secret
    return secrets


def ill_service(
    store: RequestStore,
    partners: Sequence[Partner],
    settings: IllSettings,
    clock: Callable[[], datetime] | None = None,
) -> IllService:
    """The request service, with the relay to partners' systems when any speaks ISO 18626."""
    relay = IsoRelay(partners, clock) if any(p.ill.speaks_iso18626 for p in partners) else None
    return IllService(store, settings, clock=clock, relay=relay)
