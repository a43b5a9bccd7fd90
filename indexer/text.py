"""Text analysis done once, in our code, for both engines.

Both engines index the tokens produced here with a plain whitespace tokenizer, and every
query is analysed by the same function, so folding and segmentation can never differ
between the embedded index and Elasticsearch.
"""

from __future__ import annotations

import re
import unicodedata

from indexer.hanzi import simplified

# Letters that do not decompose into base letter + combining mark under NFD.
_SPECIAL_LETTERS = {
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "ħ": "h",
    "ı": "i",
    "þ": "th",
    "æ": "ae",
    "œ": "oe",
    "ß": "ss",
    # Letters of their own in Cyrillic alphabets, not и/у with a diacritic (the Russian
    # and Belarusian stemmers and transliteration need them as they are).
    "й": "й",
    "ў": "ў",
}
#: Romanisation marks that are written as letters inside a word and typed by nobody:
#: ALA-LC's soft and hard signs (ʹ ʺ), alif and ayn (ʼ ʻ ʾ ʿ), and the like. NACO
#: normalisation deletes them, so "moʻadim" is "moadim" and "Qurʼān" is "quran".
_DELETED = "\u02b9\u02ba\u02bb\u02bc\u02bd\u02be\u02bf\u02c8\u02cc"
#: Combining marks that are diacritics, stripped by folding: those of the Latin, Greek and
#: Cyrillic scripts (in the general blocks), ALA-LC's ligature ties, Hebrew points and
#: Arabic vowel signs (which readers and patrons leave out). Every other combining mark
#: (Devanagari and the other Indic scripts, Thai, Tibetan, ...) is part of a letter and stays.
_DIACRITIC_RANGES = (
    (0x0300, 0x036F),
    (0x0483, 0x0489),
    (0x0591, 0x05C7),
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x06D6, 0x06ED),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
#: Invisible format characters (the zero-width joiner inside an Indic conjunct, direction
#: marks, soft hyphen), which are not part of what a word means. The zero-width non-joiner
#: is not among them: in Persian it parts the pieces of a compound (جهان‌بینی), which
#: writers also part by a space, so it ends a word, as the query parser reads it too.
IGNORED_CHARACTERS = "\u00ad\u200b\u200d\u200e\u200f\u2060\ufeff"
_CJK = (
    r"\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u3100-\u312f"
    r"\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    r"\U00020000-\U0002fa1f"
)


def _mark_class() -> str:
    """Every combining mark below U+20000, as a regular-expression class body.

    Python's \\w leaves marks out, so "बाल" would end at its vowel sign; a word is made of
    letters, digits and the marks that go with them.
    """
    ranges: list[tuple[int, int]] = []
    for code in range(0x0300, 0x20000):
        if unicodedata.category(chr(code)) in ("Mn", "Mc", "Me"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        f"\\u{a:04x}-\\u{b:04x}" if a < 0x10000 else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges
    )


#: Han and kana (with the iteration and prolonged-sound marks): the scripts whose words
#: are not divided by spaces, so a space between two of their characters is a cataloguer's
#: word division (older LC/RLIN records: 理智　与　情感), not a word boundary. Hangul is
#: not among them: Korean divides words by spaces.
_UNDIVIDED = (
    r"\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
)
_WORD_DIVISION = re.compile(rf"(?<=[{_UNDIVIDED}])[ \u3000]+(?=[{_UNDIVIDED}])")


#: a space between two hangul syllables: a word division in Korean, which patrons often
#: leave out (한국목록규칙 for 한국 목록 규칙)
_HANGUL_GAP = re.compile(r"([\uac00-\ud7a3])[ \u3000]+(?=([\uac00-\ud7a3]))")


def hangul_gap_bigrams(values: list[str]) -> list[str]:
    """The bigrams across each word division of hangul in `values` (목록 규칙 → 록규).

    Hangul keeps its spaces in the index (a Korean patron who types them means words), and
    these bigrams, added after a field's own terms, let the same words typed without the
    spaces find it too: every bigram of 한국목록규칙 is then in 한국 목록 규칙's field."""
    return [fold(a + b) for value in values for a, b in _HANGUL_GAP.findall(value)]


def join_divided_cjk(text: str) -> str:
    """'理智　与　情感' → '理智与情感': spaces (and ideographic spaces) between Han or kana
    characters deleted, so word-divided and undivided forms give the same bigrams."""
    return _WORD_DIVISION.sub("", text) if " " in text or "\u3000" in text else text


_MARKS = _mark_class()
# A CJK run, a hyphenated digit group such as an ISBN (final X allowed), or a word.
# Apostrophes end a word, so "l'art" gives "l" and "art".
_TOKEN = re.compile(rf"[{_CJK}]+|\d+(?:-\d+)+(?:-?x)?\b|(?:[^\W{_CJK}_]|[{_MARKS}])+")
_IS_CJK = re.compile(rf"[{_CJK}]")
#: _TOKEN on ASCII text without hyphens, where only its last alternative can match.
_ASCII_WORD = re.compile(r"[^\W_]+", re.ASCII)
_ISSN_LIKE = re.compile(r"\d{4}-\d{3}[\dx]")


class _FoldTable(dict):
    """str.translate table filled on first sight of each non-ASCII character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = _SPECIAL_LETTERS.get(char)
        if folded is None and (char in _DELETED or char in IGNORED_CHARACTERS):
            folded = ""
        if folded is None and 0x30A1 <= code <= 0x30F6:
            folded = chr(code - 0x60)  # katakana → hiragana: a reading typed either way
        if folded is None:
            folded = simplified(char)  # Han: one form for traditional, Japanese, simplified
            decomposed = unicodedata.normalize("NFD", folded)
            stripped = "".join(c for c in decomposed if not is_diacritic(c))
            folded = unicodedata.normalize("NFC", stripped)
        self[code] = folded
        return folded


def is_diacritic(char: str) -> bool:
    """A combining mark that folding strips (see _DIACRITIC_RANGES): not a letter's part."""
    code = ord(char)
    return unicodedata.combining(char) > 0 and any(a <= code <= b for a, b in _DIACRITIC_RANGES)


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """NFKC, case and diacritic folding, simplified Chinese, hiragana for katakana:
    'Écrits'/'ECRITS' fold alike, and so do 'トウキョウ'/'とうきょう'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return text if text.isascii() else text.translate(_FOLD_TABLE)


def _cjk_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _issn_check_ok(digits: str) -> bool:
    total = sum((8 - i) * int(d) for i, d in enumerate(digits[:7]))
    check = (11 - total % 11) % 11
    return digits[7] == ("x" if check == 10 else str(check))


def _digit_groups(word: str) -> list[str]:
    """'978-0-14-044913-6' → one token; '1998-2001' stays two years (unless ISSN-shaped)."""
    parts = word.split("-")
    joined = "".join(parts)
    if len(parts) >= 3:
        return [joined]
    if _ISSN_LIKE.fullmatch(word) and _issn_check_ok(joined):
        return [*parts, joined]
    return parts


def analyze(text: str) -> list[str]:
    """The index terms of `text`, in order: folded words, CJK runs as overlapping bigrams.

    A space ends a CJK run here; the index and the query parser join word-divided CJK
    (`join_divided_cjk`) before analysis, each value and each query on its own."""
    folded = fold(text)
    if "-" not in folded and folded.isascii():
        return _ASCII_WORD.findall(folded)  # the common case: plain words only
    tokens: list[str] = []
    for word in _TOKEN.findall(folded):
        if _IS_CJK.match(word):
            tokens.extend(_cjk_bigrams(word))
        elif "-" in word:
            tokens.extend(_digit_groups(word))
        else:
            tokens.append(word)
    return tokens


_SPAN = re.compile(_TOKEN.pattern, re.IGNORECASE)


def term_spans(text: str) -> list[tuple[int, int, str]]:
    """Where each index term of `text` comes from: (start, end, term) over `text` as written.

    For highlighting: the terms are those the index has (`analyze` after `join_divided_cjk`),
    so a match is exactly what a search matched. A CJK bigram spans its two characters
    (neighbouring bigrams overlap), and the word division between them when there is one.
    """
    if "-" not in text and text.isascii():  # plain words only, as in analyze()
        return [(m.start(), m.end(), m.group().lower()) for m in _ASCII_WORD.finditer(text)]
    # where each character of the text, its CJK word divisions deleted, stands in `text`
    divisions = {i for m in _WORD_DIVISION.finditer(text) for i in range(m.start(), m.end())}
    kept = [i for i in range(len(text)) if i not in divisions]
    joined = "".join(text[i] for i in kept) if divisions else text
    spans: list[tuple[int, int, str]] = []
    for match in _SPAN.finditer(joined):
        start, word = match.start(), match.group()
        if _IS_CJK.match(word):
            for offset, bigram in enumerate(_cjk_bigrams(word)):
                first, last = kept[start + offset], kept[start + offset + len(bigram) - 1]
                spans.append((first, last + 1, fold(bigram)))
        else:
            spans.extend((kept[start], kept[match.end() - 1] + 1, t) for t in analyze(word))
    return spans
