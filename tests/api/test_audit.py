"""GET /artifact/{artifact_type}/{id}/audit: who did what to an artifact, and when.

CREATE on register, UPDATE on PUT, AUDIT on an audit read (the current read included, last),
once per reader and artifact per REGISTRY_AUDIT_READ_WINDOW_SECONDS (3600 by default, so within
a test a reader's later reads add nothing); oldest first. RATE and DOWNLOAD entries arrive with
later features and are not tested here. Paging and the window: test_data_hardening.py.
"""

import calendar
import concurrent.futures
import re
import time

import pytest

from apiutil import (
    ADMIN_NAME,
    assert_error,
    assert_json_status,
    call,
    create_user,
    login,
    new_session,
    register,
    user_token,
)

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ENTRY_KEYS = {"user", "date", "artifact", "action"}
# Generous: the server and the tests share a clock; this catches local-time or epoch mix-ups.
CLOCK_SLACK = 300


def audit(stack, art, token=None, type_=None):
    m = art["metadata"]
    kw = {} if token is None else {"token": token}
    return call(stack, "GET", f"/artifact/{type_ or m['type']}/{m['id']}/audit", **kw)


def update(stack, art, name=None, url=None, token=None):
    m = dict(art["metadata"])
    if name is not None:
        m["name"] = name
    body = {"metadata": m, "data": {"url": url or art["data"]["url"]}}
    kw = {} if token is None else {"token": token}
    r = call(stack, "PUT", f"/artifacts/{m['type']}/{m['id']}", json=body, **kw)
    return assert_json_status(r, 200)


def epoch(date):
    return calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%SZ"))


def check_trail(entries, art, expected, since=None):
    """entries is a well-formed trail of art whose (action, user name, is_admin) are expected."""
    assert isinstance(entries, list), entries
    got = [(e.get("action"), e.get("user", {}).get("name"), e.get("user", {}).get("is_admin"))
           for e in entries]
    assert got == expected, entries
    dates = []
    for e in entries:
        assert set(e) == ENTRY_KEYS, e
        assert set(e["user"]) == {"name", "is_admin"}, e
        assert set(e["artifact"]) == {"name", "id", "type"}, e
        assert e["artifact"]["id"] == art["metadata"]["id"]
        assert e["artifact"]["type"] == art["metadata"]["type"]
        assert isinstance(e["artifact"]["name"], str) and e["artifact"]["name"]
        assert isinstance(e["date"], str) and DATE_RE.match(e["date"]), e["date"]
        dates.append(epoch(e["date"]))
    assert dates == sorted(dates), f"entries are not oldest first: {[e['date'] for e in entries]}"
    now = time.time()
    for d in dates:
        assert (since or now) - CLOCK_SLACK <= d <= now + CLOCK_SLACK, (d, now)


ADMIN = (ADMIN_NAME, True)


def by(action, who):
    return (action, who[0], who[1])


def test_audit_after_create(registry):
    start = time.time()
    art = register(registry, "model", "https://huggingface.co/audit/created")
    entries = assert_json_status(audit(registry, art), 200)
    check_trail(entries, art, [by("CREATE", ADMIN), by("AUDIT", ADMIN)], since=start)
    assert entries[0]["artifact"] == art["metadata"]


@pytest.mark.parametrize("type_,url", [
    ("dataset", "https://huggingface.co/datasets/audit/data"),
    ("code", "https://github.com/audit/code"),
])
def test_audit_every_type(registry, type_, url):
    art = register(registry, type_, url)
    entries = assert_json_status(audit(registry, art), 200)
    check_trail(entries, art, [by("CREATE", ADMIN), by("AUDIT", ADMIN)])


def test_audit_create_update_audit_in_order(registry):
    art = register(registry, "model", "https://huggingface.co/audit/ordered")
    update(registry, art, url="https://huggingface.co/audit/ordered-v2")
    first = assert_json_status(audit(registry, art), 200)
    check_trail(first, art, [by("CREATE", ADMIN), by("UPDATE", ADMIN), by("AUDIT", ADMIN)])
    update(registry, art, url="https://huggingface.co/audit/ordered-v3")
    second = assert_json_status(audit(registry, art), 200)
    # The admin's second read is within the window of the first: it adds no entry.
    check_trail(second, art, [by(a, ADMIN) for a in ("CREATE", "UPDATE", "AUDIT", "UPDATE")])
    # The earlier entries are unchanged.
    assert second[:3] == first


def test_audit_names_each_user(registry):
    uploader = user_token(registry, "uploader", ["upload", "search"])
    reader = user_token(registry, "reader", ["search"])
    art = register(registry, "model", "https://huggingface.co/audit/by-users", token=uploader)
    update(registry, art, url="https://huggingface.co/audit/by-users-2")  # the admin
    update(registry, art, url="https://huggingface.co/audit/by-users-3", token=uploader)
    entries = assert_json_status(audit(registry, art, token=reader), 200)
    u, r = ("uploader", False), ("reader", False)
    check_trail(entries, art, [by("CREATE", u), by("UPDATE", ADMIN), by("UPDATE", u), by("AUDIT", r)])
    # Deleting a user keeps their entries.
    assert_json_status(call(registry, "DELETE", "/users/uploader"), 200)
    entries = assert_json_status(audit(registry, art), 200)
    check_trail(entries, art, [by("CREATE", u), by("UPDATE", ADMIN), by("UPDATE", u), by("AUDIT", r),
                               by("AUDIT", ADMIN)])


def test_entries_keep_the_user_as_they_were(registry):
    """An entry records the user's admin flag at the time: later changes do not rewrite it."""
    tok = user_token(registry, "was-admin", is_admin=True)
    art = register(registry, "model", "https://huggingface.co/audit/was-admin", token=tok)
    assert_json_status(call(registry, "PUT", "/users/was-admin/permissions",
                            json={"permissions": ["search"]}), 200)
    entries = assert_json_status(audit(registry, art, token=tok), 200)
    check_trail(entries, art, [by("CREATE", ("was-admin", True)), by("AUDIT", ("was-admin", False))])


def test_trails_are_per_artifact(registry):
    a = register(registry, "model", "https://huggingface.co/audit/a")
    b = register(registry, "model", "https://huggingface.co/audit/b")
    update(registry, a)
    check_trail(assert_json_status(audit(registry, b), 200), b, [by("CREATE", ADMIN), by("AUDIT", ADMIN)])
    check_trail(assert_json_status(audit(registry, a), 200), a,
                [by("CREATE", ADMIN), by("UPDATE", ADMIN), by("AUDIT", ADMIN)])


def test_failed_requests_leave_no_entries(registry):
    art = register(registry, "model", "https://huggingface.co/audit/failures")
    other = register(registry, "model", "https://huggingface.co/audit/other")
    m = art["metadata"]
    # A refused update (id mismatch, conflicting url), a conflicting registration, an audit read
    # with the wrong type, and requests without the permission or without a token.
    bad = {"metadata": dict(m, id=other["metadata"]["id"]), "data": {"url": art["data"]["url"]}}
    assert_error(call(registry, "PUT", f"/artifacts/model/{m['id']}", json=bad), "bad_request")
    clash = {"metadata": m, "data": {"url": other["data"]["url"]}}
    assert_error(call(registry, "PUT", f"/artifacts/model/{m['id']}", json=clash), "conflict")
    assert_error(register(registry, "model", art["data"]["url"], expect=None), "conflict")
    assert_error(audit(registry, art, type_="dataset"), "not_found")
    nobody = user_token(registry, "download-only", ["download"])
    assert_error(audit(registry, art, token=nobody), "not_permitted", 401)
    assert_error(call(registry, "GET", f"/artifact/model/{m['id']}/audit", token=None),
                 "authentication_failed", 403)
    good = {"metadata": m, "data": {"url": art["data"]["url"]}}
    assert_error(call(registry, "PUT", f"/artifacts/model/{m['id']}", json=good, token=nobody),
                 "not_permitted", 401)
    check_trail(assert_json_status(audit(registry, art), 200), art,
                [by("CREATE", ADMIN), by("AUDIT", ADMIN)])


def test_plain_reads_are_not_audited(registry):
    art = register(registry, "model", "https://huggingface.co/audit/reads")
    m = art["metadata"]
    assert_json_status(call(registry, "GET", f"/artifacts/model/{m['id']}"), 200)
    assert_json_status(call(registry, "POST", "/artifacts", json=[{"name": "*"}]), 200)
    assert_json_status(call(registry, "GET", f"/artifact/byName/{m['name']}"), 200)
    check_trail(assert_json_status(audit(registry, art), 200), art,
                [by("CREATE", ADMIN), by("AUDIT", ADMIN)])


@pytest.mark.parametrize(
    "path",
    [
        "/artifact/model/abc_def/audit",
        "/artifact/model/a.b/audit",
        "/artifact/model/" + "1" * 33 + "/audit",
        "/artifact/banana/12345/audit",
        "/artifact/Model/12345/audit",
    ],
)
def test_audit_bad_request(registry, path):
    assert_error(call(registry, "GET", path), "bad_request")


def test_audit_unknown_or_deleted(registry):
    assert_error(call(registry, "GET", "/artifact/model/12345678901/audit"), "not_found")
    art = register(registry, "code", "https://github.com/audit/deleted")
    assert_error(audit(registry, art, type_="model"), "not_found")
    m = art["metadata"]
    assert_json_status(call(registry, "DELETE", f"/artifacts/code/{m['id']}"), 200)
    assert_error(audit(registry, art), "not_found")
    # Registered again, it is a new artifact with a trail of its own.
    again = register(registry, "code", "https://github.com/audit/deleted")
    check_trail(assert_json_status(audit(registry, again), 200), again,
                [by("CREATE", ADMIN), by("AUDIT", ADMIN)])


def test_reset_clears_the_audit(registry):
    url = "https://huggingface.co/audit/reset"
    art = register(registry, "model", url)
    update(registry, art)
    assert_json_status(audit(registry, art), 200)
    assert_json_status(call(registry, "DELETE", "/reset"), 200)
    assert_error(audit(registry, art), "not_found")
    again = register(registry, "model", url)
    check_trail(assert_json_status(audit(registry, again), 200), again,
                [by("CREATE", ADMIN), by("AUDIT", ADMIN)])


def test_concurrent_audit_reads_by_one_reader_are_recorded_once(registry):
    art = register(registry, "model", "https://huggingface.co/audit/concurrent")
    reader = user_token(registry, "many-reads", ["search"])
    n = 24

    def one(_):
        s = new_session()
        try:
            return audit(registry, art, token=reader).status_code
        finally:
            s.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(one, range(n)))
    assert statuses == [200] * n, statuses
    entries = assert_json_status(audit(registry, art), 200)
    r = ("many-reads", False)
    check_trail(entries, art, [by("CREATE", ADMIN), by("AUDIT", r), by("AUDIT", ADMIN)])


def test_audit_by_an_admin_user_and_a_relogged_admin(registry):
    admin2 = user_token(registry, "second-admin", is_admin=True)
    art = register(registry, "dataset", "https://huggingface.co/datasets/audit/admins", token=admin2)
    token = login(registry, ADMIN_NAME, registry.admin_password)
    entries = assert_json_status(audit(registry, art, token=token), 200)
    check_trail(entries, art, [by("CREATE", ("second-admin", True)), by("AUDIT", ADMIN)])
    create_user(registry, "late-user", "late-user's password", permissions=["search"])
    token = login(registry, "late-user", "late-user's password")
    entries = assert_json_status(audit(registry, art, token=token), 200)
    assert entries[-1]["user"] == {"name": "late-user", "is_admin": False}
