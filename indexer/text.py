"""Text analysis done once, in our code, for both engines.

Both engines index the tokens produced here with a plain whitespace tokenizer, and every
query is analysed by the same function, so folding and segmentation can never differ
between the embedded index and Elasticsearch.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that do not decompose into base letter + combining mark under NFD.
_SPECIAL_LETTERS = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "þ": "th", "æ": "ae", "œ": "oe"}
)
_CJK = (
    r"\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u3100-\u312f"
    r"\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    r"\U00020000-\U0002fa1f"
)
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W{_CJK}_]+(?:['’][^\W{_CJK}_]+)*")
_IS_CJK = re.compile(rf"[{_CJK}]")


def fold(text: str) -> str:
    """NFKC, case folding and diacritic removal: 'Écrits' and 'ECRITS' fold alike."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_SPECIAL_LETTERS)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def _cjk_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def analyze(text: str) -> list[str]:
    """The index terms of `text`, in order: folded words, CJK runs as overlapping bigrams."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(fold(text)):
        word = match.group().replace("’", "").replace("'", "")
        if _IS_CJK.match(word):
            tokens.extend(_cjk_bigrams(word))
        elif word:
            tokens.append(word)
    return tokens
