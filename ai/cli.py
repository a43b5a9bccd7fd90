"""`fedcat ai ...`: train the subject model, suggest subjects, and staff's say over them.

`train` learns from the record store's catalogued works and writes the model to the data
directory (`ai/subjects.json` names the current one); `suggest` stores up to
FEDCAT_AI_SUGGESTIONS suggestions for each work without catalogued headings and re-indexes
those works; `accept` and `reject` record staff's decision on one suggestion of a work, which
stays through re-training, re-suggesting and re-harvesting; `co-requests` recounts the pairs
of works requested together (see docs/privacy.md).
"""

from __future__ import annotations

import getpass
import json

import click

from config.settings import Settings
from fedcat.context import _engine_errors, _open_catalog, _partners, _settings


@click.group()
def ai() -> None:
    """Machine-suggested subjects and related works."""


@ai.command()
def train() -> None:
    """Learn subject headings from the catalogue's own catalogued works."""
    from ai.corpus import store_examples
    from ai.model import ModelError, save
    from ai.model import train as train_model
    from indexer.catalog import open_state
    from indexer.works import WorkStore

    settings = _settings()
    db = open_state(settings.state_db)
    try:
        examples = list(store_examples(WorkStore(db)))
        model = train_model(examples, k=settings.ai_suggestions)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.close()
    path = save(model, settings.data_dir)
    p = model.provenance
    click.echo(
        f"model {p.model_id}: trained {p.trained_at} on {p.trained_on} works, "
        f"{len(model.labels)} headings, threshold {p.threshold:g} (tuned on "
        f"{int(model.metrics['validation_works'])} held-out works); {path}"
    )


@ai.command()
@click.option("--missing", is_flag=True, help="Only works the current model has not seen.")
@click.option("--work", "work_ids", multiple=True, help="Only this work (repeatable).")
def suggest(missing: bool, work_ids: tuple[str, ...]) -> None:
    """Suggest subjects for works without catalogued headings, and index them."""
    settings = _settings()
    catalog = _open_catalog(settings, _partners(settings))
    try:
        with _engine_errors():
            click.echo(_suggest(settings, catalog, missing, set(work_ids) or None))
    finally:
        catalog.engine.close()


def _suggest(settings: Settings, catalog, missing: bool, work_ids: set[str] | None) -> str:
    from ai.model import ModelError, load
    from ai.suggesting import suggest_works
    from ai.suggestions import SuggestionStore

    try:
        model = load(settings.data_dir)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None
    report = suggest_works(
        catalog,
        SuggestionStore(catalog.db),
        model,
        k=settings.ai_suggestions,
        missing_only=missing,
        work_ids=work_ids,
    )
    return f"model {model.provenance.model_id}: {report.summary()}"


def suggest_after_harvest(settings: Settings, catalog) -> str:
    """The harvest's hook (FEDCAT_AI_AFTER_HARVEST=on): suggest for works the current model
    has not seen; says so, and does nothing, when no model was trained yet."""
    from ai.model import current_meta

    if current_meta(settings.data_dir) is None:
        return "subject suggestions: no model yet (fedcat ai train)"
    return "subject suggestions: " + _suggest(settings, catalog, True, None)


_OPERATOR = click.option(
    "--operator", default=getpass.getuser, show_default="your login", help="Who decided."
)
_SCHEME = click.option("--scheme", help="The vocabulary, when two suggest the same heading.")


def _decide(work_id: str, heading: str, decision, operator: str, scheme: str | None) -> None:
    from ai.suggestions import SuggestionError, SuggestionStore

    settings = _settings()
    catalog = _open_catalog(settings, _partners(settings))
    try:
        row = SuggestionStore(catalog.db).decide(work_id, heading, decision, operator, scheme)
        with _engine_errors():
            catalog.refresh({work_id})
    except SuggestionError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        catalog.engine.close()
    click.echo(f"{work_id}: {decision} {row['heading']} ({row['scheme'] or 'no vocabulary'})")


@ai.command()
@click.argument("work_id")
@click.argument("heading")
@_SCHEME
@_OPERATOR
def accept(work_id: str, heading: str, scheme: str | None, operator: str) -> None:
    """Accept the suggested HEADING for WORK_ID (kept through re-training)."""
    _decide(work_id, heading, "accepted", operator, scheme)


@ai.command()
@click.argument("work_id")
@click.argument("heading")
@_SCHEME
@_OPERATOR
def reject(work_id: str, heading: str, scheme: str | None, operator: str) -> None:
    """Reject the suggested HEADING for WORK_ID: never suggested for it again."""
    _decide(work_id, heading, "rejected", operator, scheme)


@ai.command()
@click.argument("work_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show(work_id: str, as_json: bool) -> None:
    """The suggested subjects of WORK_ID, with their score, model and words."""
    from ai.suggestions import SuggestionStore
    from indexer.catalog import open_state

    db = open_state(_settings().state_db)
    try:
        rows = SuggestionStore(db).suggested_subjects(work_id)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(
            f"{r['score']:.3f} {r['status']:<9} {r['heading']} ({r['scheme']}) "
            f"words: {', '.join(r['words'])}; {r['model_id']}, {r['trained_on']} works"
        )


@ai.command()
def decisions() -> None:
    """Every accept and reject staff made, oldest first."""
    from ai.suggestions import SuggestionStore
    from indexer.catalog import open_state

    db = open_state(_settings().state_db)
    try:
        for work_id, scheme, heading, decision, operator, at in SuggestionStore(db).decisions():
            click.echo(f"{at} {operator:<12} {decision:<8} {work_id} {heading} ({scheme})")
    finally:
        db.close()


@ai.command("co-requests")
def co_requests() -> None:
    """Count again the pairs of works requested together (run it daily, e.g. after
    `fedcat ill tick`); only pairs with FEDCAT_CO_REQUEST_MIN requesters are kept."""
    from ai.co_requests import count_pairs, replace_pairs
    from ill.store import open_store
    from indexer.catalog import open_state

    settings = _settings()
    store = open_store(settings.database_location)
    try:
        pairs = count_pairs(store, settings.co_request_min)
    finally:
        store.close()
    db = open_state(settings.state_db)
    try:
        replace_pairs(db, pairs)
    finally:
        db.close()
    click.echo(
        f"{len(pairs)} pairs of works requested together by at least "
        f"{settings.co_request_min} patrons"
    )


def register(main: click.Group) -> None:
    """Add `ai` to the `fedcat` command."""
    main.add_command(ai)
