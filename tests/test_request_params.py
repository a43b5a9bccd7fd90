"""URL parameters of a search become a SearchRequest, or a BadParameter that names the parameter."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from indexer.query import FACET_FIELDS, SORTS, MatchAll, Phrase, Words
from search_ui.query_parser import BadQuery
from search_ui.request_params import (
    DEFAULT_FACETS,
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    MAX_RESULTS,
    BadParameter,
    search_request_from_params,
)

PARTNERS = {"north", "south", "east"}


def bad(params, known_libraries=PARTNERS) -> BadParameter:
    with pytest.raises(BadParameter) as caught:
        search_request_from_params(params, known_libraries)
    return caught.value


def test_no_parameters_is_the_first_page_of_everything():
    search = search_request_from_params({})
    assert search.query == MatchAll()
    assert (search.offset, search.limit) == (0, DEFAULT_PER_PAGE)
    assert search.sort == "relevance"
    assert search.filters == {} and search.home_library is None
    assert (search.year_from, search.year_to) == (None, None)


def test_query_text_is_parsed():
    search = search_request_from_params({"q": 'title:"the hobbit" tolkien'})
    assert search.query.clauses == (Phrase("title", "the hobbit"), Words("all", "tolkien"))


def test_overlong_query_raises_bad_query():
    with pytest.raises(BadQuery):
        search_request_from_params({"q": "x" * 501})


def test_page_and_per_page_give_offset_and_limit():
    search = search_request_from_params({"page": "3", "per_page": "15"})
    assert (search.offset, search.limit) == (30, 15)


def test_limit_is_an_alias_of_per_page():
    assert search_request_from_params({"limit": "5"}).limit == 5
    assert search_request_from_params({"limit": "5", "per_page": "5"}).limit == 5


def test_per_page_and_limit_disagreeing_is_refused():
    assert "limit" in str(bad({"per_page": "5", "limit": "6"}))


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "²", "9" * 30])
def test_page_must_be_a_positive_whole_number(value):
    error = bad({"page": value})
    assert error.parameter == "page" and '"page"' in str(error)


def test_last_reachable_page_is_allowed_and_the_next_is_refused_with_the_limit():
    last = MAX_RESULTS // 20
    search = search_request_from_params({"page": str(last), "per_page": "20"})
    assert search.offset + search.limit == MAX_RESULTS
    error = bad({"page": str(last + 1), "per_page": "20"})
    assert error.parameter == "page"
    assert str(MAX_RESULTS) in str(error) and str(last) in str(error)


def test_page_depth_accounts_for_a_per_page_that_does_not_divide_the_limit():
    search = search_request_from_params({"page": "33", "per_page": "30"})
    assert search.offset + search.limit <= MAX_RESULTS
    assert bad({"page": "34", "per_page": "30"}).parameter == "page"


@pytest.mark.parametrize("value", ["0", str(MAX_PER_PAGE + 1), "many", "100000"])
def test_per_page_outside_its_range_is_refused(value):
    error = bad({"per_page": value})
    assert error.parameter == "per_page" and str(MAX_PER_PAGE) in str(error)


def test_per_page_at_its_maximum_is_accepted():
    assert search_request_from_params({"per_page": str(MAX_PER_PAGE)}).limit == MAX_PER_PAGE


@pytest.mark.parametrize("sort", SORTS)
def test_every_known_sort_is_accepted(sort):
    assert search_request_from_params({"sort": sort}).sort == sort


def test_unknown_sort_is_refused_listing_the_sorts():
    error = bad({"sort": "sideways"})
    assert error.parameter == "sort" and "year_desc" in str(error)


def test_repeated_facet_parameters_are_ored_filters():
    params = MultiDict([("f.library", "north"), ("f.library", "south"), ("f.format", "book")])
    search = search_request_from_params(params, PARTNERS)
    assert search.filters == {"library": ["north", "south"], "format": ["book"]}


def test_plain_dict_with_list_values_gives_the_same_filters():
    search = search_request_from_params({"f.library": ["north", "south", "north"]})
    assert search.filters == {"library": ["north", "south"]}


def test_empty_filter_values_are_ignored():
    assert search_request_from_params({"f.format": ["", " "]}).filters == {}


def test_unknown_facet_filter_is_refused_naming_it():
    error = bad({"f.nosuchfacet": "x"})
    assert error.parameter == "f.nosuchfacet" and "nosuchfacet" in str(error)


def test_year_range_is_read():
    search = search_request_from_params({"year_from": "1850", "year_to": "1900"})
    assert (search.year_from, search.year_to) == (1850, 1900)


@pytest.mark.parametrize(
    ("name", "value"), [("year_from", "abc"), ("year_to", "10000"), ("year_from", "-5")]
)
def test_year_outside_a_sane_range_is_refused(name, value):
    assert bad({name: value}).parameter == name


def test_year_from_after_year_to_is_refused():
    error = bad({"year_from": "1900", "year_to": "1850"})
    assert "year_to" in str(error) and "1900" in str(error)


def test_known_home_library_is_used():
    assert search_request_from_params({"library": "south"}, PARTNERS).home_library == "south"


def test_unknown_home_library_is_refused():
    assert bad({"library": "atlantis"}).parameter == "library"


def test_any_home_library_when_no_partners_are_given():
    assert search_request_from_params({"library": "west"}).home_library == "west"


def test_default_facets_are_all_but_available_at():
    assert search_request_from_params({}).facets == DEFAULT_FACETS
    assert "available_at" not in DEFAULT_FACETS
    assert set(DEFAULT_FACETS) == set(FACET_FIELDS) - {"available_at", "subject_facet_suggested"}


def test_facets_can_be_comma_separated_or_repeated():
    params = MultiDict([("facets", "library, format"), ("facets", "available_at")])
    facets = search_request_from_params(params).facets
    assert facets == ("library", "format", "available_at")


def test_empty_facets_parameter_counts_no_facets():
    assert search_request_from_params({"facets": ""}).facets == ()


def test_unknown_facet_to_count_is_refused():
    assert bad({"facets": "library,colour"}).parameter == "facets"


def test_blank_values_are_the_same_as_absent_ones():
    search = search_request_from_params({"q": "", "page": "", "year_from": " ", "sort": ""})
    assert search == search_request_from_params({})


def test_single_parameter_repeated_with_different_values_is_refused():
    assert bad(MultiDict([("page", "1"), ("page", "2")])).parameter == "page"
    search = search_request_from_params(MultiDict([("q", "crime"), ("q", "crime")]))
    assert search.query == Words("all", "crime")


def test_parameters_of_the_pages_are_ignored():
    assert search_request_from_params({"lang": "zh"}) == search_request_from_params({})


def test_bad_parameter_is_a_value_error():
    assert issubclass(BadParameter, ValueError)
