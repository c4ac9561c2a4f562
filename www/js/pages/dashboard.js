// The health dashboard: the last hour of requests and errors, per-route activity and latency,
// activity per artifact type, the status of every component, and the recent log lines; above
// them, a banner with any warning about the registry's configuration (GET /health "warnings",
// e.g. the public default admin password on an address others can reach).
// Refreshes itself every 10 seconds until paused. Public, except the log and the download
// workload panel (administrators; workload.js).

import {h, replace, notice, table, busy} from '../dom.js';
import {api, session} from '../api.js';
import {columnChart, barChart, volumeBar} from '../charts.js';
import {count, percent, ms, clock, clockSeconds, dateTime, isNum, score} from '../format.js';
import {workloadPanel} from '../workload.js';
import {confusionPanel} from '../confusion.js';

const WINDOW = 60;
const REFRESH_MS = 10000;
const LOG_PAGE = 100;

const STATUS_WORDS = {ok: 'OK', degraded: 'Degraded', critical: 'Critical', unknown: 'Unknown'};
const STATUS_RANK = {ok: 0, unknown: 0, degraded: 2, critical: 3};

function statusBadge(status) {
  const st = STATUS_WORDS[status] ? status : 'unknown';
  const icon = {
    ok: 'M3 8.5 6.5 12 13 4.5',
    degraded: 'M8 2 15 14H1z',
    critical: 'M3 3 13 13M13 3 3 13',
    unknown: 'M5.5 6a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5V11M8 13.5v.5',
  }[st];
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', icon);
  path.setAttribute('fill', st === 'degraded' ? 'currentColor' : 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', st === 'degraded' ? '0' : '2.2');
  path.setAttribute('stroke-linecap', 'round');
  svg.append(path);
  return h('span', {class: `status ${st}`}, svg, STATUS_WORDS[st]);
}

function words(key) {
  return String(key).replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function metricValue(key, v) {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (isNum(v)) {
    if (/seconds$/.test(key)) return `${count(v)} s`;
    if (/_ms$/.test(key)) return ms(v);
    if (/bytes$/.test(key)) return `${(v / 1e6).toLocaleString('en-US', {maximumFractionDigits: 1})} MB`;
    if (/(ratio|rate|fraction)$/.test(key) && v <= 1) return percent(v);
    return Number.isInteger(v) ? count(v) : score(v);
  }
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) return dateTime(v);
  return String(v);
}

/** Keeps open <details> and the focused control when a part of the page is redrawn. */
function swap(container, ...children) {
  const opens = [...container.querySelectorAll('details')].map((d) => d.open);
  const focusables = () => [...container.querySelectorAll('summary, button, a[href], [tabindex="0"]')];
  const idx = focusables().indexOf(document.activeElement);
  replace(container, ...children);
  [...container.querySelectorAll('details')].forEach((d, i) => { if (opens[i]) d.open = true; });
  if (idx >= 0) {
    const f = focusables()[idx];
    if (f) f.focus({preventScroll: true});
  }
}

/** The worker pool's timeline split into series by unit: {requests: [...], errors: [...],
 *  errorRate: [...]} each [{bucket, value}] (errors/errorRate empty when not reported). */
export function timelineSeries(components) {
  const pool = (components || []).find((c) => c.id === 'worker-pool') || (components || []).find((c) => Array.isArray(c.timeline) && c.timeline.length);
  const out = {requests: [], errors: [], errorRate: []};
  if (!pool || !Array.isArray(pool.timeline)) return out;
  for (const e of pool.timeline) {
    const unit = String(e.unit || e.metric || e.name || 'requests/min').toLowerCase();
    const v = Number(e.value) || 0;
    if (/error/.test(unit) && /(rate|ratio|%|percent)/.test(unit)) out.errorRate.push({bucket: e.bucket, value: /%|percent/.test(unit) || v > 1 ? v / 100 : v});
    else if (/client/.test(unit)) continue; // 4xx answers are the callers' errors, not the registry's
    else if (/error/.test(unit)) out.errors.push({bucket: e.bucket, value: v});
    else if (/request/.test(unit) || !e.unit) out.requests.push({bucket: e.bucket, value: v});
  }
  if (!out.errorRate.length && out.errors.length) {
    const req = new Map(out.requests.map((p) => [p.bucket, p.value]));
    out.errorRate = out.errors.map((p) => ({bucket: p.bucket, value: req.get(p.bucket) ? p.value / req.get(p.bucket) : 0}));
  }
  return out;
}

export async function dashboardPage({root, setTitle, signal}) {
  setTitle('System health');
  let timer = null;
  let paused = false;
  let inFlight = false;
  let lastFailures = '';

  const msg = notice();
  const configWarnings = notice('config-warnings');
  configWarnings.el.id = 'config-warnings';
  let lastWarnings = '';
  const pauseBtn = h('button', {type: 'button', class: 'secondary', id: 'pause-refresh'}, 'Pause automatic refresh');
  const refreshBtn = h('button', {type: 'button', class: 'secondary', id: 'refresh-now'}, 'Refresh now');
  const refreshState = h('span', {id: 'refresh-state'}, `Automatic refresh every ${REFRESH_MS / 1000} seconds.`);
  const updated = h('span', {id: 'last-updated'}, 'Not loaded yet.');

  const tiles = h('ul', {class: 'tiles', 'aria-label': 'Summary of the last hour'});
  const requestsBody = h('div', null, h('p', null, 'Loading…'));
  const errorsBody = h('div', null, h('p', null, 'Loading…'));
  const routesBody = h('div', null, h('p', null, 'Loading…'));
  const typesBody = h('div', null, h('p', null, 'Loading…'));
  const componentsBody = h('div', null, h('p', null, 'Loading…'));
  const logMsg = notice();
  const logList = h('ol');
  // Always a focusable, labelled region: it scrolls (vertically) whenever the log is long.
  const logBox = h('div', {class: 'log-box', hidden: true, tabindex: '0', role: 'region', 'aria-label': 'Recent log lines, oldest first'}, logList);
  const olderBtn = h('button', {type: 'button', class: 'secondary', id: 'log-older', hidden: true}, `Read ${LOG_PAGE} older lines`);
  const newestBtn = h('button', {type: 'button', class: 'secondary', id: 'log-newest', hidden: true}, 'Show the newest lines');
  const logState = {lines: [], before: null, readOlder: false, available: false};

  const sec = (id, title, ...content) => h('section', {class: 'card', id, 'aria-labelledby': `${id}-heading`}, h('h2', {id: `${id}-heading`}, title), ...content);

  root.append(
    h('h1', null, 'System health'),
    h('p', {class: 'page-intro'}, `Activity of the registry over the last ${WINDOW} minutes, the status of each component, and the recent log.`),
    configWarnings.el,
    h('div', {class: 'toolbar'}, pauseBtn, refreshBtn, h('p', {class: 'hint', style: 'margin:0'}, refreshState, ' ', updated)),
    msg.el,
    tiles,
    h('div', {class: 'grid'},
      sec('requests', 'Requests per minute', requestsBody),
      sec('errors', 'Error rate', errorsBody)),
    sec('routes', 'Requests, errors and latency per route', routesBody),
    sec('types', 'Activity per artifact type', typesBody),
    sec('components', 'Components', componentsBody),
    sec('logs', 'Recent log lines', logMsg.el, logBox, h('div', {class: 'row', style: 'margin-top:0.75rem'}, olderBtn, newestBtn)));
  // Administrators run the download workload here (the server checks too: 401 for others).
  const sess = session.get();
  const workload = sess && sess.isAdmin !== false ? workloadPanel({signal}) : null;
  if (workload) root.querySelector('#components').after(workload.el);
  // ... and the package-confusion audit (admins; the server answers 401 to others).
  if (workload) workload.el.after(confusionPanel({signal}).el);

  // ---- renderers --------------------------------------------------------------------------

  /** The configuration warnings of GET /health, redrawn (and so announced) only when they
   *  change. */
  function renderWarnings(health) {
    const list = health && Array.isArray(health.warnings) ? health.warnings.filter((w) => typeof w === 'string' && w) : [];
    const key = list.join('|');
    if (key === lastWarnings) return;
    lastWarnings = key;
    if (!list.length) {
      configWarnings.clear();
      return;
    }
    configWarnings.warning(
      h('p', null, h('strong', null, list.length === 1 ? 'Security warning' : `${list.length} security warnings`)),
      ...list.map((w) => h('p', null, w)));
  }

  function renderTiles(components, activity) {
    const items = [];
    if (components) {
      // The worst known status; "unknown" (e.g. an upstream not contacted yet) only when no
      // component knows better.
      const known = components.filter((c) => c.status in STATUS_RANK && c.status !== 'unknown');
      const worst = known.reduce((w, c) => (STATUS_RANK[c.status] > STATUS_RANK[w] ? c.status : w), 'ok');
      items.push(['Overall status', statusBadge(known.length ? worst : 'unknown')]);
      const series = timelineSeries(components);
      if (series.requests.length) items.push(['Requests, last hour', count(series.requests.reduce((a, p) => a + p.value, 0))]);
      const pool = components.find((c) => c.id === 'worker-pool');
      if (pool && pool.metrics && isNum(pool.metrics.workers_alive)) {
        items.push(['Workers alive', `${count(pool.metrics.workers_alive)}${isNum(pool.metrics.workers_configured) ? ` of ${count(pool.metrics.workers_configured)}` : ''}`]);
      }
      const store = components.find((c) => c.id === 'store');
      if (store && store.metrics && isNum(store.metrics.artifacts)) items.push(['Artifacts stored', count(store.metrics.artifacts)]);
    }
    if (activity && Array.isArray(activity.routes)) {
      const req = activity.routes.reduce((a, r) => a + (Number(r.requests) || 0), 0);
      const err = activity.routes.reduce((a, r) => a + (Number(r.errors) || 0), 0);
      const split = activity.routes.some((r) => isNum(r.client_errors));
      items.push([split ? 'Server errors, last hour' : 'Errors, last hour', `${count(err)} (${req ? percent(err / req) : '0.0 %'})`]);
      if (split) items.push(['Client errors, last hour', count(activity.routes.reduce((a, r) => a + (Number(r.client_errors) || 0), 0))]);
    }
    swap(tiles, items.map(([label, value]) => h('li', {class: 'tile'}, h('span', {class: 'tile-label'}, label), h('span', {class: 'tile-value'}, value))));
  }

  function renderRequests(components, error) {
    if (error) {
      swap(requestsBody, h('p', null, `Requests per minute are unavailable. ${error.message}`));
      return;
    }
    const {requests} = timelineSeries(components);
    if (!requests.length) {
      swap(requestsBody, h('p', null, 'Requests per minute are unavailable: the registry reported no timeline.'));
      return;
    }
    const total = requests.reduce((a, p) => a + p.value, 0);
    const peak = requests.reduce((m, p) => (p.value > m.value ? p : m), requests[0]);
    const summary = total
      ? `${count(total)} requests in the last ${requests.length} minutes; the busiest minute was ${clock(peak.bucket)} UTC with ${count(peak.value)}.`
      : `No requests in the last ${requests.length} minutes.`;
    swap(requestsBody, columnChart({
      title: `Requests per minute over the last ${requests.length} minutes`,
      name: summary,
      points: requests.map((p) => ({label: clock(p.bucket), value: p.value})),
      yFormat: (v) => count(v),
      columns: ['Minute (UTC)', 'Requests'],
    }));
  }

  function renderErrors(components, activity, error) {
    const parts = [];
    const series = components ? timelineSeries(components) : {errorRate: [], errors: []};
    if (series.errorRate.length) {
      const errs = series.errors.reduce((a, p) => a + p.value, 0);
      const worst = series.errorRate.reduce((m, p) => (p.value > m.value ? p : m), series.errorRate[0]);
      parts.push(columnChart({
        title: `Error rate per minute over the last ${series.errorRate.length} minutes`,
        name: worst.value > 0
          ? `${series.errors.length ? `${count(errs)} errors; ` : ''}the worst minute was ${clock(worst.bucket)} UTC at ${percent(worst.value)}.`
          : 'No errors in this window.',
        points: series.errorRate.map((p) => ({label: clock(p.bucket), value: p.value})),
        yFormat: (v) => percent(v),
        kind: 'errors',
        columns: ['Minute (UTC)', 'Error rate'],
      }));
    } else if (!error) {
      parts.push(h('p', null, 'A per-minute error series is not reported by this registry yet.'));
    } else {
      parts.push(h('p', null, `The error timeline is unavailable. ${error.message}`));
    }
    if (activity && Array.isArray(activity.routes)) {
      const req = activity.routes.reduce((a, r) => a + (Number(r.requests) || 0), 0);
      const err = activity.routes.reduce((a, r) => a + (Number(r.errors) || 0), 0);
      const split = activity.routes.some((r) => isNum(r.client_errors));
      const client = activity.routes.reduce((a, r) => a + (Number(r.client_errors) || 0), 0);
      parts.push(h('p', {id: 'overall-error-rate'}, split
        ? `Over the whole window: ${count(err)} of ${count(req)} requests failed with a server error (${req ? percent(err / req) : '0.0 %'}); ${count(client)} were refused as client errors (${req ? percent(client / req) : '0.0 %'}).`
        : `Over the whole window: ${count(err)} of ${count(req)} requests failed (${req ? percent(err / req) : '0.0 %'}).`));
    }
    swap(errorsBody, parts);
  }

  function renderRoutes(activity, error) {
    if (error) {
      swap(routesBody, h('p', null, error.status === 404
        ? 'Per-route activity is unavailable: this registry does not report it yet.'
        : `Per-route activity is unavailable. ${error.message}`));
      return;
    }
    const routes = (Array.isArray(activity.routes) ? activity.routes : []).slice().sort((a, b) => (b.requests || 0) - (a.requests || 0));
    if (!routes.length) {
      swap(routesBody, h('p', null, `No API requests in the last ${activity.window_minutes || WINDOW} minutes.`));
      return;
    }
    const max = Math.max(...routes.map((r) => r.requests || 0));
    const lat = (r, k) => (r.latency_ms && isNum(r.latency_ms[k]) ? ms(r.latency_ms[k]) : '–');
    // With client_errors reported, errors are the registry's own failures (5xx).
    const split = routes.some((r) => isNum(r.client_errors));
    const columns = [{label: 'Route', rowHeader: true}, {label: 'Requests', num: true}, {label: 'Volume', class: 'vol-cell'},
      {label: split ? '5xx errors' : 'Errors', num: true}, {label: 'Error rate', num: true}];
    if (split) columns.push({label: '4xx errors', num: true});
    columns.push({label: 'p50 latency', num: true}, {label: 'p95 latency', num: true}, {label: 'p99 latency', num: true});
    swap(routesBody, table({
      caption: `Every API route used in the last ${activity.window_minutes || WINDOW} minutes, busiest first`,
      columns,
      rows: routes.map((r) => {
        const cells = [h('code', {class: 'route'}, r.route), count(r.requests), volumeBar(r.requests || 0, max), count(r.errors),
          percent(isNum(r.error_rate) ? r.error_rate : (r.requests ? (r.errors || 0) / r.requests : 0))];
        if (split) cells.push(isNum(r.client_errors) ? count(r.client_errors) : '–');
        cells.push(lat(r, 'p50'), lat(r, 'p95'), lat(r, 'p99'));
        return cells;
      }),
      label: 'Per-route activity',
    }), h('p', {class: 'hint'}, `Latency is the time the registry took to answer (50th, 95th and 99th percentiles)${split ? '; 5xx errors are the registry\'s own failures and make up the error rate, 4xx errors are requests it refused' : ''}.${activity.generated_at ? ` Generated at ${dateTime(activity.generated_at)}.` : ''}`));
  }

  function renderTypes(activity, error) {
    if (error) {
      swap(typesBody, h('p', null, error.status === 404
        ? 'Activity per artifact type is unavailable: this registry does not report it yet.'
        : `Activity per artifact type is unavailable. ${error.message}`));
      return;
    }
    const types = Array.isArray(activity.artifact_types) ? activity.artifact_types : [];
    const scans = scanLine(activity.scans);
    if (!types.length) {
      swap(typesBody, h('p', null, 'No requests concerned a model, dataset or code artifact in this window.'), scans);
      return;
    }
    const total = types.reduce((a, t) => a + (Number(t.requests) || 0), 0);
    swap(typesBody,
      barChart({
        name: `Requests per artifact type: ${types.map((t) => `${t.type} ${count(t.requests)}`).join(', ')}`,
        items: types.map((t) => ({label: words(t.type), value: Number(t.requests) || 0})),
        format: count,
      }),
      table({
        caption: 'Requests per artifact type in the last hour',
        captionHidden: true,
        columns: [{label: 'Artifact type', rowHeader: true}, {label: 'Requests', num: true}, {label: 'Share', num: true}],
        rows: types.map((t) => [words(t.type), count(t.requests), total ? percent((Number(t.requests) || 0) / total) : '–']),
      }), scans);
  }

  // The model scan's figures on this host since it started (uploads' files by verdict).
  function scanLine(scans) {
    if (!scans || !scans.files) return null;
    const f = scans.files;
    const n = (k) => Number(f[k]) || 0;
    const all = n('safe') + n('suspicious') + n('dangerous') + n('unknown');
    return h('p', {id: 'scan-tally'}, all
      ? `Model scan since this host started: ${count(all)} uploaded ${all === 1 ? 'file' : 'files'} scanned (${count(n('safe'))} safe, ${count(n('suspicious'))} suspicious, ${count(n('dangerous'))} dangerous, ${count(n('unknown'))} unknown); ${count(Number(scans.refused) || 0)} ${Number(scans.refused) === 1 ? 'upload' : 'uploads'} refused.`
      : 'Model scan since this host started: no uploaded file scanned yet.');
  }

  function renderComponents(components, generatedAt, error) {
    if (error) {
      swap(componentsBody, h('p', null, `Component health is unavailable. ${error.message}`));
      return;
    }
    swap(componentsBody,
      h('ul', {class: 'components'}, components.map((c) => h('li', {class: 'component', dataset: {component: c.id}},
        h('h3', null, h('span', null, c.display_name || words(c.id)), statusBadge(c.status)),
        c.description ? h('p', {class: 'hint'}, c.description) : null,
        c.metrics && Object.keys(c.metrics).length
          ? h('dl', {class: 'meta'}, Object.entries(c.metrics).map(([k, v]) => [h('dt', null, words(k)), h('dd', null, metricValue(k, v))]))
          : null,
        Array.isArray(c.issues) && c.issues.length
          ? [h('h4', {class: 'visually-hidden'}, `Issues of ${c.display_name || c.id}`),
            h('ul', null, c.issues.map((i) => h('li', null, h('strong', null, `${words(i.severity || 'issue')}: `), i.summary || i.code, i.details ? ` — ${i.details}` : '')))]
          : h('p', {class: 'hint', style: 'margin:0.5rem 0 0'}, 'No open issues.'),
        c.observed_at ? h('p', {class: 'hint', style: 'margin:0.25rem 0 0'}, `Observed ${dateTime(c.observed_at)}`) : null))),
      generatedAt ? h('p', {class: 'hint', style: 'margin-top:0.75rem'}, `Report generated at ${dateTime(generatedAt)}.`) : null);
  }

  function logClass(line) {
    if (/\b(ERROR|FATAL|CRIT(ICAL)?)\b/.test(line)) return 'error';
    if (/\bWARN(ING)?\b/.test(line)) return 'warn';
    return null;
  }

  function renderLogLines(scrollToEnd) {
    const atBottom = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
    replace(logList, logState.lines.map((l) => h('li', {class: logClass(l)}, l)));
    logBox.hidden = false;
    if (scrollToEnd || atBottom) logBox.scrollTop = logBox.scrollHeight;
    olderBtn.hidden = false;
    olderBtn.disabled = logState.before === null || logState.before === undefined;
    newestBtn.hidden = !logState.readOlder;
  }

  function logUnavailable(err) {
    logBox.hidden = true;
    olderBtn.hidden = true;
    newestBtn.hidden = true;
    logState.available = false;
    if (!session.get() || err.status === 403) {
      logMsg.info(h('p', null, 'The log is shown to administrators. ', h('a', {href: '#/login?next=%23%2Fdashboard'}, 'Sign in as an administrator'), ' to read it.'));
    } else if (err.status === 401) {
      logMsg.info('Reading the log needs an administrator account.');
    } else if (err.status === 404) {
      logMsg.info('The log is unavailable: this registry does not serve it yet.');
    } else {
      logMsg.error(`The log could not be loaded. ${err.message}`);
    }
  }

  async function loadNewestLog(first) {
    if (!session.get()) {
      logUnavailable({status: 403});
      return null;
    }
    try {
      const {data} = await api('GET', `/health/logs?lines=${LOG_PAGE}`);
      logState.lines = Array.isArray(data && data.lines) ? data.lines.map(String) : [];
      logState.before = data ? data.before : null;
      logState.readOlder = false;
      logState.available = true;
      if (!logState.lines.length) logMsg.info('The log is empty.');
      else if (first || logMsg.el.classList.contains('error') || logMsg.el.classList.contains('info')) logMsg.clear();
      renderLogLines(first);
      return null;
    } catch (err) {
      logUnavailable(err);
      return err;
    }
  }

  olderBtn.addEventListener('click', () => busy(olderBtn, 'Reading…', async () => {
    if (logState.before === null || logState.before === undefined) return;
    try {
      const {data} = await api('GET', `/health/logs?lines=${LOG_PAGE}&before=${encodeURIComponent(logState.before)}`);
      const older = Array.isArray(data && data.lines) ? data.lines.map(String) : [];
      logState.lines = older.concat(logState.lines);
      logState.before = data ? data.before : null;
      logState.readOlder = true;
      const top = logBox.scrollHeight;
      renderLogLines(false);
      logBox.scrollTop = logBox.scrollHeight - top; // keep the reader where they were
      logMsg.success(older.length
        ? `Read ${older.length} older ${older.length === 1 ? 'line' : 'lines'}${logState.before === null || logState.before === undefined ? '; this is the start of the log' : ''}. ${logState.lines.length} lines are shown.`
        : 'There are no older lines: this is the start of the log.');
    } catch (err) {
      logMsg.error(`Older log lines could not be read. ${err.message}`);
    }
  }).then(() => {
    olderBtn.disabled = logState.before === null || logState.before === undefined;
    if (!olderBtn.disabled) olderBtn.focus();
    else if (!newestBtn.hidden) newestBtn.focus();
  }));

  newestBtn.addEventListener('click', async () => {
    await loadNewestLog(true);
    logMsg.success('Showing the newest log lines; they refresh with the dashboard again.');
    olderBtn.focus();
  });

  // ---- refresh ----------------------------------------------------------------------------

  async function refresh(first = false) {
    if (inFlight) return;
    inFlight = true;
    try {
      const [comp, act, health] = await Promise.allSettled([
        // with the session's token: an admin sees the details (metrics, issue details, endpoints)
        api('GET', `/health/components?windowMinutes=${WINDOW}&includeTimeline=true`),
        api('GET', `/health/activity?windowMinutes=${WINDOW}`, {auth: false}),
        api('GET', '/health', {auth: false}),
      ]);
      // Without an answer the last warnings stay up: a failed refresh does not make them false.
      if (health.status === 'fulfilled') renderWarnings(health.value.data);
      const components = comp.status === 'fulfilled' && comp.value.data && Array.isArray(comp.value.data.components) ? comp.value.data.components : null;
      const compErr = comp.status === 'rejected' ? comp.reason : (components ? null : new Error('The registry answered without components.'));
      const activity = act.status === 'fulfilled' && act.value.data && typeof act.value.data === 'object' ? act.value.data : null;
      const actErr = act.status === 'rejected' ? act.reason : (activity ? null : new Error('The registry answered without activity data.'));
      renderTiles(components, activity);
      renderRequests(components, compErr);
      renderErrors(components, activity, compErr);
      renderRoutes(activity, actErr);
      renderTypes(activity, actErr);
      renderComponents(components || [], comp.status === 'fulfilled' && comp.value.data ? comp.value.data.generated_at : null, compErr);
      let logErr = null;
      if (first || !logState.readOlder) logErr = await loadNewestLog(first);

      // Announce failures only when they change, not on every refresh.
      const failures = [compErr && `component health (${compErr.message})`, actErr && actErr.status !== 404 && `activity (${actErr.message})`,
        logErr && ![401, 403, 404].includes(logErr.status) && `the log (${logErr.message})`].filter(Boolean);
      const key = failures.join('|');
      if (key !== lastFailures) {
        if (failures.length) msg.error(`Some health data could not be loaded: ${failures.join('; ')}`);
        else if (lastFailures) msg.success('The health data loads again.');
        lastFailures = key;
      }
      updated.textContent = `Last updated at ${clockSeconds(new Date())}.`;
    } finally {
      inFlight = false;
    }
  }

  function start() {
    stop();
    timer = setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
  }
  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
  }

  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    if (paused) {
      stop();
      pauseBtn.textContent = 'Resume automatic refresh';
      refreshState.textContent = 'Automatic refresh is paused.';
      msg.info('Automatic refresh paused. Use “Refresh now” to update by hand.');
    } else {
      start();
      pauseBtn.textContent = 'Pause automatic refresh';
      refreshState.textContent = `Automatic refresh every ${REFRESH_MS / 1000} seconds.`;
      msg.info(`Automatic refresh resumed: every ${REFRESH_MS / 1000} seconds.`);
      refresh();
    }
  });
  refreshBtn.addEventListener('click', () => busy(refreshBtn, 'Refreshing…', async () => {
    await refresh();
    if (!lastFailures) msg.success(`Refreshed at ${clockSeconds(new Date())}.`);
  }));

  await refresh(true);
  start();
  return () => {
    stop();
    if (workload) workload.dispose();
  };
}
