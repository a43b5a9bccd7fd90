"""The ISO 18626 v1.2 codec: every message round-trips through XML the standard's XSD accepts,
real peers' messages decode, and hostile input gets the right ISO error without fetching
anything."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree

from iso18626.codec import confirm, decode, encode, error_confirmation, kind_of
from iso18626.errors import MessageError
from iso18626.messages import (
    ACTIONS,
    ERROR_TYPES,
    NS,
    REASONS_FOR_MESSAGE,
    REQUEST_TYPES,
    SERVICE_TYPES,
    STATUSES,
    AgencyId,
    Authentication,
    BibliographicInfo,
    Confirmation,
    DeliveryInfo,
    ErrorData,
    Header,
    MessageInfo,
    PublicationInfo,
    Request,
    RequestedDeliveryInfo,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    ServiceInfo,
    StatusInfo,
    SupplyingAgencyMessage,
)
from iso18626.schema import XSD_PATH, assert_valid, safe_parser, validate

FIXTURES = Path(__file__).parent / "fixtures" / "iso18626"
NOW = datetime(2025, 3, 1, 10, 30, 15, tzinfo=UTC)
NORTH = AgencyId("ISIL", "XX-NORTH")
PEER = AgencyId("ISIL", "US-RESHARE1")
HEADER = Header(PEER, NORTH, NOW, "fedcat-7f3a")


def full_request() -> Request:
    return Request(
        header=Header(
            supplying_agency=PEER,
            requesting_agency=NORTH,
            timestamp=NOW,
            requesting_agency_request_id="fedcat-7f3a",
            supplying_agency_request_id="",
            multiple_item_request_id="batch-1",
            authentication=Authentication("north", "code-1"),
        ),
        bibliographic_info=BibliographicInfo(
            supplier_unique_record_id="reshare:rec-9",
            title="Bleak House",
            author="Dickens, Charles",
            subtitle="a novel",
            edition="2nd ed.",
            title_of_component="Chapter 1: In Chancery",
            author_of_component="Dickens",
            volume="1",
            issue="3",
            pages_requested="1-20",
            item_ids=(("ISBN", "9780141439723"), ("ISSN", "0028-0836")),
        ),
        service_info=ServiceInfo("Copy", "New", NOW + timedelta(days=14), "scan, please"),
        publication_info=PublicationInfo("Penguin", "2003", "London"),
        requested_delivery_info=RequestedDeliveryInfo(
            "1 Library Way", "Northtown", "N1 1AA", "GB", "ill@north.example.org"
        ),
        requesting_agency_info=RequestingAgencyInfo("North Library", "ILL desk", "ill@north.ex"),
    )


def full_supplying() -> SupplyingAgencyMessage:
    return SupplyingAgencyMessage(
        header=replace(HEADER, supplying_agency_request_id="RES1-44"),
        message_info=MessageInfo(
            reason_for_message="RequestResponse",
            answer_yes_no=True,
            note="ships Monday",
            reason_unfilled="NotOnShelf",
            reason_retry="LoanCondition",
            retry_after=NOW + timedelta(days=2),
            retry_before=NOW + timedelta(days=9),
        ),
        status_info=StatusInfo("Loaned", NOW, NOW + timedelta(days=3), NOW + timedelta(days=30)),
        delivery_info=DeliveryInfo(NOW, "ITEM-1", "Courier", "LibraryUseOnly"),
    )


def supplying(status: str = "Loaned", reason: str = "StatusChange") -> SupplyingAgencyMessage:
    return SupplyingAgencyMessage(HEADER, MessageInfo(reason), StatusInfo(status, NOW))


def round_trip(message):
    body = encode(message)
    assert_valid(body)
    return decode(body)


def refused(body: bytes, **kwargs) -> MessageError:
    with pytest.raises(MessageError) as caught:
        decode(body, **kwargs)
    return caught.value


def xsd_enumeration(type_name: str) -> tuple[str, ...]:
    xsd = etree.parse(str(XSD_PATH))
    xs = "{http://www.w3.org/2001/XMLSchema}"
    [simple] = [t for t in xsd.iter(f"{xs}simpleType") if t.get("name") == type_name]
    return tuple(e.get("value") for e in simple.iter(f"{xs}enumeration"))


# -- the schema file -----------------------------------------------------------------------


def test_the_shipped_schema_is_the_published_v1_2_file_unchanged():
    import hashlib

    digest = hashlib.sha256(XSD_PATH.read_bytes()).hexdigest()
    assert digest == "a8ed076e4bd8b145fd46a8ef412503a4c36fca55ce56c25cdc064626ab189a41"


@pytest.mark.parametrize(
    ("constant", "xsd_type"),
    [
        (STATUSES, "type_status"),
        (REASONS_FOR_MESSAGE, "type_reasonForMessage"),
        (ACTIONS, "type_action"),
        (SERVICE_TYPES, "type_serviceType"),
        (REQUEST_TYPES, "type_requestType"),
        (ERROR_TYPES, "type_errorType"),
    ],
)
def test_each_closed_list_is_exactly_the_schemas(constant, xsd_type):
    assert constant == xsd_enumeration(xsd_type)


# -- round trips ---------------------------------------------------------------------------


def test_a_request_with_every_field_round_trips_through_valid_xml():
    assert round_trip(full_request()) == full_request()


def test_a_minimal_request_round_trips_with_an_unknown_supplier_left_empty():
    message = Request(
        Header(None, NORTH, NOW, "r-1"), BibliographicInfo(title="Emma"), ServiceInfo("Loan")
    )
    assert round_trip(message) == message


def test_a_supplying_agency_message_with_every_field_round_trips():
    assert round_trip(full_supplying()) == full_supplying()


def test_a_requesting_agency_message_round_trips_with_its_note():
    message = RequestingAgencyMessage(HEADER, "ShippedReturn", note="sent by post")
    assert round_trip(message) == message


@pytest.mark.parametrize("kind", ["request", "supplyingAgencyMessage", "requestingAgencyMessage"])
@pytest.mark.parametrize("errors", [(), (ErrorData("UnrecognisedDataValue", "status Lost"),)])
def test_confirmations_of_each_kind_round_trip(kind, errors):
    message = Confirmation(
        kind=kind,
        supplying_agency=PEER,
        requesting_agency=NORTH,
        timestamp=NOW,
        requesting_agency_request_id="fedcat-7f3a",
        timestamp_received=NOW - timedelta(seconds=2),
        message_status="ERROR" if errors else "OK",
        errors=errors,
        reason_for_message="StatusChange" if kind == "supplyingAgencyMessage" else "",
        action="Renew" if kind == "requestingAgencyMessage" else "",
    )
    decoded = round_trip(message)
    assert decoded == message and decoded.ok is (not errors)


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_round_trips(status):
    assert round_trip(supplying(status)).status_info.status == status


@pytest.mark.parametrize("reason", REASONS_FOR_MESSAGE)
def test_every_reason_for_message_round_trips(reason):
    assert round_trip(supplying(reason=reason)).message_info.reason_for_message == reason


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_round_trips(action):
    assert round_trip(RequestingAgencyMessage(HEADER, action)).action == action


@pytest.mark.parametrize("service_type", SERVICE_TYPES)
@pytest.mark.parametrize("request_type", [*REQUEST_TYPES, None])
def test_every_service_and_request_type_round_trips(service_type, request_type):
    message = replace(full_request(), service_info=ServiceInfo(service_type, request_type))
    assert round_trip(message).service_info == ServiceInfo(service_type, request_type)


@pytest.mark.parametrize("error_type", ERROR_TYPES)
def test_every_error_type_round_trips_in_a_confirmation(error_type):
    message = confirm(supplying(), now=NOW, errors=[ErrorData(error_type, "why")])
    assert round_trip(message).errors == (ErrorData(error_type, "why"),)


def test_datetimes_are_written_with_a_timezone_and_read_back_as_the_same_instant():
    plus_two = datetime(2025, 3, 1, 12, 30, 15, 250000, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2025, 3, 1, 10, 30, 15)  # fedcat stores UTC
    message = replace(supplying(), status_info=StatusInfo("Loaned", plus_two, due_date=naive))
    body = encode(message)
    assert b"<lastChange>2025-03-01T12:30:15.250000+02:00</lastChange>" in body
    assert b"<dueDate>2025-03-01T10:30:15Z</dueDate>" in body
    decoded = decode(body)
    assert decoded.status_info.last_change == plus_two
    assert decoded.status_info.due_date == naive.replace(tzinfo=UTC)


def test_encode_refuses_what_the_schema_would_not_accept():
    with pytest.raises(ValueError, match="status"):
        encode(supplying("Lost"))
    with pytest.raises(ValueError, match="reasonForMessage"):
        encode(replace(confirm(full_request(), now=NOW), reason_for_message="StatusChange"))


def test_the_root_carries_the_namespace_and_the_qualified_version_the_schema_requires():
    root = etree.fromstring(encode(supplying()))
    assert root.tag == f"{{{NS}}}ISO18626Message"
    assert root.get(f"{{{NS}}}version") == "1.2"


def test_agency_ids_parse_from_and_print_as_type_colon_value():
    assert AgencyId.parse("ISIL:DK-710100") == AgencyId("ISIL", "DK-710100")
    assert AgencyId.parse("OCLC:a:b") == AgencyId("OCLC", "a:b")
    assert str(AgencyId("ISIL", "DK-710100")) == "ISIL:DK-710100"
    with pytest.raises(ValueError, match="TYPE:VALUE"):
        AgencyId.parse("DK-710100")


# -- confirmations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "kind", "reason", "action"),
    [
        (full_request(), "request", "", ""),
        (full_supplying(), "supplyingAgencyMessage", "RequestResponse", ""),
        (RequestingAgencyMessage(HEADER, "Renew"), "requestingAgencyMessage", "", "Renew"),
    ],
)
def test_confirm_answers_with_the_right_kind_and_echoes_the_header(message, kind, reason, action):
    later = NOW + timedelta(seconds=1)
    confirmation = confirm(message, now=later)
    assert (confirmation.kind, confirmation.reason_for_message, confirmation.action) == (
        kind,
        reason,
        action,
    )
    assert kind_of(message) == kind
    assert confirmation.ok
    assert confirmation.requesting_agency_request_id == message.header.requesting_agency_request_id
    assert confirmation.supplying_agency == message.header.supplying_agency
    assert confirmation.requesting_agency == message.header.requesting_agency
    assert (confirmation.timestamp, confirmation.timestamp_received) == (later, NOW)
    assert_valid(encode(confirmation))


def test_confirm_with_errors_is_an_error_confirmation_with_the_first_error():
    errors = [ErrorData("UnsupportedActionType", "Renew not now"), ErrorData("BadlyFormedMessage")]
    confirmation = confirm(RequestingAgencyMessage(HEADER, "Renew"), now=NOW, errors=errors)
    assert confirmation.message_status == "ERROR" and not confirmation.ok
    assert confirmation.errors == (errors[0],)
    assert_valid(encode(confirmation))


def test_a_confirmation_is_not_itself_confirmed():
    with pytest.raises(ValueError):
        confirm(confirm(full_request(), now=NOW), now=NOW)


# -- what other implementations send -------------------------------------------------------


def test_a_reshare_style_request_with_the_ill_prefix_decodes():
    message = decode((FIXTURES / "reshare_request.xml").read_bytes())
    assert isinstance(message, Request)
    assert message.header.requesting_agency == AgencyId("ISIL", "US-RESHARE1")
    assert message.header.supplying_agency == NORTH
    assert message.header.requesting_agency_request_id == "RES1-0000187"
    assert message.header.timestamp == datetime(2025, 2, 11, 9, 41, 7, 325000, tzinfo=UTC)
    assert message.bibliographic_info.title == "Middlemarch : a study of provincial life"
    assert message.bibliographic_info.supplier_unique_record_id == "north:b1000042"
    assert message.bibliographic_info.item_ids == (("ISBN", "9780141439549"),)
    assert message.service_info == ServiceInfo(
        "Loan", "New", datetime(2025, 3, 31, tzinfo=UTC), "Any edition will do"
    )
    assert message.requested_delivery_info == RequestedDeliveryInfo(
        "Interlibrary Loan, 1 Library Way", "Springfield", "12345", "US", "ill@reshare1.example.org"
    )


def test_a_peers_patron_data_is_dropped_and_the_drop_recorded():
    message = decode((FIXTURES / "reshare_request.xml").read_bytes())
    assert "patronInfo" in message.dropped
    for patron_datum in ("P-55501", "Quimby", "Hortense"):
        assert patron_datum not in repr(message)


def test_a_notification_with_an_empty_note_and_no_status_change_is_accepted():
    message = decode((FIXTURES / "reshare_notification.xml").read_bytes())
    assert isinstance(message, SupplyingAgencyMessage)
    assert message.message_info == MessageInfo("Notification", note="")
    assert message.status_info.status == "WillSupply"
    assert message.status_info.last_change == datetime(2025, 2, 12, 12, 50, tzinfo=UTC)


def test_will_supply_without_expect_to_supply_first_is_just_a_request_response():
    message = supplying("WillSupply", reason="RequestResponse")
    assert round_trip(message) == message


def test_a_plain_version_attribute_is_taken_as_the_qualified_one():
    body = encode(supplying()).replace(b'ill:version="1.2"', b'version="1.2"')
    assert validate(body) != []  # the schema alone would refuse it
    assert decode(body) == supplying()


def test_a_request_without_service_info_is_read_as_a_loan():
    body = encode(full_request())
    root = etree.fromstring(body)
    request = root[0]
    request.remove(request.find(f"{{{NS}}}serviceInfo"))
    assert decode(etree.tostring(root)).service_info == ServiceInfo("Loan")


def test_a_timestamp_without_timezone_is_utc_and_long_fractions_are_cut_to_microseconds():
    body = encode(supplying()).replace(
        b"<timestamp>2025-03-01T10:30:15Z", b"<timestamp>2025-03-01T10:30:15.1234567"
    )
    assert decode(body).header.timestamp == NOW.replace(microsecond=123456)


# -- refused input -------------------------------------------------------------------------


class _CountingServer:
    """A loopback HTTP server that counts the requests it gets: nothing should reach it."""

    def __init__(self) -> None:
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                counter.hits += 1
                body = b'<!ENTITY leak "LEAKED">'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.hits = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def counting_server():
    server = _CountingServer()
    yield server
    server.close()


def with_doctype(doctype: str, title: str) -> bytes:
    body = encode(full_request()).decode()
    body = body.replace("<?xml version='1.0' encoding='UTF-8'?>", "")
    return (doctype + body.replace("Bleak House", title)).encode()


def test_billion_laughs_is_refused_as_badly_formed_without_expanding():
    laughs = "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' if i else '<!ENTITY lol0 "lol">'
        for i in range(10)
    )
    body = with_doctype(f"<!DOCTYPE ISO18626Message [{laughs}]>", "&lol9;")
    started = time.monotonic()
    error = refused(body)
    assert error.error_type == "BadlyFormedMessage" and "DOCTYPE" in error.error_value
    assert time.monotonic() - started < 2


def test_an_external_entity_to_a_file_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doctype = f'<!DOCTYPE ISO18626Message [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    body = with_doctype(doctype, "&xxe;")
    error = refused(body)
    assert error.error_type == "BadlyFormedMessage"
    assert "TOP-SECRET" not in error.error_value
    # and the parser itself leaves the entity unexpanded
    parsed = etree.tostring(etree.fromstring(body, safe_parser()))
    assert b"TOP-SECRET" not in parsed


def test_an_external_entity_or_dtd_on_loopback_is_never_fetched(counting_server):
    url = counting_server.url
    bodies = [
        with_doctype(f'<!DOCTYPE ISO18626Message [<!ENTITY x SYSTEM "{url}/e">]>', "&x;"),
        with_doctype(f'<!DOCTYPE ISO18626Message SYSTEM "{url}/dtd">', "Bleak House"),
        with_doctype(f'<!DOCTYPE ISO18626Message [<!ENTITY % p SYSTEM "{url}/p"> %p;]>', "&leak;"),
    ]
    for body in bodies:
        assert refused(body).error_type == "BadlyFormedMessage"
        assert validate(body) != []
    location = f'xsi:schemaLocation="{NS} {url}/schema.xsd" xmlns:xsi='
    located = encode(supplying()).replace(
        b"xmlns:ill=", f'{location}"http://www.w3.org/2001/XMLSchema-instance" xmlns:ill='.encode()
    )
    assert decode(located) == supplying()
    assert counting_server.hits == 0


def test_a_body_over_the_size_limit_is_refused_before_parsing():
    body = encode(replace(supplying(), message_info=MessageInfo("Notification", note="x" * 2000)))
    error = refused(body, max_bytes=1000)
    assert error.error_type == "BadlyFormedMessage" and "1000 bytes" in error.error_value
    assert decode(body, max_bytes=len(body)).message_info.note == "x" * 2000


@pytest.mark.parametrize(
    "body",
    [b"", b"not xml at all", b"<html><body>502 Bad Gateway</body></html>"],
    ids=["empty", "text", "html"],
)
def test_what_is_not_an_iso_message_is_badly_formed(body):
    error = refused(body)
    assert error.error_type == "BadlyFormedMessage" and error.kind is None
    confirmation = error_confirmation(error, now=NOW)
    assert confirmation.kind == "request" and confirmation.message_status == "ERROR"
    assert_valid(encode(confirmation))


def test_truncated_xml_is_badly_formed():
    body = encode(full_request())
    assert refused(body[: len(body) // 2]).error_type == "BadlyFormedMessage"


def test_the_wrong_namespace_is_badly_formed():
    body = encode(supplying()).replace(NS.encode(), b"http://example.org/not-iso")
    error = refused(body)
    assert error.error_type == "BadlyFormedMessage" and "namespace" in error.error_value


def test_a_message_without_version_is_badly_formed_but_its_ids_are_known():
    body = encode(supplying()).replace(b' ill:version="1.2"', b"")
    error = refused(body)
    assert error.error_type == "BadlyFormedMessage" and "version" in error.error_value
    assert error.kind == "supplyingAgencyMessage"
    assert error.requesting_agency_request_id == "fedcat-7f3a"


def test_another_version_is_an_unrecognised_value():
    body = encode(supplying()).replace(b'ill:version="1.2"', b'ill:version="2021"')
    assert refused(body).error_type == "UnrecognisedDataValue"


def test_an_unknown_element_is_unrecognised_and_named():
    body = encode(supplying()).replace(b"</messageInfo>", b"<mood>cheerful</mood></messageInfo>")
    error = refused(body)
    assert (error.error_type, error.error_value) == ("UnrecognisedDataElement", "messageInfo/mood")
    assert error.kind == "supplyingAgencyMessage"


def test_an_element_from_another_message_type_is_unrecognised():
    body = encode(RequestingAgencyMessage(HEADER, "Cancel")).replace(
        b"</action>", b"</action><statusInfo/>"
    )
    assert refused(body).error_type == "UnrecognisedDataElement"


def test_an_unknown_message_type_is_unrecognised():
    body = encode(supplying()).replace(b"supplyingAgencyMessage>", b"lendingMessage>")
    error = refused(body)
    assert error.error_type == "UnrecognisedDataElement" and error.kind is None


def test_status_lost_is_an_unrecognised_value_and_the_error_confirmation_echoes_the_ids():
    body = encode(supplying()).replace(b"<status>Loaned", b"<status>Lost")
    error = refused(body)
    assert error.error_type == "UnrecognisedDataValue" and "Lost" in error.error_value
    assert error.kind == "supplyingAgencyMessage"
    assert (error.supplying_agency, error.requesting_agency) == (PEER, NORTH)
    confirmation = error_confirmation(error, now=NOW)
    assert confirmation.kind == "supplyingAgencyMessage"
    assert confirmation.requesting_agency_request_id == "fedcat-7f3a"
    assert confirmation.reason_for_message == "StatusChange"
    assert confirmation.timestamp_received == NOW
    assert confirmation.errors == (ErrorData("UnrecognisedDataValue", error.error_value),)
    assert_valid(encode(confirmation))


def test_an_unknown_action_is_an_unsupported_action_type():
    body = encode(RequestingAgencyMessage(HEADER, "Cancel")).replace(b"Cancel", b"Destroy")
    error = refused(body)
    assert error.error_type == "UnsupportedActionType" and error.action == "Destroy"
    confirmation = error_confirmation(error, now=NOW)
    assert confirmation.action == ""  # not echoed: the schema would refuse it
    assert_valid(encode(confirmation))


def test_an_unknown_reason_for_message_is_an_unsupported_reason():
    body = encode(supplying()).replace(b"StatusChange", b"Gossip")
    assert refused(body).error_type == "UnsupportedReasonForMessageType"


def test_a_yes_no_answer_outside_y_and_n_is_an_unrecognised_value():
    message = replace(supplying(), message_info=MessageInfo("RenewResponse", answer_yes_no=True))
    body = encode(message).replace(b"<answerYesNo>Y", b"<answerYesNo>Yes")
    assert refused(body).error_type == "UnrecognisedDataValue"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<requestingAgencyRequestId>fedcat-7f3a</requestingAgencyRequestId>", b""),
        (b"<lastChange>2025-03-01T10:30:15Z</lastChange>", b""),
        (b"<timestamp>2025-03-01T10:30:15Z", b"<timestamp>yesterday"),
        (b"<status>Loaned</status>", b"<status>Loaned</status><status>Loaned</status>"),
    ],
    ids=["missing request id", "missing lastChange", "bad date", "status twice"],
)
def test_what_else_the_schema_forbids_is_badly_formed(old, new):
    body = encode(supplying()).replace(old, new)
    assert body != encode(supplying())
    error = refused(body)
    assert error.error_type == "BadlyFormedMessage" and error.error_value.startswith("line ")
    assert error.kind == "supplyingAgencyMessage"


def test_validate_lists_the_schemas_complaints_and_assert_valid_raises_them():
    assert validate(encode(full_request())) == []
    problems = validate(encode(supplying()).replace(b"Loaned", b"Lost"))
    assert problems and "Lost" in problems[0]
    with pytest.raises(AssertionError, match="Lost"):
        assert_valid(encode(supplying()).replace(b"Loaned", b"Lost"))
    assert validate(b"<oops")[0].startswith("not well-formed XML")


def test_a_doctype_in_utf16_is_refused_too_and_a_utf16_message_decodes():
    body = with_doctype('<!DOCTYPE ISO18626Message [<!ENTITY x "y">]>', "&x;").decode()
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16")
    assert refused(utf16).error_value == "a DOCTYPE is not allowed in an ISO 18626 message"
    plain = encode(supplying()).decode().replace("encoding='UTF-8'", "encoding='UTF-16'")
    assert decode(plain.encode("utf-16")) == supplying()


def test_the_protocol_package_imports_only_the_standard_library_lxml_and_itself():
    import ast
    import sys

    package = XSD_PATH.parent.parent
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    assert "lxml" in imported and "iso18626" in imported
    assert imported - sys.stdlib_module_names - {"lxml", "iso18626"} == set()
