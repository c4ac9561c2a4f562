"""PUT /authenticate and the X-Authorization token: logging in, refused credentials, forged,
malformed, expired, exhausted and revoked tokens, and tokens across a restart."""

import concurrent.futures
import threading
import time

import pytest
import requests

from apiutil import (
    ADMIN_NAME,
    DEFAULT_ADMIN_PASSWORD,
    PERMISSIONS,
    assert_error,
    assert_json_status,
    call,
    create_user,
    credentials,
    login,
    new_session,
    register,
    user_token,
)

HEX = set("0123456789abcdef")


def search(stack, token, session=None):
    """One cheap authenticated request (search permission)."""
    return call(stack, "POST", "/artifacts", session=session, token=token, json=[{"name": "*"}])


def assert_auth_failed(r):
    return assert_error(r, "authentication_failed", 403)


def parts(token):
    """Splits "bearer id.expires.userhex.mac" into [id, expires, userhex, mac]."""
    assert token.startswith("bearer ")
    fields = token[len("bearer "):].split(".")
    assert len(fields) == 4, token
    return fields


def join(fields):
    return "bearer " + ".".join(fields)


def flip_hex(digits, index=-1):
    """digits with the hex digit at index changed to another hex digit."""
    i = index % len(digits)
    c = digits[i]
    return digits[:i] + ("0" if c != "0" else "1") + digits[i + 1:]


# -- logging in ---------------------------------------------------------------------------------


def test_login_as_default_admin_with_the_contract_password(stack):
    if stack.admin_password != DEFAULT_ADMIN_PASSWORD:
        pytest.skip("REGISTRY_ADMIN_PASSWORD overrides the contract's example password")
    token = login(stack, ADMIN_NAME, DEFAULT_ADMIN_PASSWORD, is_admin=True)
    fields = parts(token)
    assert len(fields[0]) == 32 and set(fields[0]) <= HEX
    assert int(fields[1]) > time.time()
    assert bytes.fromhex(fields[2]).decode() == ADMIN_NAME
    assert len(fields[3]) == 64 and set(fields[3]) <= HEX
    assert_json_status(search(stack, token), 200)


def test_each_login_issues_a_new_token(stack):
    a = login(stack, ADMIN_NAME, stack.admin_password, is_admin=True)
    b = login(stack, ADMIN_NAME, stack.admin_password, is_admin=True)
    assert a != b
    assert_json_status(search(stack, a), 200)
    assert_json_status(search(stack, b), 200)


def test_bare_token_and_scheme_case(stack):
    token = stack.token
    bare = token[len("bearer "):]
    assert_json_status(search(stack, bare), 200)
    assert_json_status(search(stack, "Bearer " + bare), 200)
    assert_json_status(search(stack, "BEARER " + bare), 200)


# (name, password) as functions of the admin's real password.
REFUSED = {
    "wrong password": (ADMIN_NAME, lambda pw: "wrong"),
    "trailing space": (ADMIN_NAME, lambda pw: pw + " "),
    "last character missing": (ADMIN_NAME, lambda pw: pw[:-1]),
    "upper case": (ADMIN_NAME, lambda pw: pw.upper()),
    "empty password": (ADMIN_NAME, lambda pw: ""),
    "name in upper case": (ADMIN_NAME.upper(), lambda pw: pw),
    "name with a trailing space": (ADMIN_NAME + " ", lambda pw: pw),
    "unknown user, admin password": ("nobody", lambda pw: pw),
    "unknown user": ("nobody", lambda pw: "wrong"),
    "SQL in both": ("' OR '1'='1", lambda pw: "' OR '1'='1"),
    "star": ("*", lambda pw: pw),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_login_refused(stack, case):
    name, password = REFUSED[case]
    r = login(stack, name, password(stack.admin_password), is_admin=True, expect=401)
    assert_error(r, "not_permitted", 401)
    assert "bearer" not in r.text


def test_unknown_user_and_wrong_password_read_the_same(stack):
    a = assert_error(login(stack, "nobody-at-all", "x", expect=401), "not_permitted", 401)
    b = assert_error(login(stack, ADMIN_NAME, "x", expect=401), "not_permitted", 401)
    assert a == b


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"secret": {"password": "x"}},
        {"user": {"name": ADMIN_NAME, "is_admin": True}},
        {"user": {"is_admin": True}, "secret": {"password": "x"}},
        {"user": {"name": ADMIN_NAME}, "secret": {"password": "x"}},
        {"user": {"name": ADMIN_NAME, "is_admin": True}, "secret": {}},
        {"user": {"name": ADMIN_NAME, "is_admin": True}, "secret": {"password": None}},
        {"user": {"name": ADMIN_NAME, "is_admin": True}, "secret": {"password": 123}},
        {"user": {"name": ADMIN_NAME, "is_admin": True}, "secret": "x"},
        {"user": {"name": 7, "is_admin": True}, "secret": {"password": "x"}},
        {"user": {"name": None, "is_admin": True}, "secret": {"password": "x"}},
        {"user": {"name": ADMIN_NAME, "is_admin": "true"}, "secret": {"password": "x"}},
        {"user": {"name": ADMIN_NAME, "is_admin": 1}, "secret": {"password": "x"}},
        {"user": ADMIN_NAME, "secret": {"password": "x"}},
        {"user": [ADMIN_NAME], "secret": {"password": "x"}},
        [{"user": {"name": ADMIN_NAME, "is_admin": True}, "secret": {"password": "x"}}],
        "bearer x",
        None,
    ],
)
def test_login_bad_body(stack, body):
    r = call(stack, "PUT", "/authenticate", token=None, json=body)
    assert_error(r, "bad_request")


@pytest.mark.parametrize("raw", [b"", b"{", b"not json", b'{"user": {"name": "a"}} x'])
def test_login_malformed_json(stack, raw):
    r = call(stack, "PUT", "/authenticate", token=None, data=raw)
    assert_error(r, "bad_request")


def test_login_bad_body_even_with_right_password(stack):
    """A body missing is_admin is malformed even when the credentials are right."""
    body = {"user": {"name": ADMIN_NAME}, "secret": {"password": stack.admin_password}}
    assert_error(call(stack, "PUT", "/authenticate", token=None, json=body), "bad_request")


def test_login_is_admin_claim_carries_no_weight(registry):
    """A non-admin who claims is_admin is still a non-admin; an admin who does not is still
    an admin."""
    create_user(registry, "plain-user", "pw-plain", permissions=["search"])
    token = login(registry, "plain-user", "pw-plain", is_admin=True)
    assert_error(call(registry, "GET", "/users", token=token), "not_permitted", 401)
    admin = login(registry, ADMIN_NAME, registry.admin_password, is_admin=False)
    assert_json_status(call(registry, "GET", "/users", token=admin), 200)


TRICKY_PASSWORDS = [
    DEFAULT_ADMIN_PASSWORD,
    "it's mine",
    'say "hi"',
    "back`tick`",
    "back\\slash\\",
    "'; DROP TABLE users; --",
    "\" OR \"\"=\"",
    "%s%n%x%p%d",
    "mot de passe très sûr",
    "пароль-пароль",
    "密码🔑🤗密码🔑🤗",
    "  spaces around  ",
    " " * 8,
    "tab\tand\nnewline",
    "x" * 1024,
    "é" * 512,  # 1024 bytes
]


@pytest.mark.parametrize("password", TRICKY_PASSWORDS, ids=lambda p: repr(p)[:30])
def test_tricky_passwords_log_in(registry, password):
    create_user(registry, "tricky", password, permissions=["search"])
    token = login(registry, "tricky", password)
    assert_json_status(search(registry, token), 200)
    # Near misses do not.
    for wrong in {password + "x", password[:-1], password.strip() + "!", password.upper() + "X"}:
        if wrong != password:
            assert_error(login(registry, "tricky", wrong, expect=401), "not_permitted", 401)


@pytest.mark.parametrize(
    "name",
    [
        "O'Brien",
        'the "user"',
        "`tick`",
        "robert'); DROP TABLE users;--",
        "ünïcödé 用户 🤗",
        "slash/and space",
        "x" * 255,
        "é" * 127 + "x",  # 255 bytes
    ],
    ids=lambda n: repr(n)[:30],
)
def test_tricky_user_names_log_in(registry, name):
    create_user(registry, name, "p@ss'\"`word", permissions=["search"])
    token = login(registry, name, "p@ss'\"`word")
    assert bytes.fromhex(parts(token)[2]).decode() == name
    assert_json_status(search(registry, token), 200)


# -- refused tokens -----------------------------------------------------------------------------


def test_missing_header(stack):
    body = assert_auth_failed(search(stack, None))
    assert body["detail"]


def test_token_in_the_authorization_header_is_not_enough(stack):
    r = call(stack, "POST", "/artifacts", token=None, headers={"Authorization": stack.token},
             json=[{"name": "*"}])
    assert_auth_failed(r)


def forgeries(token, other_user="someone-else"):
    id_, expires, user, mac = parts(token)
    bare = token[len("bearer "):]
    return {
        "signature digit flipped (last)": join([id_, expires, user, flip_hex(mac)]),
        "signature digit flipped (first)": join([id_, expires, user, flip_hex(mac, 0)]),
        "id digit flipped": join([flip_hex(id_), expires, user, mac]),
        "expiry extended": join([id_, str(int(expires) + 3600), user, mac]),
        "expiry with a sign": join([id_, "+" + expires, user, mac]),
        "other user": join([id_, expires, other_user.encode().hex(), mac]),
        "signature truncated": join([id_, expires, user, mac[:-1]]),
        "signature extended": join([id_, expires, user, mac + "0"]),
        "signature empty": join([id_, expires, user, ""]),
        "extra field": join([id_, expires, user, mac, "00"]),
        "field missing": join([id_, expires, mac]),
        "no dots": "bearer " + bare.replace(".", ""),
        "odd user hex": join([id_, expires, user + "0", mac]),
        "user hex not hex": join([id_, expires, "zz" + user[2:], mac]),
        "empty user": join([id_, expires, "", mac]),
        "NUL in user": join([id_, expires, "00" + user, mac]),
        "doubled": token + token,
        "wrong scheme Basic": "Basic " + bare,
        "wrong scheme Token": "Token " + bare,
        "scheme glued": "bearer" + bare,
        "scheme only": "bearer",
        "scheme and space": "bearer ",
        "garbage": "bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.SflKxwRJSMeKKF2QT4fw",
        "empty": "",
        "very long": "bearer " + "a" * 6000,
        "very long with dots": "bearer " + ".".join(["a" * 2000] * 4),
    }


def test_forged_and_malformed_tokens(registry):
    create_user(registry, "someone-else", "someone's password", permissions=PERMISSIONS)
    token = registry.token
    accepted = []
    for label, forged in forgeries(token).items():
        r = search(registry, forged)
        if r.status_code != 403:
            accepted.append((label, r.status_code, r.text[:120]))
        else:
            assert_auth_failed(r)
    assert not accepted, f"tokens that should fail authentication: {accepted}"
    # The genuine token still works, and none of the above spent its uses or broke it.
    assert_json_status(search(registry, token), 200)


def test_forged_token_cannot_write(registry):
    forged = join(parts(registry.token)[:3] + [flip_hex(parts(registry.token)[3])])
    r = register(registry, "model", "https://huggingface.co/forged/write", token=forged, expect=None)
    assert_auth_failed(r)
    r = call(registry, "DELETE", "/reset", token=forged)
    assert_auth_failed(r)
    r = call(registry, "POST", "/users", token=forged,
             json={"user": {"name": "mallory", "is_admin": True}, "secret": {"password": "x"}})
    assert_auth_failed(r)
    assert_error(login(registry, "mallory", "x", expect=401), "not_permitted", 401)


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("GET", "/health", None),
        ("GET", "/health/components", None),
        ("GET", "/tracks", None),
    ],
)
@pytest.mark.parametrize("header", [None, "", "bearer forged", "Basic abc"])
def test_public_routes_ignore_the_header(stack, method, path, body, header):
    headers = {} if header is None else {"X-Authorization": header}
    r = call(stack, method, path, token=None, headers=headers, json=body)
    assert_json_status(r, 200)


@pytest.mark.parametrize("header", ["bearer forged", "Basic abc", "bearer " + "0" * 200])
def test_authenticate_ignores_the_header(stack, header):
    r = call(stack, "PUT", "/authenticate", headers={"X-Authorization": header},
             json=credentials(ADMIN_NAME, stack.admin_password, True))
    assert assert_json_status(r, 200).startswith("bearer ")


# -- reset, expiry, use limits and restarts -------------------------------------------------------


def test_reset_revokes_every_token(registry):
    user = user_token(registry, "before-reset", ["search"])
    admin_before = registry.token
    assert_json_status(search(registry, user), 200)
    assert_json_status(call(registry, "DELETE", "/reset"), 200)  # call() logs in again
    assert registry.token != admin_before
    body = assert_auth_failed(search(registry, admin_before))
    assert "revoked" in body["detail"]
    assert_auth_failed(search(registry, user))
    # The default admin exists again; the user does not.
    assert_json_status(search(registry, registry.token), 200)
    assert_error(login(registry, "before-reset", "pw of before-reset", expect=401), "not_permitted", 401)


def test_reset_by_another_admin_revokes_the_callers_token_too(registry):
    other = user_token(registry, "second-admin", is_admin=True)
    r = call(registry, "DELETE", "/reset", token=other)
    assert_json_status(r, 200)
    assert_auth_failed(search(registry, other))
    assert_error(login(registry, "second-admin", "pw of second-admin", expect=401), "not_permitted", 401)


def test_expired_token(stack, stack_factory):
    """REGISTRY_TOKEN_TTL_SECONDS=2: a token works at once and not after its expiry. This
    stack also runs with the default PBKDF2 iterations (one worker, to derive few records) and
    its own admin password, and has its own signing secret."""
    password = "another 'admin' password `;--"
    s = stack_factory(
        workers=1,
        REGISTRY_TOKEN_TTL_SECONDS="2",
        REGISTRY_PBKDF2_ITERATIONS=None,
        REGISTRY_ADMIN_PASSWORD=password,
    )
    assert s.admin_password == password
    token = s.token  # the fixture logged in with the stack's admin password
    assert int(parts(token)[1]) - time.time() <= 3
    assert_json_status(search(s, token), 200)
    # Each data directory has its own signing secret.
    assert_auth_failed(search(s, stack.token))
    assert_auth_failed(search(stack, token))
    # REGISTRY_ADMIN_PASSWORD replaces the contract's example password.
    assert_error(login(s, ADMIN_NAME, DEFAULT_ADMIN_PASSWORD, expect=401), "not_permitted", 401)
    # Past the token's expiry (whole seconds, on the clock the server shares with us).
    time.sleep(max(0.0, int(parts(token)[1]) + 0.5 - time.time()))
    body = assert_auth_failed(search(s, token))
    assert "expired" in body["detail"], body
    # Logging in again gives a working token.
    assert_json_status(search(s, login(s, ADMIN_NAME, password, is_admin=True)), 200)


def burst(stack, token, n, threads=32):
    """n concurrent searches with token, each on its own connection: [status]."""
    barrier = threading.Barrier(threads)
    local = threading.local()
    sessions = []
    lock = threading.Lock()

    def one(i):
        if not hasattr(local, "session"):
            local.session = new_session()
            with lock:
                sessions.append(local.session)
            barrier.wait(timeout=10)
        try:
            r = search(stack, token, session=local.session)
        except requests.RequestException as e:
            return f"no answer: {e!r}"[:120]
        if r.status_code == 403:
            assert_auth_failed(r)
        return r.status_code

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(one, range(n)))
    finally:
        for s in sessions:
            s.close()


def test_token_use_limit_restart_and_concurrency(stack_factory):
    """REGISTRY_TOKEN_MAX_USES=20: uses 1..20 succeed and the 21st fails, the count and the
    signing secret survive a restart, and under concurrency exactly 20 uses succeed."""
    s = stack_factory(REGISTRY_TOKEN_MAX_USES="20")
    token = login(s, ADMIN_NAME, s.admin_password, is_admin=True)
    for i in range(12):
        assert_json_status(search(s, token), 200)
    # Public routes and logins spend no uses.
    for _ in range(5):
        assert call(s, "GET", "/health", token=token).status_code == 200
    create_user(s, "keeper", "pw'\"`keeper", permissions=["search"], token=token)  # use 13
    user = login(s, "keeper", "pw'\"`keeper")

    # A restart, with more PBKDF2 iterations for new records: existing tokens and password
    # records keep working, and the use count goes on from 13.
    s.restart(env={"REGISTRY_PBKDF2_ITERATIONS": "2000"})
    for i in range(14, 21):
        r = search(s, token)
        assert r.status_code == 200, f"use {i}: {r.status_code} {r.text[:200]}"
    body = assert_auth_failed(search(s, token))
    assert "20" in body["detail"], body
    assert_auth_failed(search(s, token))  # and it stays spent
    assert_json_status(search(s, user), 200)
    assert_json_status(search(s, login(s, "keeper", "pw'\"`keeper")), 200)

    # Concurrency: 100 requests at once with a fresh token, through every registryd worker.
    fresh = login(s, ADMIN_NAME, s.admin_password, is_admin=True)
    statuses = burst(s, fresh, 100)
    assert sorted(set(map(str, statuses))) <= ["200", "403"], statuses
    assert statuses.count(200) == 20, (
        f"{statuses.count(200)} of 100 concurrent uses succeeded with REGISTRY_TOKEN_MAX_USES=20"
    )
    assert_auth_failed(search(s, fresh))
