"""Partner health on the web: the staff page /staff/health (role by role) and Prometheus
/metrics (loopback only, or a bearer token), over the run history of a real CLI harvest of
real MARC records from a loopback partner."""

from __future__ import annotations

import dataclasses

import pytest
from prometheus_client.parser import text_string_to_metric_families

from demo.oai_provider import make_app, serve
from tests.fixtures.harvest_cli import Installation, write_registry
from tests.fixtures.ill_web import make_web
from tests.fixtures.oai_faults import marc_records

pytest_plugins = ["tests.fixtures.ill_web"]

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture(scope="module")
def harvested(tmp_path_factory):
    """A data directory after one harvest of partner north (south and east never ran)."""
    tmp_path = tmp_path_factory.mktemp("health-web")
    feed = marc_records(25, library="north")
    with serve(make_app(feed, repository_name="North", page_size=10)) as url:
        installation = Installation(
            tmp_path / "data", "tantivy", write_registry(tmp_path / "p.toml", {"north": url})
        )
        status, output = installation.run("harvest", "--quiet")
    assert status == 0, output
    return installation.data_dir


@pytest.fixture
def web(ill_engine, harvested):
    return make_web(ill_engine, harvested, str(harvested / "shared.sqlite"))


def test_anonymous_is_asked_to_sign_in_and_a_patron_is_refused(web):
    answer = web.client().get("/staff/health")
    assert answer.status_code == 401
    assert "sign in" in answer.get_data(as_text=True).lower()
    assert web.patron().get("/staff/health").status_code == 403


@pytest.mark.parametrize("role", ["staff", "operator"])
def test_staff_see_each_partners_health_quality_and_flags(web, role):
    answer = web.staff("south", f"{role}1", role=role).get("/staff/health")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    north = page[page.index('id="h-north"') : page.index('id="h-south"')]
    assert "Records held</dt><dd>25</dd>" in north
    assert "Metadata quality: 25 records" in north and "Records with a subject heading" in north
    assert "Flagged" not in north
    south = page[page.index('id="h-south"') :]
    assert "stale: never harvested successfully" in south
    assert "2 partners need attention." in page
    assert 'href="/staff/health"' in page  # in the staff menu


def test_the_staff_page_speaks_chinese(web):
    page = web.staff("north", "zh1").get("/staff/health?lang=zh").get_data(as_text=True)
    assert "成员馆健康状况" in page and "Partner health" not in page


def _metrics(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_requests_and_give_the_last_harvest_per_partner(web):
    client = web.client()
    assert client.get("/api/v1/search?q=jazz").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    found = _metrics(answer.get_data(as_text=True))
    search = ("route", "/api/v1/search"), ("method", "GET"), ("status", "200")
    assert found[("fedcat_http_requests_total", tuple(sorted(search)))] == 1
    unmatched = ("route", "(no route)"), ("method", "GET"), ("status", "404")
    assert found[("fedcat_http_requests_total", tuple(sorted(unmatched)))] == 1
    latency = ("fedcat_http_request_duration_seconds_count", (("method", "GET"),
               ("route", "/api/v1/search")))  # fmt: skip
    assert found[latency] == 1
    north = (("partner", "north"),)
    assert found[("fedcat_partner_records", north)] == 25
    assert found[("fedcat_harvest_last_records", north)] == 25
    assert found[("fedcat_harvest_last_errors", north)] == 0
    assert found[("fedcat_harvest_last_duration_seconds", north)] > 0
    assert found[("fedcat_harvest_last_success_timestamp_seconds", north)] > 1.7e9
    assert found[("fedcat_partner_flagged", north)] == 0
    assert found[("fedcat_partner_flagged", (("partner", "south"),))] == 1
    subjects = (("partner", "north"), ("share", "subjects"))
    assert 0 < found[("fedcat_partner_quality_share", subjects)] <= 1


def test_without_a_token_metrics_answer_loopback_clients_only(web):
    refused = web.client().get("/metrics", environ_base=OUTSIDE)
    assert refused.status_code == 403
    assert "FEDCAT_METRICS_TOKEN" in refused.get_data(as_text=True)


def test_with_a_token_metrics_need_it_from_every_client(web):
    shared = web.shared
    shared.settings = dataclasses.replace(shared.settings, metrics_token="s3cret-metrics")
    client = web.client()
    assert client.get("/metrics").status_code == 401  # loopback too
    wrong = {"Authorization": "Bearer guessed"}
    assert client.get("/metrics", headers=wrong, environ_base=OUTSIDE).status_code == 401
    right = {"Authorization": "Bearer s3cret-metrics"}
    answer = client.get("/metrics", headers=right, environ_base=OUTSIDE)
    assert answer.status_code == 200
    assert "fedcat_harvest_last_records" in answer.get_data(as_text=True)
