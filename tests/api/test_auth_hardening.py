"""Hardening of access control (issue 14): the default admin is created on the first start of a
store and by DELETE /reset only (a deleted one stays deleted across restarts and respawns); a
public admin password on a non-loopback address is warned about (log, GET /health); failed
logins back off per user name (429 with Retry-After, shared by every worker of the host); new
passwords have at least 8 characters while old short ones still log in."""

import hashlib
import json
import os
import signal
import sqlite3
import threading
import time

import pytest
import requests

from apiutil import (
    ADMIN_NAME,
    assert_error,
    assert_json_status,
    call,
    create_user,
    credentials,
    login,
    new_session,
    quote,
    user_token,
)
import conftest
from conftest import TEST_STORE

OPS = "ops-admin"
OPS_PASSWORD = "ops-admin's own password"


def login_status(stack, name, password):
    """PUT /authenticate on a fresh connection: (status, response)."""
    session = new_session()
    try:
        r = call(stack, "PUT", "/authenticate", session=session, token=None,
                 json=credentials(name, password))
    finally:
        session.close()
    return r.status_code, r


def assert_login_refused(stack, name, password):
    status, r = login_status(stack, name, password)
    assert status == 401, f"{name}: {status} {r.text[:200]}"
    assert_error(r, "not_permitted", 401)


def user_names(stack, token):
    return {u["name"] for u in assert_json_status(call(stack, "GET", "/users", token=token), 200)}


def respawn_only_worker(stack):
    """Kills the stack's only worker and waits until its replacement answers (with one worker,
    an answer means the new process finished starting: reg_app_new ran)."""
    [victim] = stack.worker_pids()
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pids = stack.worker_pids()
        if pids and victim not in pids:
            try:
                if call(stack, "GET", "/health", token=None, timeout=5).status_code == 200:
                    return pids[0]
            except requests.RequestException:
                pass
        time.sleep(0.1)
    raise AssertionError(f"no worker replaced {victim}: {stack.worker_pids()}")


# -- the default admin ------------------------------------------------------------------------


def test_deleted_default_admin_stays_deleted(stack_factory):
    """An admin deletes the default admin (keeping another): a restart of the whole stack
    (master and workers) and a respawned worker leave it deleted; DELETE /reset brings it back."""
    s = stack_factory(workers=1)
    ops = user_token(s, OPS, is_admin=True, password=OPS_PASSWORD)
    assert_json_status(call(s, "DELETE", f"/users/{quote(ADMIN_NAME)}", token=ops), 200)
    assert_login_refused(s, ADMIN_NAME, s.admin_password)

    s.restart()
    assert_login_refused(s, ADMIN_NAME, s.admin_password)
    ops = login(s, OPS, OPS_PASSWORD)
    assert user_names(s, ops) == {OPS}

    respawn_only_worker(s)
    assert_login_refused(s, ADMIN_NAME, s.admin_password)
    ops = login(s, OPS, OPS_PASSWORD)
    assert user_names(s, ops) == {OPS}

    # DELETE /reset re-creates the default admin (call() logs the stack in as it again).
    assert_json_status(call(s, "DELETE", "/reset", token=ops), 200)
    assert_json_status(call(s, "GET", "/users"), 200)
    assert user_names(s, s.token) == {ADMIN_NAME}
    assert_login_refused(s, OPS, OPS_PASSWORD)
    # And a restart after the reset keeps it.
    s.restart()
    s.login()
    assert user_names(s, s.token) == {ADMIN_NAME}


def test_other_host_does_not_bring_back_the_default_admin(backend, stack_factory):
    """Two hosts on one DynamoDB table: a host that starts after the default admin was deleted
    does not re-create it."""
    if backend != "dynamodb":
        pytest.skip("hosts share a DynamoDB table; the SQLite store belongs to one host")
    a = stack_factory(workers=2)
    ops = user_token(a, OPS, is_admin=True, password=OPS_PASSWORD)
    assert_json_status(call(a, "DELETE", f"/users/{quote(ADMIN_NAME)}", token=ops), 200)
    b = conftest.Stack(workers=2, env={"DYNAMODB_TABLE": a.env["DYNAMODB_TABLE"]})
    try:
        b.start()
        for host in (a, b):
            assert_login_refused(host, ADMIN_NAME, host.admin_password)
            assert user_names(host, login(host, OPS, OPS_PASSWORD)) == {OPS}
    finally:
        assert b.teardown() is None


def test_hosts_starting_together_on_a_fresh_table(backend, stack_factory):
    """Two hosts (each a master and workers) starting at once on a table nobody has used: the
    default admin exists once, and both accept it."""
    if backend != "dynamodb":
        pytest.skip("hosts share a DynamoDB table; the SQLite store belongs to one host")
    table = f"registry-together-{os.getpid()}-{time.monotonic_ns()}"
    hosts = [conftest.Stack(workers=2, env={"DYNAMODB_TABLE": table}) for _ in range(2)]
    threads = [threading.Thread(target=h.start) for h in hosts]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for h in hosts:
            assert h.proc is not None and h.port is not None
            h.login()
            assert user_names(h, h.token) == {ADMIN_NAME}
    finally:
        problems = [p for p in (h.teardown() for h in hosts) if p]
        assert not problems, problems


# -- a public admin password on an open address -------------------------------------------------


def health_warnings(stack):
    """The warnings of GET /health ([] when it has none: the answer is then {"status": "ok"})."""
    body = assert_json_status(call(stack, "GET", "/health", token=None), 200)
    assert body["status"] == "ok"
    if "warnings" not in body:
        assert body == {"status": "ok"}
        return []
    assert isinstance(body["warnings"], list) and body["warnings"], body
    return body["warnings"]


def registryd_log(stack):
    with open(os.path.join(stack.log_dir, "registryd.log"), errors="replace") as f:
        return f.read()


def test_no_warning_on_loopback(stack):
    assert health_warnings(stack) == []


def test_public_admin_password_on_every_address_is_warned_about(stack_factory):
    """REGISTRY_LISTEN=0.0.0.0 with the contract's password: GET /health carries the warning
    and the master logs it at start. (This stack listens on every address of the machine, on a
    free port, for the few seconds the test takes.)"""
    s = stack_factory(workers=2, REGISTRY_LISTEN="0.0.0.0")
    warnings = health_warnings(s)
    assert len(warnings) == 1, warnings
    assert "REGISTRY_ADMIN_PASSWORD" in warnings[0] and ADMIN_NAME in warnings[0], warnings
    log = registryd_log(s)
    assert any("WARN" in line and "REGISTRY_ADMIN_PASSWORD" in line for line in log.splitlines()), (
        log[-2000:])


def test_own_admin_password_on_every_address_is_fine(stack_factory):
    s = stack_factory(workers=2, REGISTRY_LISTEN="0.0.0.0",
                      REGISTRY_ADMIN_PASSWORD="an admin password of our own")
    assert health_warnings(s) == []
    assert "REGISTRY_ADMIN_PASSWORD" not in registryd_log(s)


# -- login backoff ----------------------------------------------------------------------------

FREE_FAILURES = 5
BACKOFF_MS = 1500


@pytest.fixture(scope="module")
def backoff_stack(module_stack_factory):
    """A stack that refuses a name for 1.5 s after 5 consecutive failed logins (doubling)."""
    return module_stack_factory(REGISTRY_LOGIN_BACKOFF_MS=str(BACKOFF_MS))


def assert_too_many(r):
    """A 429 in the API's error shape with a Retry-After in whole seconds; returns them."""
    assert r.status_code == 429, f"{r.status_code} {r.text[:200]}"
    assert r.headers.get("Content-Type", "").startswith("application/json")
    body = r.json()
    assert body["error"] == "too_many_requests", body
    assert "too many failed logins" in body["detail"], body
    assert "bearer" not in r.text
    retry = r.headers.get("Retry-After", "")
    assert retry.isdigit() and int(retry) >= 1, r.headers
    return int(retry)


def fail_logins(stack, name, n):
    for i in range(n):
        status, r = login_status(stack, name, "not the password")
        assert status == 401, f"{name}: failure {i + 1} answered {status} {r.text[:200]}"


def test_failed_logins_back_off(backoff_stack):
    s = backoff_stack
    create_user(s, "victim", "the victim's password", permissions=["search"])
    create_user(s, "bystander", "the bystander's password", permissions=["search"])
    fail_logins(s, "victim", FREE_FAILURES)
    # Refused now: a wrong password, and the right one too.
    assert_too_many(login_status(s, "victim", "not the password")[1])
    retry = assert_too_many(login_status(s, "victim", "the victim's password")[1])
    assert retry <= (BACKOFF_MS + 999) // 1000
    # Another name is not affected.
    login(s, "bystander", "the bystander's password")
    # After the window the right password works ...
    time.sleep(retry + 0.05)
    login(s, "victim", "the victim's password")
    # ... and the count starts over: the next failures are checked again, not refused.
    fail_logins(s, "victim", FREE_FAILURES - 1)
    login(s, "victim", "the victim's password")


def test_unknown_names_back_off_like_known_ones(backoff_stack):
    """A name nobody has is counted and refused the same way, so the 429 tells nothing about
    which names exist."""
    s = backoff_stack
    fail_logins(s, "nobody-by-this-name", FREE_FAILURES)
    assert_too_many(login_status(s, "nobody-by-this-name", "not the password")[1])
    assert_too_many(login_status(s, "nobody-by-this-name", "anything else")[1])


def test_backoff_is_shared_by_the_workers(backoff_stack):
    """Each attempt on its own connection, so nginx hands them to whichever worker is free: the
    refusal comes after 5 failures however they were spread over the 4 workers."""
    s = backoff_stack
    assert len(s.worker_pids()) == 4
    create_user(s, "spread", "the spread password", permissions=["search"])
    fail_logins(s, "spread", FREE_FAILURES)
    for _ in range(8):
        assert_too_many(login_status(s, "spread", "the spread password")[1])


def test_logins_are_rate_limited_per_address(stack_factory):
    """nginx's login limit (REGISTRY_LOGINS_PER_SECOND with REGISTRY_LOGIN_BURST): past the
    burst, logins from one address are answered 429 JSON by nginx before any password check,
    while other calls from that address still pass."""
    s = stack_factory(REGISTRY_LOGINS_PER_SECOND="1", REGISTRY_LOGIN_BURST="3")
    statuses = []
    for _ in range(12):
        status, r = login_status(s, ADMIN_NAME, s.admin_password)
        statuses.append(status)
        if status == 429:
            assert r.headers.get("Content-Type", "").startswith("application/json")
            assert r.json()["error"] == "too_many_requests", r.text
            assert r.headers.get("Retry-After"), r.headers
    assert statuses.count(200) >= 1 and statuses.count(429) >= 1, statuses
    assert set(statuses) <= {200, 429}, statuses
    assert call(s, "GET", "/health").status_code == 200


def test_backoff_off_in_the_shared_stack(stack):
    """REGISTRY_LOGIN_BACKOFF_MS=0 (the shared stacks' setting) refuses nobody."""
    fail_logins(stack, "never-refused", FREE_FAILURES + 3)


# -- password rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["", "1234567", "é" * 7, "密码🔑🤗密码🔑", " " * 7, "x" * 1025],
    ids=["empty", "7 ascii", "7 two-byte", "7 mixed", "7 spaces", "1025 bytes"],
)
def test_new_password_too_short_or_long(registry, password):
    r = create_user(registry, "short-pw", password, permissions=["search"], expect=400)
    body = assert_error(r, "bad_request")
    if len(password.encode()) <= 1024:
        assert "at least 8 characters" in body["detail"], body
    assert "short-pw" not in user_names(registry, registry.token)


@pytest.mark.parametrize("password", ["12345678", "é" * 8, "密码🔑🤗密码🔑🤗", " " * 8])
def test_new_password_of_eight_characters(registry, password):
    create_user(registry, "eight", password, permissions=["search"])
    login(registry, "eight", password)


def pbkdf2_record(password, iterations=1000):
    """A password record as lib/auth/password.c writes it."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    return f"pbkdf2-sha256${iterations}${salt.hex()}${digest.hex()}"


def insert_old_user(stack, name, record):
    """Stores a user the way an older registry did (no password rules), behind the API's back."""
    if TEST_STORE == "sqlite":
        db = sqlite3.connect(os.path.join(stack.data_dir, "registry.db"), timeout=10)
        with db:
            db.execute("INSERT INTO users(name, is_admin, perms, password, created_at) "
                       "VALUES (?, 0, 2, ?, ?)", (name, record, int(time.time())))
        db.close()
        return
    # DynamoDB (dynalite, which checks the form of the signature but not its value).
    item = {"pk": {"S": "USERS"}, "sk": {"S": name}, "is_admin": {"BOOL": False},
            "perms": {"N": "2"}, "password": {"S": record},
            "created_at": {"N": str(int(time.time()))}}
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    r = requests.post(
        stack.env["AWS_ENDPOINT_URL_DYNAMODB"],
        data=json.dumps({"TableName": stack.env["DYNAMODB_TABLE"], "Item": item}),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.PutItem",
            "X-Amz-Date": stamp,
            "Authorization": f"AWS4-HMAC-SHA256 Credential=local/{stamp[:8]}/us-east-1/dynamodb/"
                             "aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, "
                             "Signature=" + "0" * 64,
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text


def test_old_short_password_still_logs_in(registry):
    """The rule is for new passwords: a user whose password was set before it still logs in."""
    insert_old_user(registry, "old-timer", pbkdf2_record("pw"))
    token = login(registry, "old-timer", "pw")
    assert_json_status(call(registry, "POST", "/artifacts", token=token, json=[{"name": "*"}]), 200)
    assert_login_refused(registry, "old-timer", "pw!")


def test_short_admin_password_is_refused_at_start(store_server, upstream_server):
    """REGISTRY_ADMIN_PASSWORD is the default admin's new password at every first start and
    reset: a short one stops the registry from starting, with the reason in its log."""
    s = conftest.Stack(workers=1, env={"REGISTRY_ADMIN_PASSWORD": "short"})
    s.port = conftest.free_port()
    try:
        with pytest.raises(conftest._StartFailed):
            s._start_once()
        log = registryd_log(s)
        assert "REGISTRY_ADMIN_PASSWORD" in log and "at least 8 characters" in log, log[-2000:]
    finally:
        s._kill_group()
        assert s.teardown() is None
