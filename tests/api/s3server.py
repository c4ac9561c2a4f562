"""s3rver (npm, pinned in tests/s3), the local S3 the API tests run the S3 blob backend on.

s3rver serves buckets from a directory; it does not verify signatures (the client signs
anyway; the signer is checked against AWS's own examples in the unit tests), knows the access
key S3RVER only, and answers unauthenticated reads as if the bucket were public, which the
tests use to look into a bucket.
"""

import itertools
import os
import re
import shutil
import subprocess
import tempfile
import time

import requests

from faulty_dynamo import _accepts, _free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
S3RVER = os.path.join(ROOT, "tests", "s3", "node_modules", ".bin", "s3rver")
START_TIMEOUT = 20.0
ACCESS_KEY = "S3RVER"
_BUCKETS = itertools.count(1)


class S3rverError(Exception):
    pass


def _node_flags():
    """s3rver's ListObjectsV2 tokens use DES, which OpenSSL 3 (Node 17+) keeps in its legacy
    provider; older Node has neither the need nor the flag."""
    ok = subprocess.run(["node", "--openssl-legacy-provider", "-e", "0"],
                        capture_output=True, check=False).returncode == 0
    return ["--openssl-legacy-provider"] if ok else []


class S3rver:
    """One s3rver on a free loopback port, storing under a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="api-s3rver-")
        self.port = None
        self.proc = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def output(self):
        try:
            with open(os.path.join(self.dir, "log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError as e:
            return f"<no output: {e}>"

    def start(self):
        return self.start_on(None)

    def start_on(self, port):
        """Starts on port (None: a free one), serving the same data directory as before: a
        server stopped and started again on its port is the same store coming back."""
        if not os.access(S3RVER, os.X_OK):
            raise S3rverError(f"{S3RVER} is missing: run scripts/deps.sh (npm ci in tests/s3)")
        flags = _node_flags()
        for _ in range(3 if port is None else 1):  # a port taken meanwhile: retry another
            self.port = port or _free_port()
            with open(os.path.join(self.dir, "log"), "wb") as log:
                self.proc = subprocess.Popen(
                    ["node", *flags, S3RVER, "--directory", os.path.join(self.dir, "data"),
                     "--address", "127.0.0.1", "--port", str(self.port), "--silent"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                if _accepts(self.port):
                    return self
                time.sleep(0.05)
            self.stop()
            if "EADDRINUSE" not in self.output():
                break
        raise S3rverError(f"s3rver did not start; its output:\n{self.output()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def env(self, bucket=None):
        """The registryd environment for the S3 blob backend on a bucket of its own (or the
        given one, to share it between stacks)."""
        return {"REGISTRY_BLOBS": "s3", "AWS_ENDPOINT_URL_S3": self.endpoint,
                "S3_BUCKET": bucket or f"registry-test-{next(_BUCKETS)}",
                "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": ACCESS_KEY,
                "AWS_REGION": "us-east-1"}

    def keys(self, bucket):
        """Every key in the bucket (an unauthenticated ListObjectsV2, paged)."""
        keys, token = [], None
        while True:
            params = {"list-type": "2"}
            if token:
                params["continuation-token"] = token
            r = requests.get(f"{self.endpoint}/{bucket}", params=params, timeout=30)
            assert r.status_code == 200, r.text[:300]
            keys += re.findall(r"<Key>([^<]*)</Key>", r.text)
            m = re.search(r"<NextContinuationToken>([^<]*)</NextContinuationToken>", r.text)
            if "<IsTruncated>true</IsTruncated>" not in r.text or not m:
                return sorted(keys)
            token = m.group(1)
