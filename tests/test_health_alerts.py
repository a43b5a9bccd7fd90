"""Alerts by mail to the operator: a real harvest that leaves a partner newly flagged sends
one mail through a real SMTP server on loopback (aiosmtpd); the same flag at the next run
sends none; a flag that cleared and comes back is new again; a server that is down keeps
the alert for the next harvest."""

from __future__ import annotations

from demo.oai_provider import REPOSITORY, make_app, serve
from tests.fixtures.harvest_cli import Installation, write_registry
from tests.fixtures.oai_faults import marc_records

pytest_plugins = ["tests.fixtures.smtp"]

OPERATOR = "ops@consortium.example"


def test_a_partner_newly_flagged_mails_the_operator_once(tmp_path, smtp_server):
    feed = marc_records(30, library="north")
    app = make_app(feed, repository_name="North", page_size=10)
    with serve(app) as url:
        installation = Installation(
            tmp_path / "data", "tantivy", write_registry(tmp_path / "p.toml", {"north": url})
        )
        mail = {
            "FEDCAT_OPERATOR_EMAIL": OPERATOR,
            "FEDCAT_SMTP_HOST": "127.0.0.1",
            "FEDCAT_SMTP_PORT": str(smtp_server.port),
            "FEDCAT_SMTP_FROM": "fedcat@consortium.example",
        }
        status, output = installation.run("harvest", "--quiet", "--full", **mail)
        assert status == 0, output
        assert smtp_server.received == []  # a healthy partner: nothing to tell

        for provider_record in feed[5:]:  # the partner's export comes back short
            app[REPOSITORY].vanish(provider_record.identifier)
        outputs = []
        for _ in range(2):
            status, output = installation.run("harvest", "--quiet", "--full", **mail)
            assert status == 1, output  # the removal is held
            outputs.append(output)
        assert "alert mail sent to the operator: 1 new health flags" in outputs[0]
        assert "alert mail" not in outputs[1]
        (alert,) = smtp_server.received  # the second run's standing flag sends no more
        assert alert.recipients == (OPERATOR,)
        assert alert.subject == "[fedcat] partner health: north flagged"
        assert "north: removal held: confirm with fedcat harvest --allow-removal" in alert.body

        status, output = installation.run("harvest", "--quiet", "--full", "--allow-removal", **mail)
        assert status == 0, output  # confirmed: the flag clears
        smtp_server.stop()
        for provider_record in feed[:5]:
            app[REPOSITORY].vanish(provider_record.identifier)
        status, output = installation.run("harvest", "--quiet", "--full", **mail)
        assert "alert mail not sent (ConnectionRefusedError)" in output, output
        smtp_server.start()
        status, output = installation.run("harvest", "--quiet", "--full", **mail)
        assert "alert mail sent to the operator: 1 new health flags" in output, output
    assert len(smtp_server.received) == 2  # the same trouble again, after it cleared
    assert "removal held" in smtp_server.received[-1].body


def test_without_an_operator_address_a_harvest_sends_no_mail(tmp_path, smtp_server):
    with serve(make_app(marc_records(5), repository_name="North")) as url:
        installation = Installation(
            tmp_path / "data",
            "tantivy",
            write_registry(tmp_path / "p.toml", {"north": url, "south": url + "-gone"}),
        )
        status, output = installation.run(
            "harvest", "--quiet", FEDCAT_SMTP_HOST="127.0.0.1",
            FEDCAT_SMTP_PORT=str(smtp_server.port),
        )  # fmt: skip
    assert status == 1, output  # south fails: flagged stale, never harvested
    assert smtp_server.received == [] and "alert mail" not in output
