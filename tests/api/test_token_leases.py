"""Token uses leased to a host in blocks (lib/auth/leases.h): the use limit stays exact while
workers are killed, hosts sharing a DynamoDB table never pass it together, and a reset or a
deleted user revokes leased uses at once on the host that made the change."""

import os
import signal

import pytest

import conftest
from apiutil import ADMIN_NAME, assert_json_status, call, create_user, login
from test_auth import assert_auth_failed, burst, search
from test_resilience import wait_for_pool

LIMIT = 150


def spend_until_refused(stack, token, bursts=12, n=40):
    """Concurrent bursts until one is refused entirely: the number of 200s in all."""
    ok = 0
    for _ in range(bursts):
        statuses = burst(stack, token, n, threads=16)
        assert set(statuses) <= {200, 403}, statuses
        ok += statuses.count(200)
        if statuses.count(200) == 0:
            break
    return ok


def test_limit_is_exact_across_worker_kills(stack_factory):
    """Workers spend from blocks held in the pool's shared memory: killing workers between
    requests loses no use, and exactly LIMIT concurrent uses succeed."""
    s = stack_factory(workers=4, REGISTRY_TOKEN_MAX_USES=str(LIMIT))
    token = login(s, ADMIN_NAME, s.admin_password, is_admin=True)
    ok = 0
    for round_ in range(2):
        statuses = burst(s, token, 30, threads=16)
        assert statuses.count(200) == 30, statuses
        ok += 30
        victim = s.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        wait_for_pool(s, restarts=round_ + 1)
    ok += spend_until_refused(s, token)
    assert ok == LIMIT, f"{ok} uses succeeded with REGISTRY_TOKEN_MAX_USES={LIMIT}"
    body = assert_auth_failed(search(s, token))
    assert str(LIMIT) in body["detail"], body


def test_hosts_sharing_a_table_never_pass_the_limit(backend, stack_factory):
    """Two hosts spend one token at once: together they never pass the limit; when one stops
    it gives its unspent uses back, and the other then reaches the limit exactly."""
    if backend != "dynamodb":
        pytest.skip("hosts share a DynamoDB table; the SQLite store belongs to one host")
    a = stack_factory(workers=2, REGISTRY_TOKEN_MAX_USES=str(LIMIT))
    b = conftest.Stack(workers=2, env={"DYNAMODB_TABLE": a.env["DYNAMODB_TABLE"],
                                       "REGISTRY_TOKEN_MAX_USES": str(LIMIT)})
    token = login(a, ADMIN_NAME, a.admin_password, is_admin=True)
    try:
        b.start()
        ok = 0
        for _ in range(3):
            for host in (a, b):
                statuses = burst(host, token, 20, threads=10)
                assert set(statuses) <= {200, 403}, statuses
                ok += statuses.count(200)
        assert ok <= LIMIT
    finally:
        assert b.teardown() is None
    ok += spend_until_refused(a, token)
    assert ok == LIMIT, f"{ok} uses succeeded on two hosts with REGISTRY_TOKEN_MAX_USES={LIMIT}"


def test_reset_revokes_leased_uses_at_once(stack_factory):
    s = stack_factory(workers=2)
    token = login(s, ADMIN_NAME, s.admin_password, is_admin=True)
    assert burst(s, token, 20, threads=8).count(200) == 20  # the host now holds a block
    assert_json_status(call(s, "DELETE", "/reset", token=token), 200)
    assert_auth_failed(search(s, token))


def test_deleted_user_loses_leased_uses_even_if_recreated(stack_factory):
    s = stack_factory(workers=2)
    admin = login(s, ADMIN_NAME, s.admin_password, is_admin=True)
    create_user(s, "leaser", "leaser-password", permissions=["search"], token=admin)
    old = login(s, "leaser", "leaser-password")
    assert burst(s, old, 20, threads=8).count(200) == 20
    assert_json_status(call(s, "DELETE", "/users/leaser", token=admin), 200)
    create_user(s, "leaser", "leaser-password", permissions=["search"], token=admin)
    assert_auth_failed(search(s, old))
    assert_json_status(search(s, login(s, "leaser", "leaser-password")), 200)
