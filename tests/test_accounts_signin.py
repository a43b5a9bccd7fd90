"""Sign-in, throttling and sessions through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from accounts import schema
from accounts.errors import (
    AccountError,
    InvalidAccount,
    SessionInvalid,
    SignInRefused,
    SignInThrottled,
)
from accounts.passwords import SecretHasher

pytest_plugins = ["tests.fixtures.accounts_stores"]

PIN = "4711-ok"
PASSWORD = "correct horse battery"


@pytest.fixture
def ann(account_service):
    account, generated = account_service.add_patron(
        "north", "P100", "Ann Reader", "ann@example.org", PIN
    )
    assert generated is None
    return account


def fail(service, card: str = "P100", client: str = "10.0.0.1", library: str = "north"):
    with pytest.raises((SignInRefused, SignInThrottled)) as caught:
        service.sign_in_patron(library, card, "wrong-pin", client)
    return caught.value


def login_key(service, account) -> str:
    return service._login_key(account.library_id, account.card_number)


# sign-in ------------------------------------------------------------------------------------


def test_a_patron_signs_in_with_card_number_and_pin(account_service, ann, account_clock):
    signed_in = account_service.sign_in_patron("north", "P100", PIN, "10.0.0.1")
    assert signed_in.account == ann
    assert signed_in.session.account_id == ann.id
    assert signed_in.session.created_at == account_clock.now
    assert signed_in.session.expires_at == account_clock.now + timedelta(hours=12)
    assert account_service.session(signed_in.token)[0] == ann


def test_the_session_token_has_256_random_bits_and_only_its_sha256_is_stored(account_service, ann):
    tokens = {account_service.sign_in_patron("north", "P100", PIN, "c").token for _ in range(3)}
    assert len(tokens) == 3
    assert all(len(token) == 43 for token in tokens)  # 32 bytes, URL-safe base64
    with account_service.store.engine.connect() as connection:
        rows = connection.execute(sa.select(schema.sessions)).all()
    stored = {row.token_hash for row in rows}
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    dumped = repr(rows)
    assert not any(token in dumped for token in tokens)


def test_wrong_pin_and_unknown_card_are_refused_alike(account_service, ann):
    with pytest.raises(SignInRefused) as wrong:
        account_service.sign_in_patron("north", "P100", "0000", "c")
    with pytest.raises(SignInRefused) as unknown:
        account_service.sign_in_patron("north", "P999", PIN, "c")
    with pytest.raises(SignInRefused):
        account_service.sign_in_patron("south", "P100", PIN, "c")
    assert str(wrong.value) == str(unknown.value)
    assert str(wrong.value) == "sign-in refused: unknown account or wrong PIN/password"


def test_staff_sign_in_with_a_username_in_any_case(account_service):
    desk = account_service.add_staff("south", "Desk.South", PASSWORD, name="Front desk")
    operator = account_service.add_staff("north", "ops", PASSWORD, role="operator")
    assert desk.username == "desk.south" and desk.role == "staff"
    assert account_service.sign_in_staff("DESK.south", PASSWORD, "c").account == desk
    assert account_service.sign_in_staff("ops", PASSWORD, "c").account == operator
    with pytest.raises(SignInRefused):
        account_service.sign_in_staff("desk.south", PASSWORD.upper(), "c")


def test_bad_account_fields_are_refused_without_quoting_them(account_service):
    with pytest.raises(InvalidAccount, match="^password: 12-1024 characters$"):
        account_service.add_staff("north", "desk", "short")
    with pytest.raises(InvalidAccount, match="^email: not an e-mail address"):
        account_service.add_patron("north", "P1", "Ann", "ann-at-example", PIN)
    with pytest.raises(InvalidAccount, match="^card number: "):
        account_service.add_patron("north", "P 1", "Ann", "", PIN)
    with pytest.raises(InvalidAccount, match="^PIN: 4-64 characters"):
        account_service.add_patron("north", "P1", "Ann", "", "123")
    with pytest.raises(AccountError, match="'patron': staff accounts are"):
        account_service.add_staff("north", "desk", PASSWORD, role="patron")
    assert account_service.store.list_accounts() == []


def test_a_generated_pin_is_returned_once_and_signs_in(account_service):
    account, pin = account_service.add_patron("north", "P7", "Bo", "")
    assert pin is not None and len(pin) == 8 and pin.isdigit()
    assert account_service.sign_in_patron("north", "P7", pin, "c").account == account


def test_a_hash_with_old_parameters_is_replaced_at_the_next_sign_in(
    account_store, make_account_service, ann
):
    old_hash = account_store.find_patron("north", "P100")[1]
    assert "$m=8192,t=1,p=1$" in old_hash
    stronger = SecretHasher(PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1))
    service = make_account_service(account_store, hasher=stronger)
    service.sign_in_patron("north", "P100", PIN, "c")
    new_hash = account_store.find_patron("north", "P100")[1]
    assert "$m=16384,t=2,p=1$" in new_hash
    service.sign_in_patron("north", "P100", PIN, "c")
    assert account_store.find_patron("north", "P100")[1] == new_hash


# throttling ---------------------------------------------------------------------------------


def test_five_failures_lock_the_account_and_each_next_failure_doubles_the_lock(
    account_service, ann, account_clock
):
    for _ in range(4):
        assert isinstance(fail(account_service), SignInRefused)
    assert isinstance(fail(account_service), SignInRefused)  # the 5th is checked, then locks
    locked = fail(account_service)
    assert isinstance(locked, SignInThrottled) and locked.retry_after == 30
    with pytest.raises(SignInThrottled):  # even the right PIN waits
        account_service.sign_in_patron("north", "P100", PIN, "10.0.0.2")
    for expected in (60, 120, 240):
        account_clock.advance(seconds=locked.retry_after)
        assert isinstance(fail(account_service), SignInRefused)
        locked = fail(account_service)
        assert locked.retry_after == expected
    assert account_service.store.throttle_state(login_key(account_service, ann))[0] == 8


def test_the_lock_never_exceeds_an_hour(account_service, ann, account_clock):
    for _ in range(5):
        fail(account_service)
    for _ in range(12):
        account_clock.advance(hours=1)
        fail(account_service)
    assert fail(account_service).retry_after == 3600


def test_a_success_clears_the_account_counter(account_service, ann):
    for _ in range(4):
        fail(account_service)
    account_service.sign_in_patron("north", "P100", PIN, "10.0.0.1")
    assert account_service.store.throttle_state(login_key(account_service, ann)) == (0, None)
    for _ in range(4):
        assert isinstance(fail(account_service), SignInRefused)


def test_failures_are_forgotten_a_day_after_the_last_one(account_service, ann, account_clock):
    for _ in range(4):
        fail(account_service)
    account_clock.advance(hours=24)
    fail(account_service)
    assert account_service.store.throttle_state(login_key(account_service, ann)) == (1, None)


def test_one_client_trying_many_cards_is_locked_after_twenty_failures(account_service, ann):
    for number in range(20):
        assert isinstance(fail(account_service, card=f"X{number}"), SignInRefused)
    assert isinstance(fail(account_service, card="X99"), SignInThrottled)
    with pytest.raises(SignInThrottled):
        account_service.sign_in_patron("north", "P100", PIN, "10.0.0.1")
    other = account_service.sign_in_patron("north", "P100", PIN, "10.0.0.9")
    assert other.account == ann


def test_a_success_takes_back_only_its_own_attempt_from_the_client(account_service, ann):
    for number in range(3):
        fail(account_service, card=f"X{number}")
    account_service.sign_in_patron("north", "P100", PIN, "10.0.0.1")
    client_key = account_service._client_key("10.0.0.1")
    assert account_service.store.throttle_state(client_key) == (3, None)


def test_throttle_rows_name_no_card_number_and_no_client(account_service, ann):
    fail(account_service, client="192.0.2.77")
    with account_service.store.engine.connect() as connection:
        keys = [row.key for row in connection.execute(sa.select(schema.throttle))]
    assert len(keys) == 2
    assert sorted(key.split(":")[0] for key in keys) == ["client", "login"]
    assert not any("P100" in key or "192.0.2.77" in key for key in keys)


def test_several_hosts_share_the_counter_and_racing_failures_each_count(
    account_store_factory, make_account_service, account_store
):
    """Ten wrong PINs at once through two hosts: five are checked, five wait; none slips by."""
    hosts = [make_account_service(account_store_factory.open()) for _ in range(2)]
    account, _ = hosts[0].add_patron("north", "P100", "Ann", "", PIN)
    start = threading.Barrier(10)
    outcomes: list[str] = []

    def attempt(host) -> None:
        start.wait()
        try:
            host.sign_in_patron("north", "P100", "wrong-pin", "10.0.0.1")
        except SignInRefused:
            outcomes.append("refused")
        except SignInThrottled:
            outcomes.append("throttled")

    threads = [threading.Thread(target=attempt, args=(hosts[i % 2],)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["refused"] * 5 + ["throttled"] * 5
    failures, locked_until = account_store.throttle_state(login_key(hosts[0], account))
    assert failures == 5 and locked_until is not None
    assert account_store.throttle_state(hosts[1]._client_key("10.0.0.1"))[0] == 5


# sessions -----------------------------------------------------------------------------------


def test_a_session_ends_after_thirty_idle_minutes(account_service, ann, account_clock):
    token = account_service.sign_in_patron("north", "P100", PIN, "c").token
    account_clock.advance(minutes=29)
    assert account_service.session(token)[1].last_seen_at == account_clock.now
    account_clock.advance(minutes=29)
    account_service.session(token)
    account_clock.advance(minutes=30)
    with pytest.raises(SessionInvalid, match="session expired"):
        account_service.session(token)
    assert account_service.sessions_of(ann.id) == []
    with pytest.raises(SessionInvalid, match="unknown or revoked"):
        account_service.session(token)


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(
    account_service, ann, account_clock
):
    token = account_service.sign_in_patron("north", "P100", PIN, "c").token
    for _ in range(24):
        account_clock.advance(minutes=29)
        account_service.session(token)
    account_clock.advance(minutes=24)  # 12 h after sign-in
    with pytest.raises(SessionInvalid, match="session expired"):
        account_service.session(token)


def test_sign_out_ends_one_session_and_revoke_all_ends_the_rest(account_service, ann):
    tokens = [account_service.sign_in_patron("north", "P100", PIN, "c").token for _ in range(3)]
    assert account_service.sign_out(tokens[0]) is True
    assert account_service.sign_out(tokens[0]) is False
    with pytest.raises(SessionInvalid):
        account_service.session(tokens[0])
    assert account_service.session(tokens[1])[0] == ann
    assert account_service.revoke_all_sessions(ann.id) == 2
    for token in tokens[1:]:
        with pytest.raises(SessionInvalid):
            account_service.session(token)


def test_revoke_one_session_by_id_leaves_the_others(account_service, ann):
    first, second = (account_service.sign_in_patron("north", "P100", PIN, "c") for _ in "ab")
    assert account_service.revoke_session(first.session.id) is True
    assert [s.id for s in account_service.sessions_of(ann.id)] == [second.session.id]


def test_a_new_pin_ends_every_session(account_service, ann):
    token = account_service.sign_in_patron("north", "P100", PIN, "c").token
    assert account_service.set_secret(ann.id, "9999-new") == 1
    with pytest.raises(SessionInvalid):
        account_service.session(token)
    with pytest.raises(SignInRefused):
        account_service.sign_in_patron("north", "P100", PIN, "c")
    assert account_service.sign_in_patron("north", "P100", "9999-new", "c").account == ann


def test_purge_deletes_expired_sessions_and_day_old_counters(account_service, ann, account_clock):
    old = account_service.sign_in_patron("north", "P100", PIN, "c").token
    fail(account_service, card="P404", client="10.9.9.9")
    account_clock.advance(hours=24, minutes=1)
    fresh = account_service.sign_in_patron("north", "P100", PIN, "c").token
    assert account_service.purge_expired() == (1, 2)
    assert len(account_service.sessions_of(ann.id)) == 1
    assert account_service.session(fresh)[0] == ann
    with pytest.raises(SessionInvalid, match="unknown or revoked"):
        account_service.session(old)
    with account_service.store.engine.connect() as connection:
        assert connection.execute(sa.select(schema.throttle)).all() == []


def test_last_seen_is_written_at_most_every_thirty_seconds(account_service, ann, account_clock):
    signed_in = account_service.sign_in_patron("north", "P100", PIN, "c")
    account_clock.advance(seconds=20)
    assert account_service.session(signed_in.token)[1].last_seen_at == signed_in.session.created_at
    account_clock.advance(seconds=10)
    assert account_service.session(signed_in.token)[1].last_seen_at == account_clock.now
    assert account_service.sessions_of(ann.id)[0].last_seen_at == account_clock.now


def test_an_overlong_secret_is_refused_and_counted(account_service, ann):
    with pytest.raises(SignInRefused):
        account_service.sign_in_patron("north", "P100", "9" * 1025, "c")
    assert account_service.store.throttle_state(login_key(account_service, ann))[0] == 1


def test_a_removed_account_cannot_sign_in_and_its_sessions_end(account_service, ann):
    token = account_service.sign_in_patron("north", "P100", PIN, "c").token
    account_service.remove_account(ann.id)
    with pytest.raises(SessionInvalid):
        account_service.session(token)
    with pytest.raises(SignInRefused):
        account_service.sign_in_patron("north", "P100", PIN, "c")
    with pytest.raises(AccountError, match=f"no account {ann.id}"):
        account_service.remove_account(ann.id)


def test_production_hashes_use_argon2_cffi_defaults_and_the_setting_changes_them(tmp_path):
    """FEDCAT_PASSWORD_COST unset: the web app hashes with argon2-cffi's own costs (RFC 9106
    low-memory: t=3, 64 MiB, 4 lanes); tests' cheap costs come only from setting it."""
    from argon2 import extract_parameters

    from config.settings import DEFAULT_PASSWORD_COST, SettingsError, from_environment
    from config.settings import Settings as AppSettings
    from search_ui.app import create_app

    library = PasswordHasher()
    assert DEFAULT_PASSWORD_COST == (library.time_cost, library.memory_cost, library.parallelism)
    assert (
        from_environment({}).password_cost
        == (3, 65536, 4)
        == AppSettings(data_dir=tmp_path).password_cost
    )
    app = create_app(AppSettings(data_dir=tmp_path, rate_limit=None), partners=[])
    account, _ = app.extensions["fedcat"].accounts.add_patron("north", "P1", "Ann", pin="2468")
    found = app.extensions["fedcat"].accounts.store.find_patron("north", "P1")
    assert found is not None and found[0].id == account.id
    stored = found[1]
    made = extract_parameters(stored)
    assert (made.time_cost, made.memory_cost, made.parallelism) == (3, 65536, 4)
    assert from_environment({"FEDCAT_PASSWORD_COST": "1,8,1"}).password_cost == (1, 8, 1)
    with pytest.raises(SettingsError, match="FEDCAT_PASSWORD_COST"):
        from_environment({"FEDCAT_PASSWORD_COST": "1,4,1"})  # under 8 KiB a lane
