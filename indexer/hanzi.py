"""Han characters in search: one form for every way of writing a character, and Chinese words.

Folding: traditional, simplified and Japanese forms of a character meet on its simplified
form, character for character (`simplified`). zhconv's table folds traditional Chinese;
OpenCC's Japanese table (shinjitai → kyūjitai) and its traditional → simplified table fold a
Japanese form (図 経 気 関 → 图 经 气 关), so 経済学 and 经济学 meet. A Japanese form is
folded only when no Chinese standard set has it (neither GB 2312 nor Big5 can write it): 欠,
芸, 予 and 弁 are Japanese forms of 缺, 藝, 豫 and 辨 but also Chinese characters with
meanings of their own, and folding them would make distinct Chinese words one.

Folding is per character, not by phrase, on purpose: the index and the query are folded
alike, so a query meets a title whatever the context its characters stand in. A phrase
converter (OpenCC's t2s keeps 乾 in 乾隆 but makes it 干 in 乾燥) would fold a title and a
query cut from it differently.

Words: jieba's dictionary cuts each Han run (after folding) into words (`word_terms`). They
are indexed beside the bigrams, in the loose fields, and a query's words add to the score of
a work that has them whole: 研究生 (graduate student) ranks 研究生教育 above 研究生命的起源
(research on life), which has the same bigrams. They never decide what matches: the
bigrams do, so a query jieba cuts otherwise than the title still finds it.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import jieba
import opencc
from zhconv import zhconv

#: Prefix of a word term in a loose field, beside the stems' "<lang>:" terms.
WORD_PREFIX = "zh:"
#: Han: the unified ideographs, extension A, the compatibility ideographs and the
#: supplementary planes' extensions.
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))


def is_han(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _HAN_RANGES)


@lru_cache(maxsize=1)
def _traditional_table() -> dict[str, str]:
    """zhconv's traditional → simplified characters (its MediaWiki table), one for one."""
    table = zhconv.getdict("zh-hans")
    return {t: s for t, s in table.items() if len(t) == 1 and len(s) == 1 and t != s}


@lru_cache(maxsize=1)
def _opencc() -> tuple[opencc.OpenCC, opencc.OpenCC]:
    return opencc.OpenCC("jp2t"), opencc.OpenCC("t2s")


def _in_chinese_standard(char: str) -> bool:
    for encoding in ("gb2312", "big5"):
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            continue
        return True
    return False


def simplified(char: str) -> str:
    """The one form `char` is folded to: simplified Chinese for a traditional or a
    Japanese-only form, `char` itself for any other character."""
    table = _traditional_table()
    if char in table:
        return table[char]
    if not is_han(char) or _in_chinese_standard(char):
        return char
    japanese, traditional = _opencc()
    converted = traditional.convert(japanese.convert(char))
    if len(converted) != 1:
        return char
    return table.get(converted, converted)


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict..." on every start
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


def _han_runs(tokens: list[str]) -> list[str]:
    """The Han text the bigrams in `tokens` were cut from: each run of overlapping two-Han
    bigrams (图书 书馆 → 图书馆). Kana, hangul and words of letters end a run."""
    runs: list[str] = []
    run = ""
    for token in tokens:
        if len(token) == 2 and is_han(token[0]) and is_han(token[1]):
            if run and run[-1] == token[0]:
                run += token[1]
                continue
            if len(run) >= 2:
                runs.append(run)
            run = token
        else:
            if len(run) >= 2:
                runs.append(run)
            run = ""
    if len(run) >= 2:
        runs.append(run)
    return runs


def words(tokens: list[str]) -> list[str]:
    """The dictionary words of two or more characters in the Han runs of `tokens` (the
    output of text.analyze), each once, in order."""
    found: dict[str, None] = {}
    for run in _han_runs(tokens):
        for word in _segmenter().lcut(run, HMM=False):
            if len(word) >= 2:
                found[word] = None
    return list(found)


def word_terms(tokens: list[str]) -> list[str]:
    """The loose-field terms of the words of `tokens` ("zh:图书馆")."""
    return [WORD_PREFIX + word for word in words(tokens)]
