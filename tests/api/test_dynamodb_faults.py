"""The DynamoDB store under faults: registryd talks to dynalite through faulty_dynamo's proxy,
which throttles, fails, corrupts CRCs, fails after applying a write, or goes down on demand.

These run whatever REGISTRY_TEST_STORE says: the module starts a dynalite of its own, a proxy in
front of it and a stack on a table of its own behind the proxy, which the tests share (reset
before each); a test that leaves its stack broken gets a private stack and proxy.
Retries back off for well under a second in these scenarios; nothing here asserts on time, but
every request must answer within apiutil's client timeout.
"""

import concurrent.futures

import pytest

import faulty_dynamo
from apiutil import (
    ADMIN_NAME,
    TIMEOUT,
    assert_json_status,
    call,
    enumerate_all,
    get_artifact,
    login,
    new_session,
    quote,
    register,
)

ARTIFACT_ITEM = '"write_token"'  # only the artifact item's PutItem carries a write token
URL_CLAIM = '"U#'  # the URL claim's key
ARTIFACT_KEY = '"sk":{"S":"A"}'  # the artifact item's sort key (request bodies are plain JSON)
COUNT_BUMP = "#count :one"  # the counters update that ends a registration


@pytest.fixture(scope="module")
def shared(dynalite, module_stack_factory):
    s = faulty_dynamo.faulty_stack(dynalite, module_stack_factory, "faults")
    yield s
    s.proxy.stop()


@pytest.fixture
def faulty(shared):
    """The module's stack behind its proxy, with an empty registry, the proxy healthy and its
    request log empty."""
    shared.proxy.clear()
    assert_json_status(call(shared, "DELETE", "/reset"), 200)
    shared.proxy.clear()
    yield shared
    shared.proxy.clear()


@pytest.fixture
def private_faulty(dynalite, stack_factory):
    """A stack of its own behind a proxy of its own, for tests that leave it broken."""
    s = faulty_dynamo.faulty_stack(dynalite, stack_factory, "faults")
    yield s
    s.proxy.stop()


def url_of(name):
    return f"https://huggingface.co/faults/{name}"


def artifacts_with_url(s, url):
    items, _ = enumerate_all(s, [{"name": "*"}])
    found = []
    for meta in items:
        art = assert_json_status(get_artifact(s, meta["type"], meta["id"]), 200)
        if art["data"]["url"] == url:
            found.append(art)
    return found


def assert_registered_once(s, url, created):
    """created (a 201 body) is the one and only artifact with url, readable by id."""
    found = artifacts_with_url(s, url)
    assert [a["metadata"]["id"] for a in found] == [created["metadata"]["id"]], found
    assert found[0] == created


def store_metrics(s):
    """The store's component as the admin sees it (metrics are for admins). While the store is
    down the token cannot be checked, and the answer is the public view: status and issue codes."""
    body = assert_json_status(call(s, "GET", "/health/components"), 200)
    return {c["id"]: c for c in body["components"]}["store"]


def assert_unavailable(r):
    assert r.status_code == 503, f"{r.request.method} {r.url}: {r.status_code} {r.text[:300]}"
    assert r.headers.get("Content-Type", "").split(";")[0] == "application/json", r.headers
    body = r.json()
    assert body.get("error") == "unavailable", body


# -- retried faults ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", [ARTIFACT_ITEM, URL_CLAIM], ids=["artifact", "url-claim"])
@pytest.mark.parametrize("fault", ["throttle", "fail"])
def test_put_failing_twice_is_retried(faulty, fault, target):
    """PutItem throttled (400 ThrottlingException) or failing (500) twice, then answered: the
    registration succeeds after the retries, with exactly one artifact."""
    p = faulty.proxy
    getattr(p, fault)("PutItem", 2, match=target)
    url = url_of(f"{fault}-{len(target)}")
    created = register(faulty, "model", url)
    assert p.pending() == []
    assert p.count("PutItem", match=target, outcome=fault) == 2
    assert p.count("PutItem", match=target, outcome="forwarded") == 1
    assert_registered_once(faulty, url, created)
    assert store_metrics(faulty)["metrics"]["artifacts"] == 1


def test_throttled_reads_are_retried(faulty):
    url = url_of("throttled-read")
    created = register(faulty, "model", url)
    faulty.proxy.throttle("Query", 2)
    r = get_artifact(faulty, "model", created["metadata"]["id"])
    assert assert_json_status(r, 200) == created
    assert faulty.proxy.pending() == []


@pytest.mark.parametrize("op,match", [("PutItem", ARTIFACT_ITEM), ("PutItem", URL_CLAIM),
                                      ("Query", None)],
                         ids=["artifact-put", "url-claim-put", "query"])
def test_wrong_crc_is_retried(faulty, op, match):
    """A response whose x-amz-crc32 does not match its body is not trusted: the call is retried
    (for a write, the retry finds the write landed already and recognises it as its own)."""
    p = faulty.proxy
    url = url_of(f"crc-{op}-{match is None}")
    if op == "Query":
        created = register(faulty, "model", url)
        p.bad_crc(op, 1, match=match)
        assert assert_json_status(get_artifact(faulty, "model", created["metadata"]["id"]), 200) \
            == created
    else:
        p.bad_crc(op, 1, match=match)
        created = register(faulty, "model", url)
    assert p.pending() == []
    assert p.count(op, match=match, outcome="bad_crc") == 1
    assert p.count(op, match=match) >= 2  # retried
    assert_registered_once(faulty, url, created)


@pytest.mark.parametrize("target", [ARTIFACT_ITEM, URL_CLAIM], ids=["artifact", "url-claim"])
def test_write_that_landed_then_failed_is_recognised(faulty, target):
    """The conditional PutItem lands, but the client sees a 500 and retries: the retry's
    ConditionalCheckFailed is the store's own earlier write, so the registration answers 201
    and there is exactly one artifact."""
    p = faulty.proxy
    p.land_then_fail("PutItem", 1, match=target)
    url = url_of(f"landed-{len(target)}")
    created = register(faulty, "model", url)
    assert p.pending() == []
    assert p.count("PutItem", match=target) == 2
    assert_registered_once(faulty, url, created)
    # The URL stays taken by that one artifact.
    r = register(faulty, "model", url, expect=None)
    assert r.status_code == 409, r.text


def test_write_that_always_lands_then_fails_never_duplicates(faulty):
    """The artifact PutItem lands on every attempt yet always answers 500: the client may get
    an error (it cannot be told the write landed), but a clear one, and never two artifacts,
    also when it registers the same URL again."""
    p = faulty.proxy
    p.land_then_fail("PutItem", 4, match=ARTIFACT_ITEM)
    url = url_of("always-landed")
    first = register(faulty, "model", url, expect=None)
    assert first.status_code in (201, 503), first.text
    if first.status_code == 503:
        assert first.json().get("error") == "unavailable", first.text
    p.clear()
    second = register(faulty, "model", url, expect=None)
    assert second.status_code in (201, 409), second.text
    found = artifacts_with_url(faulty, url)
    assert len(found) == 1, found
    assert not (first.status_code == 201 and second.status_code == 201)


def test_counters_update_that_landed_then_failed_counts_once(faulty):
    """The registration's last step (ADD generation, count) lands, but answers 500 and is
    retried: the artifact count must still be the number of artifacts."""
    p = faulty.proxy
    register(faulty, "model", url_of("count-base"))
    assert store_metrics(faulty)["metrics"]["artifacts"] == 1
    p.land_then_fail("UpdateItem", 1, match=COUNT_BUMP)
    created = register(faulty, "model", url_of("count-retried"))
    assert p.pending() == []
    assert_registered_once(faulty, url_of("count-retried"), created)
    items, _ = enumerate_all(faulty, [{"name": "*"}])
    assert len(items) == 2
    assert store_metrics(faulty)["metrics"]["artifacts"] == 2, (
        "the count was bumped once per attempt of a non-idempotent UpdateItem"
    )


# -- faults that are not retried ----------------------------------------------------------------


def test_conflicting_registration_is_not_retried(faulty):
    """ConditionalCheckFailed is final: a URL registered twice answers 409 after one attempt of
    the conflicting conditional write."""
    p = faulty.proxy
    url = url_of("twice")
    created = register(faulty, "model", url)
    p.clear()
    r = register(faulty, "model", url, expect=None)
    assert r.status_code == 409, r.text
    assert r.json().get("error") == "conflict", r.text
    assert p.count("PutItem", match=URL_CLAIM) == 1, p.requests
    assert p.count("PutItem") == 1, [(op, what) for op, _, what in p.requests]
    assert_registered_once(faulty, url, created)


def test_same_url_registered_concurrently_exists_once(faulty):
    """Two registrations of one URL overlap: the first has claimed the URL but its artifact
    item is not written yet (its PutItem is held by the proxy) when the second arrives. One of
    the two must be refused with 409, and exactly one artifact may hold the URL."""
    s, p = faulty, faulty.proxy
    url = url_of("raced")
    p.delay("PutItem", 1.0, 1, match=ARTIFACT_ITEM)

    def one():
        session = new_session()
        try:
            return register(s, "model", url, session=session, expect=None)
        finally:
            session.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(one)
        assert p.wait_for("PutItem", "delay", match=ARTIFACT_ITEM), "the first never got there"
        second = one()
        first = first.result(timeout=TIMEOUT)
    statuses = sorted([first.status_code, second.status_code])
    found = artifacts_with_url(s, url)
    assert len(found) == 1 and statuses == [201, 409], (
        f"statuses {statuses}; artifacts with the url: {[a['metadata']['id'] for a in found]}"
    )


# -- store down ---------------------------------------------------------------------------------


@pytest.mark.parametrize("refuse", [False, True], ids=["closes", "refuses"])
def test_store_down_answers_503_and_recovers(faulty, refuse):
    """The store goes away (connections closed unanswered, or refused): requests that need it
    answer 503 {"error": "unavailable"} promptly, the workers survive, /health stays 200, and
    once it is back the same request succeeds."""
    s, p = faulty, faulty.proxy
    kept = register(s, "model", url_of("before-down"))
    workers = s.worker_pids()
    url = url_of("while-down")
    p.down(refuse=refuse)
    for _ in range(3):  # every worker may take one
        assert_unavailable(register(s, "model", url, expect=None))
    assert_unavailable(get_artifact(s, "model", kept["metadata"]["id"]))
    assert_unavailable(call(s, "POST", "/artifacts", json=[{"name": "*"}]))
    if not refuse:
        # The 503s came from store calls that found it down (token uses, and the caller's user
        # with them, come from the host's leased block, so which call that is varies).
        ops = ("GetItem", "Query", "UpdateItem", "PutItem", "Scan")
        assert sum(p.count(op, outcome="down") for op in ops) > 0
    # Liveness does not depend on the store; the components report says it is unreachable.
    assert assert_json_status(call(s, "GET", "/health", token=None), 200) == {"status": "ok"}
    store = store_metrics(s)
    assert store["status"] == "critical", store
    assert any(i["code"] == "store_unreachable" for i in store["issues"]), store
    assert s.worker_pids() == workers, "a worker died while the store was down"

    p.up()
    created = register(s, "model", url)
    assert_registered_once(s, url, created)
    assert assert_json_status(get_artifact(s, "model", kept["metadata"]["id"]), 200) == kept
    assert store_metrics(s)["status"] == "ok"
    assert s.worker_pids() == workers


def test_store_down_does_not_leave_the_url_taken(faulty):
    """The store goes down after the URL claim landed but before the artifact item: the
    registration fails with 503, and once the store is back the URL can be registered."""
    s, p = faulty, faulty.proxy
    url = url_of("half-done")
    # Every attempt of the artifact's PutItem fails; the claim before it has landed.
    p.fail("PutItem", 4, match=ARTIFACT_ITEM)
    assert_unavailable(register(s, "model", url, expect=None))
    p.clear()
    created = register(s, "model", url)
    assert_registered_once(s, url, created)


def test_requests_answer_within_client_timeout_while_down(faulty):
    """A down store costs a request at most a few fast retries: nothing waits for the client's
    timeout (requests raises if it does)."""
    s, p = faulty, faulty.proxy
    p.down()
    for _ in range(4):
        assert_unavailable(call(s, "GET", "/artifact/byName/anything", timeout=TIMEOUT))
    p.up()
    assert call(s, "GET", "/artifact/byName/anything").status_code == 404


# -- other non-idempotent writes retried after they landed ---------------------------------------


def test_artifact_delete_that_landed_then_failed_answers_200(faulty):
    """DELETE of an artifact whose conditional DeleteItem lands but answers 500: the retry's
    ConditionalCheckFailed is the store's own delete, so the client must get 200 (not 404),
    and the registry must be consistent afterwards (count, URL free again)."""
    s, p = faulty, faulty.proxy
    url = url_of("deleted-once")
    created = register(s, "model", url)
    p.land_then_fail("DeleteItem", 1, match=ARTIFACT_KEY)
    r = call(s, "DELETE", f"/artifacts/model/{created['metadata']['id']}")
    assert p.pending() == []
    assert r.status_code == 200, f"DELETE answered {r.status_code}: {r.text[:300]}"
    assert get_artifact(s, "model", created["metadata"]["id"]).status_code == 404
    assert store_metrics(s)["metrics"]["artifacts"] == 0
    register(s, "model", url)


def test_user_created_despite_landed_then_failed_put(faulty):
    """POST /users whose conditional PutItem lands but answers 500: the retry's
    ConditionalCheckFailed is the store's own write, not an existing user: the answer must not
    be 409 "exists already" for a name nobody had."""
    s, p = faulty, faulty.proxy
    p.land_then_fail("PutItem", 1, match='"USERS"')
    r = call(s, "POST", "/users", json={"user": {"name": "retried-user", "is_admin": False},
                                        "secret": {"password": "pw of retried-user"},
                                        "permissions": ["search"]})
    assert p.pending() == []
    assert r.status_code == 201, f"POST /users answered {r.status_code}: {r.text[:300]}"


def test_admin_counter_survives_a_retried_update(private_faulty):
    """Creating an admin bumps the admins counter with UpdateItem; that update lands but
    answers 500 and is retried. The last admin must still be protected: after the new admin
    deletes the default admin, it cannot delete itself."""
    s, p = private_faulty, private_faulty.proxy
    p.land_then_fail("UpdateItem", 1, match="ADD admins :one")
    r = call(s, "POST", "/users", json={"user": {"name": "second-admin", "is_admin": True},
                                        "secret": {"password": "pw of second-admin"}})
    assert r.status_code == 201, r.text
    assert p.pending() == []
    token = login(s, "second-admin", "pw of second-admin", is_admin=True)
    r = call(s, "DELETE", f"/users/{quote(ADMIN_NAME)}", token=token)
    assert r.status_code == 200, r.text
    r = call(s, "DELETE", f"/users/{quote('second-admin')}", token=token)
    assert r.status_code == 409, (
        f"the last admin deleted itself ({r.status_code} {r.text[:200]}): the admins counter "
        "was bumped once per attempt of a non-idempotent UpdateItem"
    )
