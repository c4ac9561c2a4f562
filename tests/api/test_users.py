"""The users API: POST /users, GET /users, GET and DELETE /users/{username},
PUT /users/{username}/permissions; self vs admin vs another user; revocation and permission
changes taking effect on the next call."""

import json
import threading

import pytest

from apiutil import (
    ADMIN_NAME,
    PERMISSIONS,
    assert_error,
    assert_json_status,
    call,
    create_user,
    login,
    new_session,
    quote,
    register,
    user_token,
)

USER_KEYS = {"name", "is_admin", "permissions"}


def search(stack, token):
    return call(stack, "POST", "/artifacts", token=token, json=[{"name": "*"}])


def get_user(stack, name, token=None):
    kw = {} if token is None else {"token": token}
    return call(stack, "GET", f"/users/{quote(name)}", **kw)


def delete_user(stack, name, token=None):
    kw = {} if token is None else {"token": token}
    return call(stack, "DELETE", f"/users/{quote(name)}", **kw)


def set_perms(stack, name, permissions, is_admin=None, token=None):
    body = {"permissions": list(permissions)}
    if is_admin is not None:
        body["is_admin"] = is_admin
    kw = {} if token is None else {"token": token}
    return call(stack, "PUT", f"/users/{quote(name)}/permissions", json=body, **kw)


def assert_user(data, name, is_admin, permissions):
    assert set(data) == USER_KEYS, data
    assert data["name"] == name
    assert data["is_admin"] is is_admin
    assert isinstance(data["permissions"], list)
    assert len(data["permissions"]) == len(set(data["permissions"])), data
    assert set(data["permissions"]) == set(permissions), data


def assert_denied(r):
    return assert_error(r, "not_permitted", 401)


def assert_auth_failed(r):
    return assert_error(r, "authentication_failed", 403)


# -- POST /users ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "permissions,is_admin,want_admin,want_perms",
    [
        (None, None, False, []),
        ([], None, False, []),
        (["upload"], None, False, ["upload"]),
        (["search", "download"], False, False, ["search", "download"]),
        (["upload", "upload", "search"], None, False, ["upload", "search"]),
        (["admin"], None, True, PERMISSIONS),
        ([], True, True, PERMISSIONS),
        (["search"], True, True, PERMISSIONS),
        (list(PERMISSIONS), None, True, PERMISSIONS),
    ],
)
def test_create_user(registry, permissions, is_admin, want_admin, want_perms):
    created = create_user(registry, "alice", "pw-alice", permissions=permissions, is_admin=is_admin)
    assert_user(created, "alice", want_admin, want_perms)
    assert_user(assert_json_status(get_user(registry, "alice"), 200), "alice", want_admin, want_perms)
    token = login(registry, "alice", "pw-alice")
    assert_user(assert_json_status(get_user(registry, "alice", token), 200), "alice", want_admin,
                want_perms)


def test_create_user_conflict(registry):
    create_user(registry, "bob", "first password", permissions=["search"])
    r = create_user(registry, "bob", "second password", permissions=list(PERMISSIONS), expect=409)
    assert_error(r, "conflict")
    # The first registration stands: its password and permissions.
    login(registry, "bob", "first password")
    assert_error(login(registry, "bob", "second password", expect=401), "not_permitted", 401)
    assert_user(assert_json_status(get_user(registry, "bob"), 200), "bob", False, ["search"])
    r = create_user(registry, ADMIN_NAME, "another password", is_admin=True, expect=409)
    assert_error(r, "conflict")
    login(registry, ADMIN_NAME, registry.admin_password)


def test_user_names_are_case_sensitive(registry):
    create_user(registry, "Carol", "password 1")
    create_user(registry, "carol", "password 2")
    login(registry, "Carol", "password 1")
    login(registry, "carol", "password 2")
    assert_error(login(registry, "Carol", "password 2", expect=401), "not_permitted", 401)


def valid_body(**over):
    body = {"user": {"name": "dave", "is_admin": False}, "secret": {"password": "a good password"},
            "permissions": ["search"]}
    body.update(over)
    return body


BAD_CREATE_BODIES = [
    {},
    {"secret": {"password": "a good password"}},
    {"user": {"name": "dave"}},
    {"user": {"name": "dave"}, "secret": {}},
    {"user": {"name": "dave"}, "secret": {"password": None}},
    {"user": {"name": "dave"}, "secret": {"password": 12345}},
    {"user": {"name": "dave"}, "secret": {"password": ""}},
    {"user": {"name": "dave"}, "secret": {"password": "x" * 1025}},
    {"user": {"name": "dave"}, "secret": {"password": "é" * 512 + "x"}},  # 1025 bytes
    {"user": {"name": "dave"}, "secret": "pw"},
    {"user": "dave", "secret": {"password": "a good password"}},
    {"user": {}, "secret": {"password": "a good password"}},
    {"user": {"name": None}, "secret": {"password": "a good password"}},
    {"user": {"name": 7}, "secret": {"password": "a good password"}},
    {"user": {"name": ""}, "secret": {"password": "a good password"}},
    {"user": {"name": "*"}, "secret": {"password": "a good password"}},
    {"user": {"name": "x" * 256}, "secret": {"password": "a good password"}},
    {"user": {"name": "tab\there"}, "secret": {"password": "a good password"}},
    {"user": {"name": "new\nline"}, "secret": {"password": "a good password"}},
    {"user": {"name": "dave", "is_admin": "yes"}, "secret": {"password": "a good password"}},
    {"user": {"name": "dave", "is_admin": 1}, "secret": {"password": "a good password"}},
    {"user": {"name": "dave", "is_admin": None}, "secret": {"password": "a good password"}},
    valid_body(permissions="search"),
    valid_body(permissions={"search": True}),
    valid_body(permissions=["superuser"]),
    valid_body(permissions=["Search"]),
    valid_body(permissions=["search", "root"]),
    valid_body(permissions=[1]),
    valid_body(permissions=[None]),
    valid_body(permissions=[["search"]]),
    [valid_body()],
    "dave",
    None,
]


@pytest.mark.parametrize("body", BAD_CREATE_BODIES, ids=lambda b: json.dumps(b)[:60])
def test_create_user_bad_body(registry, body):
    r = call(registry, "POST", "/users", json=body)
    assert_error(r, "bad_request")
    users = assert_json_status(call(registry, "GET", "/users"), 200)
    assert [u["name"] for u in users] == [ADMIN_NAME]


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b'{"user": {"name": "dave"}, "secret": {"password": "pass\\u0000word"}}',
     b'{"user": {"name": "dave"}, "secret": {"password": "\xff"}}',
     b'{"user": {"name": "d\\u0000ave"}, "secret": {"password": "a good password"}}'],
)
def test_create_user_malformed(registry, raw):
    assert_error(call(registry, "POST", "/users", data=raw), "bad_request")


def test_create_user_boundaries(registry):
    create_user(registry, "n" * 255, "p" * 1024)
    login(registry, "n" * 255, "p" * 1024)
    create_user(registry, "é" * 127 + "x", "é" * 512)  # 255 and 1024 bytes
    login(registry, "é" * 127 + "x", "é" * 512)


# -- GET /users and GET /users/{username} ----------------------------------------------------------


def test_list_users(registry):
    create_user(registry, "u-one", "a long password", permissions=["upload"])
    create_user(registry, "u-two", "a long password", is_admin=True)
    users = assert_json_status(call(registry, "GET", "/users"), 200)
    assert isinstance(users, list)
    by_name = {u["name"]: u for u in users}
    assert len(by_name) == len(users) == 3
    assert users[0]["name"] == ADMIN_NAME  # oldest first
    assert_user(by_name[ADMIN_NAME], ADMIN_NAME, True, PERMISSIONS)
    assert_user(by_name["u-one"], "u-one", False, ["upload"])
    assert_user(by_name["u-two"], "u-two", True, PERMISSIONS)
    text = json.dumps(users)
    assert "pbkdf2" not in text and "password" not in text


def test_list_many_users(registry):
    names = [f"many-{i:02d}" for i in range(40)]
    for i, name in enumerate(names):
        create_user(registry, name, "a long password", permissions=[PERMISSIONS[i % 3]])
    users = assert_json_status(call(registry, "GET", "/users"), 200)
    assert [u["name"] for u in users] == [ADMIN_NAME] + names
    for i, u in enumerate(users[1:]):
        assert_user(u, names[i], False, [PERMISSIONS[i % 3]])


def test_list_users_after_reset_has_only_the_default_admin(registry):
    create_user(registry, "gone-after-reset", "a long password")
    assert_json_status(call(registry, "DELETE", "/reset"), 200)
    users = assert_json_status(call(registry, "GET", "/users"), 200)
    assert len(users) == 1, users
    assert_user(users[0], ADMIN_NAME, True, PERMISSIONS)


def test_list_users_needs_admin(registry):
    for perms in ([], ["upload", "search", "download"]):
        token = user_token(registry, f"lister-{len(perms)}", perms)
        assert_denied(call(registry, "GET", "/users", token=token))
    assert_auth_failed(call(registry, "GET", "/users", token=None))


def test_get_user_self_admin_other(registry):
    alice = user_token(registry, "alice", ["search"])
    bob = user_token(registry, "bob", ["upload", "search", "download"])
    assert_user(assert_json_status(get_user(registry, "alice", alice), 200), "alice", False, ["search"])
    assert_user(assert_json_status(get_user(registry, "bob", bob), 200), "bob", False,
                ["upload", "search", "download"])
    # Another non-admin user: 401 whether the user exists or not.
    assert_denied(get_user(registry, "bob", alice))
    assert_denied(get_user(registry, ADMIN_NAME, alice))
    assert_denied(get_user(registry, "nobody", alice))
    # The admin reads anyone; an unknown name is 404.
    assert_user(assert_json_status(get_user(registry, "alice"), 200), "alice", False, ["search"])
    assert_user(assert_json_status(get_user(registry, ADMIN_NAME), 200), ADMIN_NAME, True, PERMISSIONS)
    assert_error(get_user(registry, "nobody"), "not_found")
    assert_error(get_user(registry, "Alice"), "not_found")
    # No token, or a bad one.
    assert_auth_failed(call(registry, "GET", "/users/alice", token=None))
    assert_auth_failed(call(registry, "GET", "/users/alice", token="bearer x"))


@pytest.mark.parametrize("name", ["slash/in name", "O'Brien \"the\" `user`", "ünï 🤗", "50%"])
def test_get_user_with_encoded_name(registry, name):
    token = user_token(registry, name, ["search"])
    assert_user(assert_json_status(get_user(registry, name, token), 200), name, False, ["search"])
    assert_user(assert_json_status(get_user(registry, name), 200), name, False, ["search"])


# -- DELETE /users/{username} -------------------------------------------------------------------------


def test_user_deletes_self(registry):
    token = user_token(registry, "erin", ["search"])
    second = login(registry, "erin", "pw of erin")
    assert_json_status(search(registry, token), 200)
    assert assert_json_status(delete_user(registry, "erin", token), 200) == {"deleted": "erin"}
    # Every token of the user is revoked, the one used included.
    for t in (token, second):
        assert_auth_failed(search(registry, t))
        assert_auth_failed(get_user(registry, "erin", t))
    assert_error(login(registry, "erin", "pw of erin", expect=401), "not_permitted", 401)
    assert_error(get_user(registry, "erin"), "not_found")


def test_admin_deletes_user(registry):
    token = user_token(registry, "frank", ["upload", "search"])
    assert_json_status(search(registry, token), 200)
    assert assert_json_status(delete_user(registry, "frank"), 200) == {"deleted": "frank"}
    assert_auth_failed(search(registry, token))
    assert_error(delete_user(registry, "frank"), "not_found")
    assert_error(delete_user(registry, "never-existed"), "not_found")
    users = assert_json_status(call(registry, "GET", "/users"), 200)
    assert "frank" not in {u["name"] for u in users}


def test_recreated_user_does_not_revive_old_tokens(registry):
    old = user_token(registry, "grace", ["search"])
    assert_json_status(delete_user(registry, "grace"), 200)
    create_user(registry, "grace", "new password", permissions=["search"])
    assert_auth_failed(search(registry, old))
    assert_error(login(registry, "grace", "pw of grace", expect=401), "not_permitted", 401)
    assert_json_status(search(registry, login(registry, "grace", "new password")), 200)


def test_user_cannot_delete_another(registry):
    heidi = user_token(registry, "heidi", ["upload", "search", "download"])
    ivan = user_token(registry, "ivan", ["search"])
    assert_denied(delete_user(registry, "ivan", heidi))
    assert_denied(delete_user(registry, ADMIN_NAME, heidi))
    assert_denied(delete_user(registry, "nobody", heidi))
    assert_json_status(search(registry, ivan), 200)
    assert_json_status(get_user(registry, "ivan"), 200)
    assert_auth_failed(call(registry, "DELETE", "/users/ivan", token=None))
    assert_json_status(get_user(registry, "ivan"), 200)


def test_last_admin_cannot_be_deleted(registry):
    assert_error(delete_user(registry, ADMIN_NAME), "conflict")
    assert_json_status(search(registry, registry.token), 200)
    # With a second admin the default admin can go; then the second is the last one.
    judy = user_token(registry, "judy", is_admin=True)
    assert assert_json_status(delete_user(registry, ADMIN_NAME, judy), 200) == {"deleted": ADMIN_NAME}
    assert_auth_failed(search(registry, registry.token))
    assert_error(delete_user(registry, "judy", judy), "conflict")
    assert_json_status(call(registry, "GET", "/users", token=judy), 200)
    # A reset brings the default admin back (and logs the harness in again).
    assert_json_status(call(registry, "DELETE", "/reset", token=judy), 200)
    assert_json_status(search(registry, registry.token), 200)


def test_admin_may_delete_self_when_another_admin_remains(registry):
    ken = user_token(registry, "ken", is_admin=True)
    assert_json_status(delete_user(registry, "ken", ken), 200)
    assert_auth_failed(search(registry, ken))
    assert_error(delete_user(registry, ADMIN_NAME), "conflict")


# -- PUT /users/{username}/permissions ---------------------------------------------------------------


def test_permission_changes_take_effect_on_the_next_call(registry):
    token = user_token(registry, "leo", ["search"])
    url = "https://huggingface.co/perm/leo-model"
    assert_json_status(search(registry, token), 200)
    assert_denied(register(registry, "model", url, token=token, expect=None))

    assert_user(assert_json_status(set_perms(registry, "leo", ["search", "upload"]), 200),
                "leo", False, ["search", "upload"])
    register(registry, "model", url, token=token)

    assert_user(assert_json_status(set_perms(registry, "leo", ["download"]), 200),
                "leo", False, ["download"])
    assert_denied(search(registry, token))
    assert_denied(register(registry, "model", url + "-2", token=token, expect=None))

    assert_user(assert_json_status(set_perms(registry, "leo", []), 200), "leo", False, [])
    assert_denied(search(registry, token))
    # The user can still read themself.
    assert_user(assert_json_status(get_user(registry, "leo", token), 200), "leo", False, [])


def test_promote_and_demote_admin(registry):
    token = user_token(registry, "mia", ["search"])
    assert_denied(call(registry, "GET", "/users", token=token))
    assert_user(assert_json_status(set_perms(registry, "mia", [], is_admin=True), 200),
                "mia", True, PERMISSIONS)
    assert_json_status(call(registry, "GET", "/users", token=token), 200)
    assert_user(assert_json_status(set_perms(registry, "mia", ["search"], is_admin=False), 200),
                "mia", False, ["search"])
    assert_denied(call(registry, "GET", "/users", token=token))
    assert_user(assert_json_status(set_perms(registry, "mia", ["admin"]), 200), "mia", True, PERMISSIONS)
    assert_json_status(call(registry, "GET", "/users", token=token), 200)
    assert_user(assert_json_status(get_user(registry, "mia"), 200), "mia", True, PERMISSIONS)


def test_user_cannot_change_permissions(registry):
    token = user_token(registry, "nina", ["upload", "search", "download"])
    user_token(registry, "oscar", ["search"])
    assert_denied(set_perms(registry, "nina", ["admin"], token=token))
    assert_denied(set_perms(registry, "nina", [], is_admin=True, token=token))
    assert_denied(set_perms(registry, "oscar", [], token=token))
    assert_auth_failed(call(registry, "PUT", "/users/oscar/permissions", token=None,
                            json={"permissions": []}))
    assert_user(assert_json_status(get_user(registry, "nina"), 200), "nina", False,
                ["upload", "search", "download"])
    assert_user(assert_json_status(get_user(registry, "oscar"), 200), "oscar", False, ["search"])


def test_set_permissions_unknown_user(registry):
    assert_error(set_perms(registry, "nobody", ["search"]), "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"is_admin": True},
        {"permissions": None},
        {"permissions": "search"},
        {"permissions": ["root"]},
        {"permissions": ["Search"]},
        {"permissions": [1]},
        {"permissions": ["search"], "is_admin": "true"},
        {"permissions": ["search"], "is_admin": None},
        [{"permissions": ["search"]}],
        None,
    ],
    ids=lambda b: json.dumps(b)[:50],
)
def test_set_permissions_bad_body(registry, body):
    create_user(registry, "pat", "a long password", permissions=["search"])
    r = call(registry, "PUT", "/users/pat/permissions", json=body)
    assert_error(r, "bad_request")
    assert_user(assert_json_status(get_user(registry, "pat"), 200), "pat", False, ["search"])


def test_last_admin_cannot_lose_admin(registry):
    for body in ({"permissions": ["upload", "search", "download"]}, {"permissions": []},
                 {"permissions": [], "is_admin": False}):
        r = call(registry, "PUT", f"/users/{ADMIN_NAME}/permissions", json=body)
        assert_error(r, "conflict")
    assert_user(assert_json_status(get_user(registry, ADMIN_NAME), 200), ADMIN_NAME, True, PERMISSIONS)
    assert_json_status(call(registry, "GET", "/users"), 200)
    # Keeping admin is fine.
    r = set_perms(registry, ADMIN_NAME, ["admin"])
    assert_user(assert_json_status(r, 200), ADMIN_NAME, True, PERMISSIONS)


def test_admin_can_demote_another_admin_and_be_restored(registry):
    quinn = user_token(registry, "quinn", is_admin=True)
    # The default admin steps down while another admin remains.
    r = set_perms(registry, ADMIN_NAME, ["search"], is_admin=False)
    assert_user(assert_json_status(r, 200), ADMIN_NAME, False, ["search"])
    assert_denied(call(registry, "GET", "/users"))
    assert_denied(call(registry, "DELETE", "/reset"))
    assert_json_status(search(registry, registry.token), 200)
    # Now quinn is the last admin.
    assert_error(set_perms(registry, "quinn", ["search"], token=quinn), "conflict")
    r = set_perms(registry, ADMIN_NAME, [], is_admin=True, token=quinn)
    assert_user(assert_json_status(r, 200), ADMIN_NAME, True, PERMISSIONS)
    assert_json_status(call(registry, "GET", "/users"), 200)


# -- the last admin under concurrency -----------------------------------------------------------------

RACE_TRIALS = 200


def test_last_admin_survives_concurrent_removal(stack_factory):
    """The only two admins remove themselves at the same moment (both delete themselves, or
    both drop their admin permission), through different registryd workers: one of the two
    requests must be refused with 409, or the registry is left without any admin. (After two
    concurrent demotions even a restart cannot bring an admin back: the default admin exists,
    as a non-admin.) The race window is short, so the test tries up to RACE_TRIALS times."""
    s = stack_factory()
    current = (ADMIN_NAME, s.token)  # the admin that survived the previous trial
    for trial in range(RACE_TRIALS):
        mode = ("delete", "demote")[trial % 2]
        name = f"race-admin-{trial}"
        pair = [current, (name, user_token(s, name, is_admin=True, token=current[1]))]
        statuses = [None, None]
        barrier = threading.Barrier(2)

        def remove(i):
            who, token = pair[i]
            session = new_session()
            try:
                barrier.wait(timeout=10)
                if mode == "delete":
                    r = call(s, "DELETE", f"/users/{quote(who)}", token=token, session=session)
                else:
                    r = call(s, "PUT", f"/users/{quote(who)}/permissions", token=token,
                             session=session, json={"permissions": ["search"]})
                statuses[i] = r.status_code
            finally:
                session.close()

        threads = [threading.Thread(target=remove, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(statuses) != [200, 200], (
            f"trial {trial}: two admins, {pair[0][0]!r} and {pair[1][0]!r}, each removed "
            f"themselves concurrently ({mode}) and both got 200: no admin remains"
        )
        assert sorted(statuses) == [200, 409], (trial, mode, statuses)
        current = pair[statuses.index(409)]
        # The survivor is still an admin.
        assert_json_status(call(s, "GET", "/users", token=current[1]), 200)
