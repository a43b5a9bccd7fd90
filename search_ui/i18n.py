"""Interface text in English and Chinese, from one gettext message catalogue.

The pages (Jinja's ``_``/``ngettext``), the Python code (`flask_babel.gettext`) and the
partner widget (through ``/api/v1/messages``) read the same catalogue: msgids are the English
text, ``translations/messages.pot`` lists them all and ``translations/zh/LC_MESSAGES`` holds
the Chinese. Partner data is never translated, only our labels.

The compiled ``messages.mo`` is committed beside its ``.po`` (``make translations`` extracts,
updates and compiles; a test checks they agree), so a fresh ``pip install -e .`` or a
read-only install needs no build step and the app writes nothing at start.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel, force_locale, get_locale, get_translations, lazy_gettext
from werkzeug.datastructures import LanguageAccept, MultiDict

from indexer.languages import language_name as language_name_of

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
TRANSLATIONS = Path(__file__).with_name("translations")
TEMPLATE = TRANSLATIONS / "messages.pot"
_PRIMARY = re.compile(r"[-_]")

FACET_LABELS = {
    "library": lazy_gettext("Library"),
    "format": lazy_gettext("Format"),
    "language": lazy_gettext("Language"),
    "decade": lazy_gettext("Decade"),
    "subject_facet": lazy_gettext("Subject"),
    "subject_facet_suggested": lazy_gettext("Subject (with suggested)"),
    "availability": lazy_gettext("Availability"),
    "available_at": lazy_gettext("Available at"),
}
STATUS_LABELS = {
    "available": lazy_gettext("Available"),
    "on_loan": lazy_gettext("On loan"),
    "not_loanable": lazy_gettext("Library use only"),
    "unknown": lazy_gettext("Ask at the library"),
}

#: indexer.normalize.FORMATS in the interface language
FORMAT_LABELS = {
    "book": lazy_gettext("Book"),
    "serial": lazy_gettext("Journal or serial"),
    "map": lazy_gettext("Map"),
    "score": lazy_gettext("Music score"),
    "recording": lazy_gettext("Music recording"),
    "spoken_word": lazy_gettext("Spoken word recording"),
    "video": lazy_gettext("Video"),
    "eresource": lazy_gettext("Electronic resource"),
    "manuscript": lazy_gettext("Manuscript"),
    "image": lazy_gettext("Image"),
    "kit": lazy_gettext("Kit"),
    "mixed": lazy_gettext("Mixed materials"),
}


def init_app(app: Flask) -> Babel:
    """Translate the app's templates and messages into the language of each request."""
    return Babel(
        app,
        default_locale=DEFAULT_LANGUAGE,
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=interface_language,
    )


def interface_language(args: MultiDict | None = None) -> str:
    """`?lang=` wins; otherwise the supported language the browser prefers most
    (Accept-Language, with its quality values, negotiated by werkzeug)."""
    requested = (request.args if args is None else args).get("lang")
    if requested in LANGUAGES:
        return requested
    return _nearest(request.accept_languages) or DEFAULT_LANGUAGE


def _nearest(wanted: LanguageAccept) -> str | None:
    """The supported language the client wants most, matched on the primary subtag, so that
    "zh-CN" asks for "zh" even when a less wanted "en" would match exactly."""
    primary = LanguageAccept([(_PRIMARY.split(tag, 1)[0], q) for tag, q in wanted])
    return primary.best_match(LANGUAGES)


def requested_language(args: MultiDict) -> str:
    """The supported language nearest to a client's ``lang`` parameter ("zh-CN" is "zh"),
    else the browser's preference: how the widget asks for its text."""
    nearest = _nearest(LanguageAccept([(args.get("lang", ""), 1)]))
    return nearest or interface_language(MultiDict())


def other_language(language: str) -> str:
    """The language the page's switch offers."""
    return "zh" if language == "en" else "en"


def language_name(language: str) -> str:
    """A language's name in itself ("中文", "English"), for the language switch."""
    return Locale.parse(language).display_name or language


def facet_label(facet: str) -> str:
    return str(FACET_LABELS.get(facet, facet))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def format_label(format_code: str) -> str:
    """'score' → 'Music score' / '乐谱'; a format we do not know is shown as it is."""
    return str(FORMAT_LABELS.get(format_code, format_code))


def language_label(code: str) -> str:
    """'fre' → 'French' / '法语' in the page's language (names from langcodes' CLDR data);
    the language is the request's locale, chosen once a request by Flask-Babel."""
    locale = get_locale()
    return language_name_of(code, locale.language if locale else DEFAULT_LANGUAGE)


@cache
def catalogue_ids() -> tuple[tuple[str, str | None], ...]:
    """Every message of the catalogue: (msgid, plural msgid or None)."""
    with TEMPLATE.open("rb") as pot:
        catalog = read_po(pot)
    ids: list[tuple[str, str | None]] = []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            ids.append((message.id, None))
        else:
            ids.append((str(message.id[0]), str(message.id[1])))
    return tuple(ids)


def plural_samples(language: str) -> dict[str, int]:
    """One number of each CLDR plural category of `language` ("one": 1, "other": 2...), so
    a client can pick a form with ``Intl.PluralRules``."""
    rule = Locale.parse(language).plural_form
    samples: dict[str, int] = {}
    for number in range(0, 1000):
        samples.setdefault(rule(number), number)
    return samples


def catalogue_messages(language: str) -> dict[str, str | dict[str, str]]:
    """The catalogue in `language`, unformatted (placeholders such as ``%(num)d`` left in):
    msgid -> text, or for a plural message its singular msgid -> {CLDR category: text}."""
    samples = plural_samples(language)
    messages: dict[str, str | dict[str, str]] = {}
    with force_locale(language):
        translations = get_translations()
        for singular, plural in catalogue_ids():
            if plural is None:
                messages[singular] = translations.ugettext(singular)
            else:
                messages[singular] = {
                    category: translations.ungettext(singular, plural, number)
                    for category, number in samples.items()
                }
    return messages
