"""The permission matrix: a user holding each single permission (none, upload, search, download,
admin, and all but admin) against every authenticated endpoint, with simple valid requests.
A request whose permission the user lacks is 401 not_permitted and changes nothing; one it holds
gets the endpoint's ordinary answer."""

import pytest

from apiutil import (
    ADMIN_NAME,
    PERMISSIONS,
    assert_error,
    assert_json_status,
    call,
    create_user,
    enumerate_all,
    get_artifact,
    login,
    quote,
    register,
)

USER = "matrix-user"
OTHER = "matrix-other"


def endpoints(model, dataset):
    """(label, needed permission, method, path, body, status when permitted), in an order where
    each request still finds what it needs (deletes and the reset last)."""
    mid, did = model["metadata"]["id"], dataset["metadata"]["id"]
    name = model["metadata"]["name"]
    update = {"metadata": model["metadata"], "data": {"url": model["data"]["url"]}}
    return [
        ("register", "upload", "POST", "/artifact/code", {"url": "https://github.com/matrix/new"}, 201),
        ("update", "upload", "PUT", f"/artifacts/model/{mid}", update, 200),
        ("enumerate", "search", "POST", "/artifacts", [{"name": "*"}], 200),
        ("get", "search", "GET", f"/artifacts/model/{mid}", None, 200),
        ("byName", "search", "GET", f"/artifact/byName/{quote(name)}", None, 200),
        ("byRegEx", "search", "POST", "/artifact/byRegEx", {"regex": "target"}, 200),
        ("rate", "search", "GET", f"/artifact/model/{mid}/rate", None, 200),
        ("cost", "search", "GET", f"/artifact/model/{mid}/cost", None, 200),
        ("lineage", "search", "GET", f"/artifact/model/{mid}/lineage", None, 200),
        ("license-check", "search", "POST", f"/artifact/model/{mid}/license-check",
         {"github_url": "https://github.com/matrix/lic"}, 200),
        ("audit", "search", "GET", f"/artifact/model/{mid}/audit", None, 200),
        ("download", "download", "GET", f"/download/model/{mid}", None, 200),
        ("users create", "admin", "POST", "/users",
         {"user": {"name": "matrix-new", "is_admin": False}, "secret": {"password": "pw-matrix-new"}}, 201),
        ("users list", "admin", "GET", "/users", None, 200),
        ("confusion audit", "admin", "GET", "/PackageConfusionAudit", None, 200),
        ("user get self", None, "GET", f"/users/{USER}", None, 200),
        ("user get other", "admin", "GET", f"/users/{OTHER}", None, 200),
        ("user permissions", "admin", "PUT", f"/users/{OTHER}/permissions",
         {"permissions": ["upload"]}, 200),
        ("user delete other", "admin", "DELETE", f"/users/{OTHER}", None, 200),
        ("artifact delete", "upload", "DELETE", f"/artifacts/dataset/{did}", None, 200),
        ("reset", "admin", "DELETE", "/reset", None, 200),
    ]


@pytest.mark.parametrize(
    "permissions,is_admin",
    [
        ([], None),
        (["upload"], None),
        (["search"], None),
        (["download"], None),
        (["admin"], None),
        ([], True),
        (["upload", "search", "download"], None),
    ],
    ids=["none", "upload", "search", "download", "admin", "is_admin", "all-but-admin"],
)
def test_permission_matrix(registry, permissions, is_admin):
    model = register(registry, "model", "https://huggingface.co/matrix/target-model")
    dataset = register(registry, "dataset", "https://huggingface.co/datasets/matrix/victim")
    create_user(registry, OTHER, "pw-other", permissions=["search"])
    created = create_user(registry, USER, "pw-the-user", permissions=permissions, is_admin=is_admin)
    held = set(created["permissions"])
    token = login(registry, USER, "pw-the-user")

    wrong = []
    for label, needed, method, path, body, ok_status in endpoints(model, dataset):
        allowed = needed is None or needed in held
        r = call(registry, method, path, token=token, json=body)
        want = ok_status if allowed else 401
        if r.status_code not in (want if isinstance(want, tuple) else (want,)):
            wrong.append(f"{label}: {method} {path} -> {r.status_code} (want {want}) {r.text[:120]}")
        elif not allowed:
            assert_error(r, "not_permitted", 401)
    assert not wrong, f"permissions {sorted(held)}:\n" + "\n".join(wrong)

    if "admin" in held:
        return  # the user reset the registry: nothing left to compare
    # Nothing a refused request asked for happened.
    items, _ = enumerate_all(registry, [{"name": "*"}])
    ids = {m["id"] for m in items}
    assert model["metadata"]["id"] in ids
    if "upload" in held:
        assert dataset["metadata"]["id"] not in ids
        assert any(m["name"] == "new" and m["type"] == "code" for m in items)
    else:
        assert_json_status(get_artifact(registry, "dataset", dataset["metadata"]["id"]), 200)
        assert len(items) == 2, items
    users = {u["name"]: u for u in assert_json_status(call(registry, "GET", "/users"), 200)}
    assert set(users) == {ADMIN_NAME, OTHER, USER}
    assert users[OTHER]["permissions"] == ["search"]


def test_admin_holds_every_permission(registry):
    created = create_user(registry, "matrix-admin", "pw-matrix-admin", is_admin=True)
    assert set(created["permissions"]) == set(PERMISSIONS)
    default = assert_json_status(call(registry, "GET", f"/users/{ADMIN_NAME}"), 200)
    assert set(default["permissions"]) == set(PERMISSIONS) and default["is_admin"] is True


def test_refusal_names_the_missing_permission(registry):
    create_user(registry, USER, "pw-the-user", permissions=["download"])
    token = login(registry, USER, "pw-the-user")
    body = assert_error(call(registry, "POST", "/artifacts", token=token, json=[{"name": "*"}]),
                        "not_permitted", 401)
    assert "search" in body["detail"], body
    body = assert_error(register(registry, "model", "https://huggingface.co/m/x", token=token,
                                 expect=None), "not_permitted", 401)
    assert "upload" in body["detail"], body


def test_authentication_comes_before_permission(registry):
    """No token or a bad token is 403 on every endpoint, whatever it needs."""
    model = register(registry, "model", "https://huggingface.co/matrix/target-model")
    dataset = register(registry, "dataset", "https://huggingface.co/datasets/matrix/victim")
    create_user(registry, OTHER, "pw-other", permissions=["search"])
    wrong = []
    for label, _, method, path, body, _ in endpoints(model, dataset):
        for token in (None, "bearer not-a-token"):
            r = call(registry, method, path, token=token, json=body)
            if r.status_code != 403 or r.json().get("error") != "authentication_failed":
                wrong.append(f"{label} with {token!r}: {r.status_code} {r.text[:120]}")
    assert not wrong, "\n".join(wrong)
    items, _ = enumerate_all(registry, [{"name": "*"}])
    assert len(items) == 2
