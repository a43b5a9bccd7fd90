"""Interface text in English and Chinese. Partner data is never translated, only our labels."""

from __future__ import annotations

LANGUAGES = ("en", "zh")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "site.tagline": "Search every partner library at once",
        "search.label": "Search the catalogue",
        "search.placeholder": "title, author, subject or ISBN",
        "search.button": "Search",
        "skip": "Skip to results",
        "intro.heading": "Find a book, score or recording in any partner library",
        "refine": "Refine",
        "results.one": "1 result",
        "results.many": "{n} results",
        "results.none": "Nothing matched. Try fewer or different words.",
        "held.one": "Held by 1 library",
        "held.many": "Held by {n} libraries",
        "pager.prev": "Previous",
        "pager.next": "Next",
        "pager.label": "Pages",
        "facets.label": "Refine results",
        "footer": "Records harvested from {n} partner libraries.",
        "facet.library": "Library",
        "facet.format": "Format",
        "facet.language": "Language",
        "facet.decade": "Decade",
        "facet.subject_facet": "Subject",
        "facet.availability": "Availability",
        "facet.available_at": "Available at",
        "status.available": "Available",
        "status.on_loan": "On loan",
        "status.not_loanable": "Library use only",
        "status.unknown": "Ask at the library",
        "work.contributors": "Authors and contributors",
        "work.published": "Published",
        "work.edition": "Edition",
        "work.format": "Format",
        "work.language": "Language",
        "work.description": "Description",
        "work.subjects": "Subjects",
        "work.notes": "Notes",
        "work.online": "Online",
        "work.library": "Library",
        "work.location": "Location",
        "work.call_number": "Call number",
        "work.status": "Status",
        "work.local": "Local catalogue",
        "work.view_at": "View at {name}",
        "work.provenance": "Where this record comes from",
        "work.other_editions": "Other editions",
        "work.matched_by": "matched by {key}",
        "error.503": "Search unavailable",
        "error.404": "Not found",
        "error.other": "Sorry",
        "sort.label": "Sort by",
        "sort.relevance": "Relevance",
        "sort.year_desc": "Newest first",
        "sort.year_asc": "Oldest first",
        "sort.title": "Title",
        "lang.switch": "中文",
        "suggest.lead": "Did you mean",
        "suggest.end": "?",
        "autocomplete.one": "1 suggestion. Use the up and down arrows to choose.",
        "autocomplete.many": "{n} suggestions. Use the up and down arrows to choose.",
        "autocomplete.label": "Suggestions",
        "autocomplete.title": "title",
        "autocomplete.author": "author",
    },
    "zh": {
        "site.tagline": "一次检索所有成员图书馆",
        "search.label": "检索联合目录",
        "search.placeholder": "题名、著者、主题或 ISBN",
        "search.button": "检索",
        "skip": "跳到检索结果",
        "intro.heading": "在任一成员图书馆查找图书、乐谱或录音",
        "refine": "筛选",
        "results.one": "1 条结果",
        "results.many": "{n} 条结果",
        "results.none": "没有找到匹配的记录。请减少或更换检索词。",
        "held.one": "1 个图书馆收藏",
        "held.many": "{n} 个图书馆收藏",
        "pager.prev": "上一页",
        "pager.next": "下一页",
        "pager.label": "分页",
        "facets.label": "筛选结果",
        "footer": "记录来自 {n} 个成员图书馆。",
        "facet.library": "图书馆",
        "facet.format": "文献类型",
        "facet.language": "语种",
        "facet.decade": "年代",
        "facet.subject_facet": "主题",
        "facet.availability": "馆藏状态",
        "facet.available_at": "可借于",
        "status.available": "可借",
        "status.on_loan": "已借出",
        "status.not_loanable": "仅限馆内阅览",
        "status.unknown": "请咨询图书馆",
        "work.contributors": "著者与贡献者",
        "work.published": "出版",
        "work.edition": "版本",
        "work.format": "文献类型",
        "work.language": "语种",
        "work.description": "载体形态",
        "work.subjects": "主题",
        "work.notes": "附注",
        "work.online": "在线资源",
        "work.library": "图书馆",
        "work.location": "馆藏地",
        "work.call_number": "索书号",
        "work.status": "状态",
        "work.local": "本馆目录",
        "work.view_at": "在{name}查看",
        "work.provenance": "记录来源",
        "work.other_editions": "其他版本",
        "work.matched_by": "匹配依据 {key}",
        "error.503": "检索暂不可用",
        "error.404": "未找到",
        "error.other": "抱歉",
        "sort.label": "排序",
        "sort.relevance": "相关度",
        "sort.year_desc": "最新优先",
        "sort.year_asc": "最早优先",
        "sort.title": "题名",
        "lang.switch": "English",
        "suggest.lead": "您是不是要找",
        "suggest.end": "？",
        "autocomplete.one": "1 条建议。请用上下方向键选择。",
        "autocomplete.many": "{n} 条建议。请用上下方向键选择。",
        "autocomplete.label": "检索建议",
        "autocomplete.title": "题名",
        "autocomplete.author": "著者",
    },
}


def choose_language(requested: str | None, accept_language: str | None) -> str:
    """`?lang=` wins; otherwise the first supported language the browser asks for."""
    if requested in LANGUAGES:
        return requested
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def translator(language: str):
    table = TEXT.get(language, TEXT["en"])

    def t(message_id: str, /, **values) -> str:
        text = table.get(message_id) or TEXT["en"].get(message_id, message_id)
        return text.format(**values) if values else text

    return t
