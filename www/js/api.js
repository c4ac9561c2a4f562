// The JSON API client: the session (token in sessionStorage), requests, and every error turned
// into words. Nothing here ever shows a raw response body to the user.

const SESSION_KEY = 'registry.session';

export const session = {
  get() {
    try {
      const raw = sessionStorage.getItem(SESSION_KEY);
      const value = raw ? JSON.parse(raw) : null;
      return value && typeof value.token === 'string' ? value : null;
    } catch {
      return null;
    }
  },
  set(value) {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    window.dispatchEvent(new CustomEvent('session-change'));
  },
  clear() {
    sessionStorage.removeItem(SESSION_KEY);
    window.dispatchEvent(new CustomEvent('session-change'));
  },
};

/** An API failure: status (0 when the registry could not be reached), the error name and
 *  detail from the {"error","detail"} body when there was one, and message: all in words. */
export class ApiError extends Error {
  constructor(status, code, detail, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** "no artifact is named 'x'" -> "No artifact is named 'x'." */
export function sentence(text) {
  const t = String(text || '').trim();
  if (!t) return '';
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

const STATUS_WORDS = {
  400: 'The registry could not accept this request.',
  401: 'Your account does not have the permission this needs.',
  403: 'You are not signed in, or your session has ended. Please sign in again.',
  forbidden: 'The registry refused this to your account.',
  404: 'The registry could not find what was asked for.',
  405: 'The registry does not allow this action here.',
  409: 'This conflicts with something already in the registry.',
  413: 'The request is too large for the registry.',
  424: 'The registry refused this model: its trust rating is too low, or its security scan found a file that would run code when loaded.',
  429: 'The registry is busy. Please wait a moment and try again.',
  500: 'The registry had an internal error.',
  502: 'An upstream service (Hugging Face or GitHub) or the registry workers could not be reached. Please try again later.',
  503: 'The registry is temporarily unavailable. Please try again later.',
  504: 'The registry did not answer in time. Please try again later.',
};

/** The words for a failed response: the status explained, then the server's detail. */
export function describe(status, detail) {
  const base = STATUS_WORDS[status] || `The registry answered with an unexpected status (${status}).`;
  const d = sentence(detail);
  return d ? `${base} Details: ${d}` : base;
}

function headersOf(token, body, extra) {
  const headers = {Accept: 'application/json', ...(extra || {})};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers['X-Authorization'] = token;
  return headers;
}

/** Calls the API. Resolves {status, data, headers} for a 2xx answer; rejects with ApiError.
 *  opts: body (JSON-encoded), or text (sent as it is, Content-Type textType), auth (default
 *  true: send the session's token), signal, raw (resolve the fetch Response itself on 2xx, for
 *  downloads and text answers). */
export async function api(method, path, opts = {}) {
  const {body, text: sent, textType = 'text/plain; charset=utf-8', auth = true, signal, raw = false, headers} = opts;
  const current = session.get();
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: headersOf(auth && current ? current.token : null, body,
        sent === undefined ? headers : {...(headers || {}), 'Content-Type': textType}),
      body: sent !== undefined ? sent : body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', '', 'The registry could not be reached. Check your connection and that the registry is running, then try again.');
  }
  if (res.ok && raw) return res;
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return {status: res.status, data, headers: res.headers};
  const code = data && typeof data.error === 'string' ? data.error : '';
  const detail = data && typeof data.detail === 'string' ? data.detail : '';
  if (res.status === 403 && code !== 'forbidden' && auth && current) {
    // The token is no longer accepted (expired, used up, revoked by a reset): forget it. A
    // "forbidden" 403 is a refusal of this one thing (a sensitive model's monitor program, a
    // download history that is not the caller's), not of the token.
    session.clear();
    window.dispatchEvent(new CustomEvent('session-expired'));
  }
  throw new ApiError(res.status, code, detail, describe(code === 'forbidden' ? code : res.status, detail));
}

/** Reads an error body of a raw (download) response without showing it. */
export async function errorFromResponse(res) {
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  const detail = data && typeof data.detail === 'string' ? data.detail : '';
  const code = data && typeof data.error === 'string' ? data.error : '';
  return new ApiError(res.status, code, detail, describe(res.status, detail));
}

export const METRICS = [
  ['net_score', 'Net score', 'The overall trust score: a weighted mean of the metrics below.'],
  ['ramp_up_time', 'Ramp-up time', 'How easy the model is to start using: loader, runnable example, documentation, adoption.'],
  ['bus_factor', 'Bus factor', 'How many people keep the linked code alive.'],
  ['performance_claims', 'Performance claims', 'Evidence behind the stated results: papers, evaluation sections, reported results.'],
  ['license', 'License', 'Compatibility of the model licence with LGPL-2.1.'],
  ['size_score', 'Size score', 'How well the weights fit each kind of device.'],
  ['dataset_and_code_score', 'Dataset and code availability', 'Whether the training data and code are named and found.'],
  ['dataset_quality', 'Dataset quality', 'Documentation, licence, adoption and metadata of the linked datasets.'],
  ['code_quality', 'Code quality', 'Documentation, licence, tests, packaging, CI and stars of the linked repository.'],
  ['reproducibility', 'Reproducibility', 'Whether the model card code runs as written.'],
  ['reviewedness', 'Reviewedness', 'Share of recent commits that went through reviewed pull requests.'],
  ['tree_score', 'Tree score', 'The mean net score of the registered lineage parents.'],
];

export const DEVICES = [
  ['raspberry_pi', 'Raspberry Pi'],
  ['jetson_nano', 'Jetson Nano'],
  ['desktop_pc', 'Desktop PC'],
  ['aws_server', 'AWS server'],
];

export function metricLabel(key) {
  const m = METRICS.find(([k]) => k === key);
  if (m) return m[1];
  return String(key).replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** The failing metrics named in a 424 detail ("...: net_score=0.21, license=0.00"), as
 *  [{key, label, value}]; [] when the detail names none. */
export function refusedMetrics(detail) {
  const out = [];
  const re = /([a-z_]+)=(-?\d+(?:\.\d+)?)/g;
  let m;
  while ((m = re.exec(String(detail || ''))) !== null) {
    out.push({key: m[1], label: metricLabel(m[1]), value: Number(m[2])});
  }
  return out;
}

export const TYPES = ['model', 'dataset', 'code'];

export function typeLabel(type) {
  return {model: 'Model', dataset: 'Dataset', code: 'Code'}[type] || type;
}

export function artifactHref(type, id) {
  return `#/artifact/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
}
