"""What the blueprints share: settings, the partner registry, the search engine, and the
request and account services of inter-library loan.

`create_app` puts one `Fedcat` on ``app.extensions["fedcat"]``; a view reads it with
`fedcat()`. A new blueprint (staff, patron) gets everything it needs from there, so adding
one never means threading another argument through the app factory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app
from flask_limiter import Limiter

from accounts.passwords import argon2_hasher
from accounts.service import AccountService
from accounts.store import open_store as open_account_store
from config.partners import Partner
from config.settings import Settings
from ill.delivery import DeliveryEstimates
from ill.peers.inbound import Inbound
from ill.peers.wiring import ill_service, peer_secrets
from ill.service import IllService, IllSettings
from ill.store import open_store as open_request_store
from indexer.engine import SearchEngine
from indexer.query import SearchRequest
from search_ui import obtain
from search_ui.request_params import Params, search_request_from_params, single_value
from search_ui.results import search_response
from search_ui.suggestions import spelling_suggestion

EXTENSION = "fedcat"


@dataclass
class Fedcat:
    """The app's shared state. The engine is opened on first use, so the app starts (and
    answers 503 with a message) while the search engine is still down."""

    settings: Settings
    partners: list[Partner]
    open_engine: Callable[[], SearchEngine]
    _engine: SearchEngine | None = None
    #: The API's rate limiter (None: no limit), set once the app exists.
    limiter: Limiter | None = None
    #: keys throttle rows and signs cookies; the same on every web host (settings.secret_key)
    secret_key: str = ""
    #: records per OAI-PMH list page (`/oai`); tests make it small to see many pages
    oai_page_size: int = 50
    _ill: IllService | None = None
    _accounts: AccountService | None = None
    _inbound: Inbound | None = None
    _delivery: DeliveryEstimates | None = None
    by_id: dict[str, Partner] = field(init=False)
    partner_origins: frozenset[str] = field(init=False)
    #: the shared secrets of partners that run their own ILL system (ISO 18626), by partner id
    peer_secrets: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {p.id: p for p in self.partners}
        self.partner_origins = frozenset(o for p in self.partners for o in p.origins)
        self.peer_secrets = peer_secrets(self.partners)  # a missing secret stops the start

    @property
    def engine(self) -> SearchEngine:
        if self._engine is None:
            self._engine = self.open_engine()
        return self._engine

    @property
    def ill(self) -> IllService:
        """Inter-library loan requests, opened on first use (the database named by settings)."""
        if self._ill is None:
            store = open_request_store(self.settings.database_location)
            settings = IllSettings(answer_days=self.settings.ill_answer_days)
            self._ill = ill_service(store, self.partners, settings)
        return self._ill

    @property
    def iso_inbound(self) -> Inbound:
        """What answers partners' ILL systems at `POST /iso18626`."""
        if self._inbound is None:
            from search_ui.iso18626 import work_finder

            self._inbound = Inbound(self.ill, self.partners, self.peer_secrets, work_finder(self))
        return self._inbound

    @property
    def accounts(self) -> AccountService:
        """Patron, staff and operator accounts, sessions and API tokens, opened on first use."""
        if self._accounts is None:
            store = open_account_store(self.settings.database_location)
            self._accounts = AccountService(
                store,
                secret=self.secret_key.encode(),
                hasher=argon2_hasher(*self.settings.password_cost),
            )
        return self._accounts

    @property
    def delivery(self) -> DeliveryEstimates:
        """Delivery estimates from the request store's history, kept for a short time."""
        if self._delivery is None:
            self._delivery = DeliveryEstimates(
                self.ill.store,
                min_sample=self.settings.delivery_min_sample,
                cache_seconds=self.settings.delivery_cache_seconds,
            )
        return self._delivery

    def search(self, params: Params) -> tuple[SearchRequest, dict[str, Any]]:
        """The search the URL parameters ask for, and its answer with a spelling suggestion,
        each work with its tier for the patron's library when there is one (`search_ui.obtain`)."""
        soonest = single_value(params, "sort") == obtain.SOONEST
        search = search_request_from_params(
            obtain.without_sort(params) if soonest else params, known_libraries=set(self.by_id)
        )
        search = replace(search, sort=obtain.SOONEST) if soonest else search
        library, tier = obtain.patron_library(params, self.by_id), obtain.wanted_tier(params)
        windowed = obtain.needs_window(search, tier)
        engine_search = obtain.window_request(search, library, tier) if windowed else search
        result = self.engine.search(engine_search)
        typed = single_value(params, "q") or ""
        as_asked = replace(search, sort="relevance") if soonest else search
        suggestion = spelling_suggestion(self.engine, as_asked, typed, result)
        result, tiers = obtain.with_tiers(search, result, library, tier, self)
        response = search_response(search, result, suggestion, self.by_id)
        return search, obtain.add_tiers(response, tiers, library, windowed, self.by_id)


def fedcat() -> Fedcat:
    """The shared state of the app handling the current request."""
    return current_app.extensions[EXTENSION]
