"""The search box syntax: what a patron types becomes our query types, or a readable BadQuery."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.query import (
    SEARCH_FIELDS,
    And,
    MatchAll,
    Not,
    Or,
    Phrase,
    Query,
    SearchRequest,
    Words,
)
from indexer.text import analyze
from search_ui.query_parser import MAX_DEPTH, MAX_QUERY_LENGTH, MAX_TERMS, BadQuery, parse_query
from tests.fixtures.builders import record
from tests.fixtures.real_records import mapped_records

NEPALI = "evergreen/nepali.marc"

ISBN = "9780140449136"


def all_words(text: str) -> Words:
    return Words("all", text)


# -- words, phrases, fields -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "\x00"])
def test_empty_query_matches_everything(text):
    assert parse_query(text) == MatchAll()


def test_plain_words_must_all_match_as_one_words_clause():
    assert parse_query("crime  punishment") == all_words("crime punishment")


def test_quoted_phrase_becomes_phrase_clause():
    assert parse_query('"crime and punishment"') == Phrase("all", "crime and punishment")


def test_typographic_quotes_make_a_phrase_too():
    assert parse_query("„Der Prozess“") == Phrase("all", "Der Prozess")


def test_unbalanced_quote_is_closed_at_the_end():
    assert parse_query('dostoyevsky "crime and') == And(
        (all_words("dostoyevsky"), Phrase("all", "crime and"))
    )


def test_field_prefix_applies_to_the_next_word_only():
    assert parse_query("title:hobbit tolkien") == And(
        (Words("title", "hobbit"), all_words("tolkien"))
    )


def test_field_prefix_applies_to_a_phrase():
    assert parse_query('author:"le guin"') == Phrase("author", "le guin")


def test_field_prefix_applies_to_every_term_of_a_group():
    assert parse_query('subject:(war "civil rights")') == And(
        (Words("subject", "war"), Phrase("subject", "civil rights"))
    )


def test_field_inside_a_fielded_group_wins():
    assert parse_query("title:(hobbit author:tolkien)") == And(
        (Words("title", "hobbit"), Words("author", "tolkien"))
    )


def test_field_names_are_case_insensitive():
    assert parse_query("Title:hobbit") == Words("title", "hobbit")
    assert parse_query("AUTHOR:tolkien") == Words("author", "tolkien")


def test_publisher_series_and_issn_prefixes():
    assert parse_query("publisher:penguin") == Words("publisher", "penguin")
    assert parse_query('Series:"world classics"') == Phrase("series", "world classics")
    assert parse_query("issn:0028-0836") == Words("isbn", "0028-0836")


def test_space_after_a_field_prefix_is_forgiven():
    assert parse_query("title: hamlet") == Words("title", "hamlet")


def test_unknown_prefix_is_plain_text():
    assert parse_query("Star Wars: a new hope") == all_words("Star Wars: a new hope")
    assert parse_query("foo:bar") == all_words("foo:bar")


def test_isbn_with_hyphens_is_one_words_clause_without_hyphens():
    assert parse_query("978-0-14-044913-6") == all_words(ISBN)
    assert parse_query("isbn:978-0-14-044913-6") == Words("isbn", ISBN)
    assert parse_query("isbn:0-14-044913-X") == Words("isbn", "014044913X")
    assert parse_query('isbn:"978 0 14 044913 6"') == Words("isbn", ISBN)


def test_hyphenated_words_are_not_negated():
    assert parse_query("jean-paul sartre") == all_words("jean-paul sartre")


def test_punctuation_only_words_are_dropped():
    assert parse_query("Harry Potter & the ...") == all_words("Harry Potter the")
    assert parse_query('crime "--" -&') == all_words("crime")


def test_query_of_punctuation_only_matches_everything():
    assert parse_query("& ... ()") == MatchAll()


def test_control_characters_separate_words():
    assert parse_query("crime\x00punishment\u200b") == all_words("crime punishment")


def test_zero_width_joiner_inside_a_devanagari_word_is_deleted_not_a_space():
    (title,) = [
        t
        for r in mapped_records(NEPALI)
        for t in (r.title, r.subtitle)
        if "\u200d" in t and "गोर्खा" in t
    ]
    query = parse_query(title)
    assert query == all_words(title.replace("\u200d", ""))
    assert "राइफल्स्को" in analyze(query.text)  # one word, as the index has it


# -- operators --------------------------------------------------------------------------------


def test_lowercase_and_is_a_word():
    assert parse_query("rock and roll") == all_words("rock and roll")


def test_lowercase_or_and_not_are_words():
    assert parse_query("to be or not to be") == all_words("to be or not to be")


def test_uppercase_and_joins_terms():
    assert parse_query('crime AND "punishment"') == And(
        (all_words("crime"), Phrase("all", "punishment"))
    )


def test_or_gives_alternatives():
    assert parse_query("tolkien OR lewis") == Or((all_words("tolkien"), all_words("lewis")))


def test_and_binds_tighter_than_or():
    assert parse_query("a b OR c AND d") == Or((all_words("a b"), all_words("c d")))


def test_not_binds_tighter_than_and():
    assert parse_query("crime NOT idiot punishment") == And(
        (all_words("crime punishment"), Not(all_words("idiot")))
    )


def test_leading_minus_is_not():
    assert parse_query('tolkien -hobbit -"lord of the rings"') == And(
        (all_words("tolkien"), Not(all_words("hobbit")), Not(Phrase("all", "lord of the rings")))
    )


def test_query_of_only_negations_is_an_and_of_nots():
    assert parse_query("-hobbit NOT silmarillion") == And(
        (Not(all_words("hobbit")), Not(all_words("silmarillion")))
    )


def test_double_negation_cancels():
    assert parse_query("NOT -hobbit") == all_words("hobbit")


def test_parentheses_group_and_nest():
    assert parse_query("(tolkien OR lewis) -(hobbit OR (narnia lion))") == And(
        (
            Or((all_words("tolkien"), all_words("lewis"))),
            Not(Or((all_words("hobbit"), all_words("narnia lion")))),
        )
    )


def test_operator_right_after_a_field_is_a_word():
    assert parse_query("title:OR") == Words("title", "OR")


@pytest.mark.parametrize(
    "text",
    ["AND crime", "crime AND", "crime OR", "OR crime", "crime AND OR", "crime NOT", "crime -"],
)
def test_dangling_operator_is_dropped(text):
    assert parse_query(text) == all_words("crime")


def test_dangling_field_prefix_is_dropped():
    assert parse_query("crime title:") == all_words("crime")


@pytest.mark.parametrize("text", ["(crime OR idiot", "crime OR idiot)", ")crime OR (idiot"])
def test_unbalanced_parentheses_are_repaired(text):
    assert parse_query(text) == Or((all_words("crime"), all_words("idiot")))


# -- limits -----------------------------------------------------------------------------------


def test_overlong_query_is_refused_with_the_limit_in_the_message():
    with pytest.raises(BadQuery, match=str(MAX_QUERY_LENGTH)) as caught:
        parse_query("a" * (MAX_QUERY_LENGTH + 1))
    assert caught.value.query


def test_query_of_exactly_the_maximum_length_is_accepted():
    assert parse_query("a" * MAX_QUERY_LENGTH) == all_words("a" * MAX_QUERY_LENGTH)


def test_too_many_terms_is_refused():
    parse_query(" ".join(["w"] * MAX_TERMS))
    with pytest.raises(BadQuery, match="too many terms"):
        parse_query(" ".join(["w"] * (MAX_TERMS + 1)))


def test_too_deep_parentheses_are_refused():
    parse_query("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)
    with pytest.raises(BadQuery, match="parentheses"):
        parse_query("(" * (MAX_DEPTH + 1) + "x")


def test_bad_query_is_a_value_error():
    assert issubclass(BadQuery, ValueError)


# -- any input: a query or BadQuery, quickly ------------------------------------------------

SYNTAX = st.sampled_from(
    ['"', "“", "”", "(", ")", ":", "-", " ", "AND", "OR", "NOT", "title:", "isbn:", "author:("]
)
NOISE = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=20)


def is_valid_query(node: Query) -> bool:
    if isinstance(node, MatchAll):
        return True
    if isinstance(node, Words | Phrase):
        return node.field in SEARCH_FIELDS and bool(analyze(node.text))
    if isinstance(node, And | Or):
        return len(node.clauses) >= 2 and all(
            is_valid_query(c) and not isinstance(c, MatchAll | type(node)) for c in node.clauses
        )
    if isinstance(node, Not):
        return is_valid_query(node.clause) and not isinstance(node.clause, MatchAll | Not)
    return False


@settings(max_examples=400, deadline=None)
@given(st.lists(SYNTAX | NOISE | st.text(max_size=5), max_size=60).map("".join))
def test_any_text_parses_to_a_query_or_raises_bad_query(text):
    assert_parsed_or_refused(text)


@pytest.mark.parametrize(
    "text", ['"' * 500, "(" * 500, "-" * 500, "title:" * 83, "NOT " * 125, "a:" * 250]
)
def test_worst_case_input_is_parsed_or_refused_with_a_message(text):
    """Pathological input ends in a query or a BadQuery, never a RecursionError or a hang."""
    assert_parsed_or_refused(text)


def assert_parsed_or_refused(text: str) -> None:
    try:
        result = parse_query(text)
    except BadQuery as exc:
        assert str(exc)
    else:
        assert is_valid_query(result), result


# -- parsed queries on the real engines ---------------------------------------------------------


def test_parsed_queries_find_what_a_patron_expects(catalog):
    catalog.add_records(
        [
            record("north", "n1", "Crime and punishment", author="Dostoyevsky", isbns=(ISBN,)),
            record("south", "s1", "The idiot", author="Dostoyevsky, Fyodor"),
            record("east", "e1", "The hobbit", author="Tolkien, J. R. R."),
        ]
    )

    def titles(text: str) -> list[str]:
        result = catalog.engine.search(SearchRequest(query=parse_query(text), sort="title"))
        return [hit.payload["title"] for hit in result.hits]

    assert titles("isbn:978-0-14-044913-6") == ["Crime and punishment"]
    assert titles("dostoyevsky -idiot") == ["Crime and punishment"]
    assert titles('title:"the hobbit" OR author:(fyodor dostoyevsky)') == [
        "The hobbit",
        "The idiot",
    ]
    assert titles("-dostoyevsky") == ["The hobbit"]
    assert titles("Crime & punishment:") == ["Crime and punishment"]


def test_a_nepali_title_pasted_with_its_zero_width_joiner_finds_its_work(catalog):
    records = mapped_records(NEPALI)
    (record_,) = [r for r in records if "\u200d" in r.title]
    catalog.add_records(records)
    result = catalog.engine.search(SearchRequest(query=parse_query(record_.title), limit=3))
    assert result.hits[0].payload["title"] == record_.title
