"""Hardening of the registry's data paths (issue 14), through the real stack on either store.

- Uploads live in their own namespace: an uploaded model named like a Hugging Face repository
  never answers for that repository in lineage, tree_score, cost or the Hub-compatible API;
  only artifacts ingested from Hugging Face (or GitHub, for code) do.
- Reading the audit trail records one AUDIT entry per reader and artifact per window
  (REGISTRY_AUDIT_READ_WINDOW_SECONDS), and the trail is answered in pages (`offset`).
- READMEs are not held by every worker: regex search reads them from the store, up to the
  searchable prefix of each, and a worker's memory does not grow with the READMEs stored.

The dependency-cost closure's complexity is a unit test (tests/unit/core/test_graph.c).
"""

import concurrent.futures
import os
import urllib.parse

import pytest

from apiutil import (ADMIN_NAME, assert_error, assert_json_status, call, register,
                     make_zip, model_card, safetensors_bytes, user_token)

HF = "https://huggingface.co/"
# A Hub model and a registered child whose card names it as base_model (tests/fixtures/corpus).
BASE, CHILD = "google-bert/bert-base-uncased", "fixture-lab/bert-base-uncased-squad"



def upload(stack, type_, name, readme, extra=()):
    """Uploads a zip with readme (and extra entries) as an artifact named name."""
    data = make_zip([("README.md", readme), *extra])
    path = f"/artifact/{type_}/upload?name={urllib.parse.quote(name, safe='')}"
    r = call(stack, "POST", path, data=data, headers={"Content-Type": "application/zip"})
    return assert_json_status(r, 201)


def upload_model(stack, name):
    return upload(stack, "model", name, model_card(name),
                  [("config.json", '{"model_type": "bert"}'),
                   ("model.safetensors", safetensors_bytes(4096, b"\0"))])


def rid(art):
    return art["metadata"]["id"]


def lineage(stack, art):
    g = assert_json_status(call(stack, "GET", f"/artifact/model/{rid(art)}/lineage"), 200)
    nodes = {n["artifact_id"] for n in g["nodes"]}
    edges = {(e["from_node_artifact_id"], e["to_node_artifact_id"]) for e in g["edges"]}
    return nodes, edges


def rating(stack, art):
    return assert_json_status(call(stack, "GET", f"/artifact/model/{rid(art)}/rate"), 200)


def closure(stack, art):
    r = call(stack, "GET", f"/artifact/model/{rid(art)}/cost?dependency=true")
    return set(assert_json_status(r, 200))


def hub_info(stack, repo):
    return call(stack, "GET", f"/api/models/{repo}")


# -- uploads are not Hub repositories ---------------------------------------------------------


def test_an_upload_named_like_a_hub_parent_is_not_that_parent(registry):
    """An upload named like the Hub model a registered model's card names as base_model is no
    parent of it: no lineage edge either way, tree_score as without parents, no cost, and the
    Hub API does not serve it under that repository id."""
    fake = upload_model(registry, BASE)
    child = register(registry, "model", HF + CHILD)
    assert lineage(registry, child) == ({rid(child)}, set())
    assert lineage(registry, fake) == ({rid(fake)}, set())
    assert rating(registry, child)["tree_score"] == 1  # no registered parent
    assert closure(registry, child) == {rid(child)}
    r = hub_info(registry, BASE)
    assert r.status_code == 404 and r.headers.get("X-Error-Code") == "RepoNotFound", r.text


def test_the_ingested_parent_wins_over_an_earlier_upload(registry):
    """With both registered, and the upload first (case aside, the same id), the ingested
    model is the parent everywhere and the upload is nobody's parent."""
    fake = upload_model(registry, BASE.upper())
    base = register(registry, "model", HF + BASE)
    child = register(registry, "model", HF + CHILD)
    fake_score = rating(registry, fake)["net_score"]
    base_score = rating(registry, base)["net_score"]
    assert abs(fake_score - base_score) > 0.02, "the two must be told apart by tree_score"
    assert lineage(registry, child) == ({rid(child), rid(base)}, {(rid(base), rid(child))})
    assert lineage(registry, fake) == ({rid(fake)}, set())
    assert rating(registry, child)["tree_score"] == pytest.approx(base_score, abs=0.011)
    assert closure(registry, child) == {rid(child), rid(base)}
    info = assert_json_status(hub_info(registry, BASE), 200)
    assert info["id"] == BASE


def test_an_uploaded_model_still_has_its_own_ingested_parents(registry):
    """The namespace rule is about who answers for a repository id, not about uploads'
    lineage: an upload whose config.json names a registered Hub model is its child."""
    base = register(registry, "model", HF + BASE)
    child = upload(registry, "model", "acme-bert", model_card("acme-bert"),
                   [("config.json", '{"model_type": "bert", "_name_or_path": "%s"}' % BASE),
                    ("model.safetensors", safetensors_bytes(4096, b"\0"))])
    assert lineage(registry, child) == ({rid(child), rid(base)}, {(rid(base), rid(child))})
    assert closure(registry, child) == {rid(child), rid(base)}


# -- the audit trail: one AUDIT entry per reader per window, read in pages --------------------


def audit(stack, art, offset=None, token=None):
    m = art["metadata"]
    path = f"/artifact/{m['type']}/{m['id']}/audit"
    if offset is not None:
        path += "?offset=" + urllib.parse.quote(str(offset), safe="")
    kw = {} if token is None else {"token": token}
    return call(stack, "GET", path, **kw)


def trail(stack, art, token=None):
    """Every entry of art's trail, walking the pages by their `offset` header: (action, user)
    pairs, oldest first, and the sizes of the pages."""
    entries, sizes, offset = [], [], None
    while True:
        r = audit(stack, art, offset=offset, token=token)
        page = assert_json_status(r, 200)
        assert isinstance(page, list)
        entries += [(e["action"], e["user"]["name"]) for e in page]
        sizes.append(len(page))
        offset = r.headers.get("offset")
        if offset is None:
            return entries, sizes
        assert len(sizes) < 100, "the pages do not end"


def test_repeated_audit_reads_add_one_entry_per_reader(registry):
    art = register(registry, "model", HF + "hardening/audit-reads")
    reader = user_token(registry, "audit-reader", ["search"])
    for _ in range(5):
        assert_json_status(audit(registry, art, token=reader), 200)
    for _ in range(3):
        assert_json_status(audit(registry, art), 200)
    entries, _ = trail(registry, art)
    assert entries == [("CREATE", ADMIN_NAME), ("AUDIT", "audit-reader"), ("AUDIT", ADMIN_NAME)]


def test_concurrent_audit_reads_by_one_reader_add_one_entry(registry):
    art = register(registry, "model", HF + "hardening/audit-concurrent")
    reader = user_token(registry, "audit-crowd", ["search"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: audit(registry, art, token=reader).status_code,
                                 range(24)))
    assert statuses == [200] * 24
    entries, _ = trail(registry, art, token=reader)
    assert entries == [("CREATE", ADMIN_NAME), ("AUDIT", "audit-crowd")]


def test_a_zero_window_records_every_read(stack_factory):
    s = stack_factory(REGISTRY_AUDIT_READ_WINDOW_SECONDS="0")
    art = register(s, "model", HF + "hardening/audit-every-read")
    for _ in range(3):
        assert_json_status(audit(s, art), 200)
    entries, _ = trail(s, art)
    assert entries == [("CREATE", ADMIN_NAME)] + [("AUDIT", ADMIN_NAME)] * 4


def test_the_trail_is_read_in_pages(registry):
    """230 ratings read by three users in turn: every entry once, in order, in pages of at most
    100, each page but the last naming the next in its `offset` header."""
    art = register(registry, "model", HF + "hardening/audit-pages")
    users = [ADMIN_NAME, "pager-1", "pager-2"]
    tokens = [None] + [user_token(registry, u, ["search"]) for u in users[1:]]
    for i in range(230):
        r = call(registry, "GET", f"/artifact/model/{rid(art)}/rate",
                 **({} if tokens[i % 3] is None else {"token": tokens[i % 3]}))
        assert_json_status(r, 200)
    entries, sizes = trail(registry, art)
    expected = [("CREATE", ADMIN_NAME)] + [("RATE", users[i % 3]) for i in range(230)]
    assert entries == expected + [("AUDIT", ADMIN_NAME)]
    assert sizes == [100, 100, 32]
    # The first page is the same with and without offset=0.
    first = assert_json_status(audit(registry, art, offset=0), 200)
    assert first == assert_json_status(audit(registry, art), 200)


@pytest.mark.parametrize("offset", ["abc", "-1", "1.5", "0x10", " 1", "99999999999999999999"])
def test_a_bad_audit_offset_is_400(registry, offset):
    art = register(registry, "model", HF + "hardening/audit-offset")
    body = assert_error(audit(registry, art, offset=offset), "bad_request")
    assert "offset" in body["detail"]
    # A refused read is not recorded.
    entries, _ = trail(registry, art)
    assert entries == [("CREATE", ADMIN_NAME), ("AUDIT", ADMIN_NAME)]


# -- READMEs are searched from the store, not held by every worker ----------------------------

SEARCHABLE = 64 * 1024  # REG_SEARCH_README_MAX (lib/base/limits.h)
README_BYTES = 200 * 1024
UPLOADS = 250
# What a worker's private memory may grow by while searching UPLOADS READMEs of README_BYTES
# each: generous for a catalog of 250 entries and one page of the store at a time, far below the
# 50 MiB that a copy of every README would take (or the 16 MiB of their searchable prefixes).
GROWTH_BOUND_MIB = 20


def big_readme(i, word=None, at=0):
    """A README of README_BYTES compressible bytes, unique to i, with word at offset at."""
    line = f"Dataset card {i}: rows of support tickets, labelled by two annotators each.\n"
    text = (line * (README_BYTES // len(line) + 1))[:README_BYTES]
    if word:
        text = text[:at] + word + text[at + len(word):]
    return text


def status_mib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for {pid}")


def vm_rss_mib(pid):
    return status_mib(pid, "VmRSS")


def rss_anon_mib(pid):
    """A worker's private memory: VmRSS without the pages of files it maps, such as the README
    snapshot that every worker of the host shares (one copy in the page cache)."""
    return status_mib(pid, "RssAnon")


def sanitized(pid):
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def search(stack, regex):
    return call(stack, "POST", "/artifact/byRegEx", json={"regex": regex}, timeout=60)


@pytest.fixture(scope="module")
def readme_stack(module_stack_factory):
    """A stack holding UPLOADS datasets with README_BYTES READMEs: "deepword" 60 KiB into the
    README of the 8th (within the searchable prefix), "pastword" 150 KiB into that of the 9th."""
    s = module_stack_factory(workers=2)
    for i in range(UPLOADS):
        word, at = {7: ("deepword", 60 * 1024), 8: ("pastword", 150 * 1024)}.get(i, (None, 0))
        upload(s, "dataset", f"readme-{i:03d}", big_readme(i, word, at))
    return s


def test_a_worker_does_not_hold_every_readme(readme_stack):
    s = readme_stack
    workers = s.worker_pids()
    assert workers
    before = {p: rss_anon_mib(p) for p in workers}
    rss_before = {p: vm_rss_mib(p) for p in workers}
    for _ in range(6):
        found = assert_json_status(search(s, "deepword"), 200)
        assert [m["name"] for m in found] == ["readme-007"]
    growth = {p: rss_anon_mib(p) - before[p] for p in workers}
    print(f"worker growth (MiB) after searching {UPLOADS} READMEs of {README_BYTES // 1024} KiB: "
          f"private {growth}, VmRSS with the shared snapshot's pages "
          f"{ {p: vm_rss_mib(p) - rss_before[p] for p in workers} }")
    # The READMEs a host holds for search: one snapshot file of their searchable prefixes,
    # whatever the number of workers.
    run = os.path.join(s.data_dir, "run")
    snaps = [n for n in os.listdir(run) if n.startswith("readmes-") and n.endswith(".snap")]
    assert len(snaps) == 1, snaps
    assert os.path.getsize(os.path.join(run, snaps[0])) <= UPLOADS * (SEARCHABLE + 64) + 64
    if any(sanitized(p) for p in workers):
        pytest.skip("sanitizer builds keep freed memory in quarantine: no memory bound")
    assert max(growth.values()) < GROWTH_BOUND_MIB, growth


def test_search_reads_each_readme_up_to_the_searchable_prefix(readme_stack):
    s = readme_stack
    # A hit 60 KiB deep, within the prefix, is found; one 150 KiB deep, past it, is not (the
    # README is kept whole: the download has it).
    assert [m["name"] for m in assert_json_status(search(s, "deepw[o]rd"), 200)] == ["readme-007"]
    assert_error(search(s, "pastword"), "not_found")
    # Every README is searched, each artifact listed once, in registration order.
    found = assert_json_status(search(s, r"^Dataset card \d+:"), 200)
    assert [m["name"] for m in found] == [f"readme-{i:03d}" for i in range(UPLOADS)]
    # Name matches and README matches together, still once each.
    found = assert_json_status(search(s, r"readme-00[0-2]|Dataset card 3:"), 200)
    assert [m["name"] for m in found] == ["readme-000", "readme-001", "readme-002", "readme-003"]


# -- one README snapshot per host, following the store's generation ---------------------------


def snapshot_files(stack):
    run = os.path.join(stack.data_dir, "run")
    return sorted(n for n in os.listdir(run) if n.startswith("readmes-"))


def regex_names(stack, regex, tries=8):
    """The names regex finds, asked tries times (so that several workers answer): all answers
    must agree. [] for a 404."""
    answers = set()
    for _ in range(tries):
        r = search(stack, regex)
        if r.status_code == 404:
            answers.add(())
        else:
            answers.add(tuple(sorted(m["name"] for m in assert_json_status(r, 200))))
    assert len(answers) == 1, answers
    return list(answers.pop())


def test_search_follows_uploads_and_deletes_through_the_snapshot(registry):
    s = registry
    arts = {n: upload(s, "dataset", n, f"# {n}\nholds the word snapword-{n}\n")
            for n in ("snap-a", "snap-b", "snap-c")}
    assert regex_names(s, "snapword") == ["snap-a", "snap-b", "snap-c"]
    # The workers searched one file of the host, not the store, for the READMEs.
    assert len(snapshot_files(s)) == 1
    first = snapshot_files(s)[0]
    call(s, "DELETE", f"/artifacts/dataset/{arts['snap-b']['metadata']['id']}")
    upload(s, "dataset", "snap-d", "# snap-d\nsnapword-snap-d\n")
    assert regex_names(s, "snapword") == ["snap-a", "snap-c", "snap-d"]
    assert regex_names(s, "snapword-snap-b") == []
    # A newer generation's file replaced the older one.
    assert len(snapshot_files(s)) == 1 and snapshot_files(s)[0] != first
    assert_json_status(call(s, "DELETE", "/reset"), 200)
    assert regex_names(s, "snapword") == []
