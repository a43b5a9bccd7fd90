"""Languages as MARC knows them: ISO 639-2/B codes from whatever a feed says, and their names.

Every mapping stores one code per record, the bibliographic (B) form MARC 008/35-37 uses
('fre', 'ger', 'chi'), so the language facet counts a French book once whether its partner
wrote 'fr', 'fra', 'fre', 'fr-CA' or 'Français'. The ISO 639 tables and the names in every
interface language are langcodes' (with language_data), not ours.
"""

from __future__ import annotations

from functools import lru_cache

from langcodes import Language
from language_data.names import code_to_names

#: Codes that say "no language" ("undetermined", "no linguistic content"): no facet value.
_NO_LANGUAGE = frozenset({"und", "zxx"})


@lru_cache(maxsize=4096)
def language(value: str) -> str:
    """'en', 'eng', 'en-US', 'fra', 'French' → ISO 639-2/B ('eng', 'fre'); '' if unknown."""
    tag = value.strip().replace("_", "-")
    code = tag.split("-")[0].casefold()
    if code.isascii() and code.isalpha() and len(code) in (2, 3):
        if len(code) == 2:
            return _from_alpha2(code)
        return "" if code in _NO_LANGUAGE else _bibliographic(code)
    return _from_name(tag) if code else ""


def _from_alpha2(code: str) -> str:
    # normalize=False: ISO 639-1's own mapping ('tl' → 'tgl'), not CLDR's newer one ('fil').
    try:
        return Language.get(code, normalize=False).to_alpha3(variant="B")
    except LookupError:
        return ""


def _bibliographic(code: str) -> str:
    """'fra' → 'fre'; every other three-letter code is kept as the partner wrote it.

    Only a terminology code (ISO 639-2/T) is rewritten, which langcodes cannot do alone: it
    would also replace the deprecated codes older MARC records keep ('scc' and 'mol' become
    Serbian and Romanian). Those stay as written, and so does a code ISO does not know.
    """
    found = Language.get(code)
    if found.language and len(found.language) == 2 and found.to_alpha3(variant="T") == code:
        return found.to_alpha3(variant="B")
    return code


def _from_name(name: str) -> str:
    """'French', 'Français', 'Deutsch', '中文' → the language's code; '' if no name fits."""
    if len(name) > 64 or not name.isprintable():  # language_data's trie breaks on NUL
        return ""
    try:
        found = Language.find(name)
    except (LookupError, ValueError):  # ValueError: language_data fails on some odd bytes
        return ""
    if not found.language:
        return ""
    return language(found.language)


@lru_cache(maxsize=4096)
def language_name(code: str, interface_lang: str = "en") -> str:
    """'fre' → 'French' (en) or '法语' (zh): a facet's label in the page's language.

    A code with no name in the ISO 639 / CLDR data (a MARC-only or mistyped code) is shown
    as it is, rather than as "Unknown language [xyz]".
    """
    try:
        found = Language.get(code.strip().casefold() or "und")
        if not found.language or not code_to_names(found.language):
            return code
        return found.language_name(interface_lang)
    except ValueError:  # not a language tag at all ('!!'): untrusted partner data
        return code
