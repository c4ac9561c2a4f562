#!/usr/bin/env node
// Compatibility harness: drives Hugging Face's official JS client, @huggingface/hub (pinned in
// package.json / package-lock.json), against a Hub-compatible endpoint such as the registry.
//
//   node hub_client.mjs --hub-url URL --repo ORG/NAME [--type model|dataset] [--revision main]
//                       --out DIR [--token hf_...] [--file PATH] [--steps list,file,snapshot]
//                       [--auth-via-fetch] [--trace] [--emulate-paths-info]
//
// Steps (default: all three; "file" needs --file):
//   list      listFiles({recursive: true}): one JSON line per entry on stdout,
//             {"path", "size", "type", "oid", "lfs_oid"?, "lfs_size"?, "xet_hash"?}
//   file      downloadFile({path: --file}): written to DIR/single/<path>
//   snapshot  snapshotDownload({cacheDir: DIR/cache}): the Hub cache layout
//             DIR/cache/{models|datasets}--ORG--NAME/{blobs,refs,snapshots/<sha>/...}
// Last stdout line: {"files": [...] | null, "single": "DIR/single/<path>" | null,
//                    "snapshot": "<snapshot folder>" | null}; exit status 0.
// On failure: the error on stderr, then one JSON line {"error", "status", "url", "step"} on
// stdout; exit status 1.
//
// --token is given to the client as `accessToken`, as a user would; the client itself refuses
// tokens that do not start with "hf_" (TypeError, before any request). --auth-via-fetch instead
// adds "Authorization: Bearer TOKEN" through the client's `fetch` hook, for tokens of another form.
// --trace writes one JSON line per HTTP exchange to stderr (method, url, request headers with the
// token redacted, status, final url after redirects, the response headers the client reads).
// --emulate-paths-info (for tests/fixtures/upstream_server.py only, never against the registry):
// that fixture has no POST /api/{models|datasets}/{id}/paths-info/{rev}, which snapshotDownload
// calls once per file; this answers it inside the `fetch` hook from the fixture's GET tree route
// (recursive), without lastCommit/securityFileStatus, so the rest of snapshotDownload can be tested.
// The client's own console.debug/info chatter ("Downloading x to y.incomplete") goes to stderr.

import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { downloadFile, listFiles, snapshotDownload } from "@huggingface/hub";

// keep stdout for JSON lines only
console.debug = (...a) => console.error(...a);
console.info = (...a) => console.error(...a);
console.log = (...a) => console.error(...a);

const STEPS = ["list", "file", "snapshot"];
const TRACED_HEADERS = [
	"content-type", "content-length", "content-range", "accept-ranges", "etag", "x-linked-etag",
	"x-linked-size", "x-repo-commit", "x-error-code", "x-error-message", "location", "link",
	"x-xet-hash", "x-cache",
];

function usage(msg) {
	if (msg) process.stderr.write(`hub_client: ${msg}\n`);
	process.stderr.write(
		"usage: node hub_client.mjs --hub-url URL --repo ORG/NAME [--type model|dataset] " +
			"[--revision main] --out DIR [--token hf_...] [--file PATH] [--steps list,file,snapshot] " +
			"[--auth-via-fetch] [--trace] [--emulate-paths-info]\n",
	);
	process.exit(2);
}

function parseArgs(argv) {
	const o = { type: "model", revision: "main", steps: null, trace: false, authViaFetch: false, emulatePathsInfo: false };
	const valued = {
		"--hub-url": "hubUrl", "--token": "token", "--repo": "repo", "--type": "type",
		"--revision": "revision", "--out": "out", "--file": "file", "--steps": "steps",
	};
	for (let i = 0; i < argv.length; i++) {
		let a = argv[i];
		let v;
		const eq = a.indexOf("=");
		if (a.startsWith("--") && eq > 0) {
			v = a.slice(eq + 1);
			a = a.slice(0, eq);
		}
		if (a === "--trace") o.trace = true;
		else if (a === "--auth-via-fetch") o.authViaFetch = true;
		else if (a === "--emulate-paths-info") o.emulatePathsInfo = true;
		else if (a === "-h" || a === "--help") usage();
		else if (a in valued) {
			if (v === undefined) {
				if (i + 1 >= argv.length) usage(`${a} needs a value`);
				v = argv[++i];
			}
			o[valued[a]] = v;
		} else usage(`unknown argument ${a}`);
	}
	if (!o.hubUrl) usage("--hub-url is required");
	if (!o.repo) usage("--repo is required");
	if (!o.out) usage("--out is required");
	if (o.type !== "model" && o.type !== "dataset") usage("--type must be model or dataset");
	o.hubUrl = o.hubUrl.replace(/\/+$/, "");
	o.steps = o.steps ? o.steps.split(",").map((s) => s.trim()).filter(Boolean) : o.file ? STEPS : ["list", "snapshot"];
	for (const s of o.steps) if (!STEPS.includes(s)) usage(`unknown step ${s}`);
	if (o.steps.includes("file") && !o.file) usage("step file needs --file PATH");
	o.out = resolve(o.out);
	return o;
}

function headersObject(h, redact) {
	const out = {};
	if (!h) return out;
	const entries = h instanceof Headers ? [...h.entries()] : Array.isArray(h) ? h : Object.entries(h);
	for (const [k, v] of entries) out[k] = redact && k.toLowerCase() === "authorization" ? v.split(" ")[0] + " ***" : v;
	return out;
}

const PATHS_INFO_RE = /^(.*)\/api\/(models|datasets|spaces)\/(.+)\/paths-info\/([^/?]+)$/;

// POST paths-info answered from GET .../tree/{rev}?recursive=true (see --emulate-paths-info).
async function emulatedPathsInfo(m, init, headers) {
	const [, base, kinds, id, rev] = m;
	const body = JSON.parse(init.body || "{}");
	const treeHeaders = new Headers(headers);
	treeHeaders.delete("content-type");
	const tree = await fetch(`${base}/api/${kinds}/${id}/tree/${rev}?recursive=true`, { headers: treeHeaders });
	if (!tree.ok) return tree;
	const entries = await tree.json();
	const wanted = new Set(body.paths || []);
	const out = entries.filter((e) => wanted.has(e.path));
	return new Response(JSON.stringify(out), { status: 200, headers: { "content-type": "application/json" } });
}

// The client's `fetch` hook: optional tracing, Authorization injection and paths-info emulation.
// Without any of those options the client uses the global fetch untouched.
function makeFetch(opts) {
	if (!opts.trace && !opts.authViaFetch && !opts.emulatePathsInfo) return undefined;
	return async (input, init = {}) => {
		const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
		let headers = new Headers(init.headers || {});
		if (opts.authViaFetch && opts.token && !headers.has("authorization")) {
			headers.set("Authorization", `Bearer ${opts.token}`);
		}
		const t0 = Date.now();
		const rec = { method: init.method || "GET", url, request_headers: headersObject(headers, true) };
		if (typeof init.body === "string") rec.request_body = init.body;
		let res;
		try {
			const m = opts.emulatePathsInfo && (init.method || "GET").toUpperCase() === "POST" && url.match(PATHS_INFO_RE);
			if (m) {
				rec.emulated = true;
				res = await emulatedPathsInfo(m, init, headers);
			} else {
				res = await fetch(input, { ...init, headers });
			}
		} catch (e) {
			if (opts.trace) process.stderr.write(JSON.stringify({ trace: { ...rec, error: String(e?.cause ?? e) } }) + "\n");
			throw e;
		}
		if (opts.trace) {
			const rh = {};
			for (const k of TRACED_HEADERS) if (res.headers.has(k)) rh[k] = res.headers.get(k);
			process.stderr.write(
				JSON.stringify({
					trace: { ...rec, status: res.status, redirected: res.redirected, final_url: res.url, response_headers: rh, ms: Date.now() - t0 },
				}) + "\n",
			);
		}
		return res;
	};
}

function safeRelative(p) {
	const parts = p.split("/");
	if (!p || p.startsWith("/") || parts.includes("..") || parts.includes("") || p.includes("\\")) {
		throw new Error(`refusing unsafe repository path ${JSON.stringify(p)}`);
	}
	return p;
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	const repo = { type: opts.type, name: opts.repo };
	const common = { repo, revision: opts.revision, hubUrl: opts.hubUrl };
	if (opts.token && !opts.authViaFetch) common.accessToken = opts.token;
	const f = makeFetch(opts);
	if (f) common.fetch = f;

	const result = { files: null, single: null, snapshot: null };
	let step = null;
	try {
		if (opts.steps.includes("list")) {
			step = "list";
			result.files = [];
			for await (const e of listFiles({ ...common, recursive: true })) {
				const line = { path: e.path, size: e.size, type: e.type, oid: e.oid ?? null };
				if (e.lfs) {
					line.lfs_oid = e.lfs.oid;
					line.lfs_size = e.lfs.size;
				}
				if (e.xetHash) line.xet_hash = e.xetHash;
				process.stdout.write(JSON.stringify(line) + "\n");
				result.files.push(line);
			}
		}
		if (opts.steps.includes("file")) {
			step = "file";
			const rel = safeRelative(opts.file);
			const blob = await downloadFile({ ...common, path: rel });
			if (blob === null) throw new Error(`downloadFile returned null: ${rel} does not exist (404 EntryNotFound)`);
			const dest = join(opts.out, "single", rel);
			await mkdir(dirname(dest), { recursive: true });
			await pipeline(Readable.fromWeb(blob.stream()), createWriteStream(dest));
			result.single = dest;
		}
		if (opts.steps.includes("snapshot")) {
			step = "snapshot";
			const cacheDir = join(opts.out, "cache");
			await mkdir(cacheDir, { recursive: true });
			result.snapshot = await snapshotDownload({ ...common, cacheDir });
		}
	} catch (e) {
		process.stderr.write(`hub_client: step ${step} failed: ${e?.stack ?? e}\n`);
		if (e?.cause) process.stderr.write(`cause: ${e.cause?.stack ?? e.cause}\n`);
		process.stdout.write(
			JSON.stringify({
				error: String(e?.message ?? e),
				name: e?.name ?? null,
				status: e?.statusCode ?? null,
				url: e?.url ?? null,
				data: e?.data ?? null,
				step,
			}) + "\n",
		);
		return 1;
	}
	process.stdout.write(JSON.stringify(result) + "\n");
	return 0;
}

main().then(
	(code) => process.exit(code),
	(e) => {
		process.stderr.write(`hub_client: ${e?.stack ?? e}\n`);
		process.stdout.write(JSON.stringify({ error: String(e?.message ?? e), step: null }) + "\n");
		process.exit(1);
	},
);
