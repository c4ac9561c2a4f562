"""POST /artifact/{artifact_type}: accepted URL shapes, names, conflicts and bad input."""

import json
import threading

import pytest
import requests

from apiutil import (
    ID_RE,
    assert_error,
    assert_json_status,
    call,
    get_artifact,
    new_session,
    register,
)

# (type, url, derived name)
ACCEPTED = [
    ("model", "https://huggingface.co/google-bert/bert-base-uncased", "bert-base-uncased"),
    ("model", "https://huggingface.co/bert-base-uncased", "bert-base-uncased"),
    ("model", "https://huggingface.co/openai/whisper-tiny/tree/main", "whisper-tiny"),
    ("dataset", "https://huggingface.co/datasets/bookcorpus/bookcorpus", "bookcorpus"),
    ("dataset", "https://huggingface.co/datasets/squad", "squad"),
    ("dataset", "https://www.kaggle.com/datasets/zynicide/wine-reviews", "wine-reviews"),
    ("code", "https://github.com/openai/whisper", "whisper"),
    ("code", "https://github.com/openai/whisper.git", "whisper"),
    ("code", "https://github.com/google-research/bert", "bert"),
]


@pytest.mark.parametrize("type_,url,name", ACCEPTED, ids=[a[1] for a in ACCEPTED])
def test_register_derives_name(registry, type_, url, name):
    data = register(registry, type_, url)
    assert data["metadata"]["name"] == name
    got = assert_json_status(get_artifact(registry, type_, data["metadata"]["id"]), 200)
    assert got == data


def test_register_github_subdirectory(registry):
    url = "https://github.com/huggingface/transformers/tree/main/examples/pytorch"
    data = register(registry, "code", url)
    assert data["metadata"]["name"]
    assert data["data"]["url"] == url


@pytest.mark.parametrize(
    "name",
    [
        "my model",
        "  leading and trailing spaces  ",
        'quote " double',
        "quote ' single",
        "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;",
        "modèle-日本語-✓",
        "emoji 🤗 model",
        "slash/in/name",
        "percent %41 and ?query#frag",
        "x" * 255,
    ],
)
def test_register_keeps_name_verbatim(registry, name):
    url = "https://huggingface.co/names/model-verbatim"
    data = register(registry, "model", url, name=name)
    assert data["metadata"]["name"] == name
    got = assert_json_status(get_artifact(registry, "model", data["metadata"]["id"]), 200)
    assert got["metadata"]["name"] == name


def test_register_name_null_means_derived(registry):
    r = call(
        registry,
        "POST",
        "/artifact/model",
        json={"url": "https://huggingface.co/org/derived-from-null", "name": None},
    )
    assert assert_json_status(r, 201)["metadata"]["name"] == "derived-from-null"


def test_register_same_url_conflicts(registry):
    url = "https://huggingface.co/google-bert/bert-base-uncased"
    register(registry, "model", url)
    r = register(registry, "model", url, name="another name", expect=None)
    assert_error(r, "conflict")


def test_register_url_spellings_are_distinct(registry):
    # Uniqueness is on type + url as given: two spellings of a repository are two artifacts.
    a = register(registry, "code", "https://github.com/openai/whisper")
    b = register(registry, "code", "https://github.com/openai/whisper.git")
    assert a["metadata"]["id"] != b["metadata"]["id"]


@pytest.mark.parametrize(
    "type_,url",
    [
        ("model", "https://huggingface.co/datasets/bookcorpus/bookcorpus"),
        ("model", "https://github.com/openai/whisper"),
        ("model", "https://www.kaggle.com/datasets/zynicide/wine-reviews"),
        ("model", "https://huggingface.co/spaces/org/space"),
        ("model", "https://huggingface.co/"),
        ("model", "https://example.com/org/model"),
        ("model", "https://huggingface.co.evil.example/org/model"),
        ("model", "https://huggingface.co/org/../model"),
        ("code", "https://huggingface.co/google-bert/bert-base-uncased"),
        ("code", "https://github.com/openai"),
        ("code", "https://github.com/openai/whisper/blob/main/README.md"),
        ("dataset", "https://huggingface.co/google-bert/bert-base-uncased"),
        ("dataset", "https://github.com/openai/whisper"),
        ("dataset", "https://www.kaggle.com/competitions/titanic"),
        ("model", "not a url"),
        ("model", "huggingface.co/google-bert/bert-base-uncased"),
        ("model", "ftp://huggingface.co/org/model"),
        ("model", ""),
        ("model", "https://huggingface.co/org/model with space"),
        ("model", "https://huggingface.co/org/" + "m" * 2100),
    ],
)
def test_register_rejects_bad_url(registry, type_, url):
    assert_error(register(registry, type_, url, expect=None), "bad_request")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "no url"},
        {"url": None},
        {"url": 42},
        {"url": ["https://huggingface.co/a/b"]},
        {"url": {"href": "https://huggingface.co/a/b"}},
        {"url": "https://huggingface.co/a/b", "name": 7},
        {"url": "https://huggingface.co/a/b", "name": ["x"]},
        {"url": "https://huggingface.co/a/b", "name": "*"},
        {"url": "https://huggingface.co/a/b", "name": ""},
        {"url": "https://huggingface.co/a/b", "name": "x" * 256},
        {"url": "https://huggingface.co/a/b", "name": "tab\there"},
        {"url": "https://huggingface.co/a/b", "name": "new\nline"},
        [{"url": "https://huggingface.co/a/b"}],
        "https://huggingface.co/a/b",
        42,
    ],
    ids=lambda b: json.dumps(b)[:60],
)
def test_register_rejects_bad_body(registry, body):
    r = call(registry, "POST", "/artifact/model", data=json.dumps(body).encode())
    assert_error(r, "bad_request")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"{",
        b'{"url": "https://huggingface.co/a/b",}',
        b"{'url': 'https://huggingface.co/a/b'}",
        b'{"url": "https://huggingface.co/a/b"} trailing',
        b'{"url": "https://huggingface.co/a/b"}{"url": "x"}',
        b'{"url": "https://huggingface.co/a/b", "name": "caf\xe9"}',
        b'{"url": "https://huggingface.co/a/b", "name": "\xff\xfe"}',
        b'\xef\xbb\xbf{"url": "https://huggingface.co/a/b"}\xff',
    ],
)
def test_register_rejects_malformed_json(registry, raw):
    r = call(
        registry,
        "POST",
        "/artifact/model",
        data=raw,
        headers={"Content-Type": "application/json"},
    )
    assert_error(r, "bad_request")


INVALID_UTF8 = {
    "surrogate U+D800": b"x\xed\xa0\x80",
    "surrogate U+DFFF": b"x\xed\xbf\xbf",
    "above U+10FFFF": b"x\xf4\x90\x80\x80",
    "overlong 3-byte '/'": b"x\xe0\x80\xaf",
    "overlong 4-byte '/'": b"x\xf0\x80\x80\xaf",
    "overlong 2-byte '/'": b"x\xc0\xaf",
    "lone continuation byte": b"x\x80",
    "truncated sequence": b"x\xe2\x82",
}


def test_register_rejects_invalid_utf8_name(registry):
    """Bytes that are not UTF-8 are refused; they must never come back in a JSON answer."""
    accepted = []
    for label, raw_name in INVALID_UTF8.items():
        raw = b'{"url": "https://huggingface.co/a/utf8-check", "name": "' + raw_name + b'"}'
        r = call(registry, "POST", "/artifact/model", data=raw)
        if r.status_code == 201:
            accepted.append(label)
            call(registry, "DELETE", f"/artifacts/model/{r.json()['metadata']['id']}")
        else:
            assert_error(r, "bad_request")
    assert not accepted, f"names with invalid UTF-8 were registered: {accepted}"


def test_register_rejects_invalid_utf8_in_url(registry):
    raw = b'{"url": "https://github.com/a/b/tree/main/x\xed\xa0\x80"}'
    assert_error(call(registry, "POST", "/artifact/code", data=raw), "bad_request")


def test_answers_are_valid_utf8(registry):
    register(registry, "model", "https://huggingface.co/a/utf8-ok", name="ok ✓ 🤗")
    r = call(registry, "POST", "/artifacts", json=[{"name": "*"}])
    assert r.status_code == 200
    r.content.decode("utf-8")  # strict


def nested_body(url, levels):
    """A register body whose nesting is `levels` deep in total (the object counts as one)."""
    inner = levels - 1
    return ('{"url": "%s", "x": ' % url + "[" * inner + "]" * inner + "}").encode()


def test_register_rejects_nesting_deeper_than_16(registry):
    url = "https://huggingface.co/a/nested"
    assert_error(call(registry, "POST", "/artifact/model", data=nested_body(url, 17)), "bad_request")
    # as deep as the route's 8 KiB body cap allows (a larger body is 413 before any parsing)
    deeper = b"[" * 4000 + b"]" * 4000
    assert_error(call(registry, "POST", "/artifact/model", data=deeper), "bad_request")
    deeper = b'{"a":' * 1300 + b"1" + b"}" * 1300
    assert_error(call(registry, "POST", "/artifact/model", data=deeper), "bad_request")


def test_register_accepts_16_levels(registry):
    url = "https://huggingface.co/a/nested"
    r = call(registry, "POST", "/artifact/model", data=nested_body(url, 16))
    assert assert_json_status(r, 201)["metadata"]["name"] == "nested"


@pytest.mark.parametrize("raw_name", ["abc\\u0000def", "\\u0000"])
def test_register_name_with_nul_is_not_truncated(registry, raw_name):
    """A JSON string with an escaped NUL must be refused (or kept whole), never cut short."""
    raw = '{"url": "https://huggingface.co/a/nul-name", "name": "%s"}' % raw_name
    r = call(registry, "POST", "/artifact/model", data=raw.encode())
    if r.status_code == 201:
        assert r.json()["metadata"]["name"] == json.loads('"%s"' % raw_name)
    else:
        assert_error(r, "bad_request")


def test_register_url_with_nul_is_not_truncated(registry):
    raw = b'{"url": "https://huggingface.co/a/nul-url\\u0000/../../evil"}'
    r = call(registry, "POST", "/artifact/model", data=raw)
    if r.status_code == 201:
        assert r.json()["data"]["url"] == "https://huggingface.co/a/nul-url\x00/../../evil"
    else:
        assert_error(r, "bad_request")


@pytest.mark.parametrize("type_", ["banana", "models", "Model", "MODEL", "%20"])
def test_register_unknown_type(registry, type_):
    r = call(
        registry,
        "POST",
        f"/artifact/{type_}",
        json={"url": "https://huggingface.co/google-bert/bert-base-uncased"},
    )
    assert_error(r, "bad_request")


def test_register_body_over_one_mib(registry):
    body = b'{"url": "https://huggingface.co/a/b", "pad": "' + b"a" * (1024 * 1024) + b'"}'
    r = call(registry, "POST", "/artifact/model", data=body)
    assert_error(r, "too_large")
    # The service is fine afterwards.
    assert call(registry, "GET", "/health").status_code == 200


def test_register_body_just_under_limit(registry):
    """A registration body may be 8192 bytes (the route's cap, checked before parsing: its
    fields need far less); one byte more is 413."""
    head = b'{"url": "https://huggingface.co/a/big-body", "pad": "'
    tail = b'"}'
    pad = 8192 - len(head) - len(tail)
    r = call(registry, "POST", "/artifact/model", data=head + b"a" * (pad + 1) + tail)
    assert "8192-byte cap" in assert_error(r, "too_large")["detail"]
    r = call(registry, "POST", "/artifact/model", data=head + b"a" * pad + tail)
    assert assert_json_status(r, 201)["metadata"]["name"] == "big-body"


def test_register_chunked_body(registry):
    def chunks():
        yield b'{"url": "https://huggingface.co/chunked/'
        yield b'transfer"}'

    r = call(registry, "POST", "/artifact/model", data=chunks())
    assert assert_json_status(r, 201)["metadata"]["name"] == "transfer"


def concurrent_round(stack, urls):
    """POSTs every url at once (one thread and connection each): [(status, body)]."""
    results = [None] * len(urls)
    barrier = threading.Barrier(len(urls))

    def worker(i):
        session = new_session()
        try:
            barrier.wait(timeout=10)
            r = call(stack, "POST", "/artifact/model", session=session, json={"url": urls[i]})
            results[i] = (r.status_code, r.json())
        except requests.RequestException as e:
            results[i] = ("no answer", repr(e)[:120])
        finally:
            session.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(urls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(res is not None for res in results), results
    return results


def test_concurrent_registrations_get_distinct_ids(registry):
    """30 registrations at once (two rounds): every one is answered 201 with its own id."""
    n, rounds = 30, 2
    all_ids = set()
    for rnd in range(rounds):
        urls = [f"https://huggingface.co/concurrent/r{rnd}-model-{i:02d}" for i in range(n)]
        results = concurrent_round(registry, urls)
        hung = [urls[i] for i, (s, _) in enumerate(results) if s == "no answer"]
        assert not hung, (
            f"round {rnd}: {len(hung)} of {n} concurrent registrations got no answer "
            f"within 10 s, e.g. {hung[:2]}"
        )
        assert [s for s, _ in results] == [201] * n, results
        ids = [body["metadata"]["id"] for _, body in results]
        assert len(set(ids)) == n
        assert all(ID_RE.match(i) for i in ids)
        assert not all_ids & set(ids)
        all_ids |= set(ids)
        for url, (_, body) in zip(urls, results):
            assert body["metadata"]["name"] == url.rsplit("/", 1)[1]
            got = assert_json_status(get_artifact(registry, "model", body["metadata"]["id"]), 200)
            assert got["data"]["url"] == url
    assert len(all_ids) == n * rounds
