"""One romanised key per word, so a word meets its other spellings across scripts.

`Достоевский`, `Dostoevskiĭ` (ALA-LC), `Dostoevsky`, `Dostoyevsky` and `dostoevskii` all get
the key `dostoevski`; `Толстой`, `Tolstoĭ` and `Tolstoy` get `tolstoi`. The key is the word
romanised by anyascii (a maintained Unicode-to-ASCII table covering every script), then
reduced to a skeleton that forgets what romanisation systems disagree on: y/j/i, w/v,
doubled letters, an i between two vowels. The keys are indexed beside the words (in the
loose fields) and each query word's key is searched there, ranked below exact matches.
"""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

_NOT_LETTER = re.compile(r"[^a-z0-9]")
_DOUBLED = re.compile(r"([a-z])\1+")
_I_BETWEEN_VOWELS = re.compile(r"(?<=[aeou])i(?=[aeou])")
_SAME_SOUND = str.maketrans({"y": "i", "j": "i", "w": "v"})
#: Scripts whose "words" are CJK bigrams: their romanisation is not a word (and CJK
#: matching has its own rules, see indexer.text).
_CJK_START = 0x2E80


@lru_cache(maxsize=50_000)
@lru_cache(maxsize=50_000)
def romanised_key(token: str) -> str:
    """The skeleton key of one folded word ("" for numbers and CJK)."""
    if token.isdigit() or any(ord(c) >= _CJK_START for c in token):
        return ""
    latin = _NOT_LETTER.sub("", anyascii(token).lower())
    key = _I_BETWEEN_VOWELS.sub("", _DOUBLED.sub(r"\1", latin.translate(_SAME_SOUND)))
    key = _DOUBLED.sub(r"\1", key)
    return "" if key.isdigit() else key
