// The download workload panel of the health dashboard (administrators): starts the performance
// track's workload (POST /health/workloads: clients downloading Tiny-LLM at once through the
// registry's own address), follows the run (GET /health/workloads/{id} while it runs; it can be
// stopped) and shows its figures: throughput, mean, median and 99th-percentile
// latency, errors and the latency histogram (charts.js), with the data behind it as a table.

import {h, replace, notice, field, table, busy} from './dom.js';
import {api, sentence} from './api.js';
import {columnChart} from './charts.js';
import {count, ms, dateTime, isNum, fixed} from './format.js';

// Polling a run: every half second at first, then less often (each poll spends a use of the
// session's token), at most every 5 seconds.
const POLL_FIRST_MS = 500;
const POLL_MAX_MS = 5000;
const RECENT = 5;
const TINY_LLM = 'https://huggingface.co/arnir0/Tiny-LLM';

function mbytes(bytes) {
  return isNum(bytes) ? `${fixed(bytes / 1048576, 1)} MiB` : 'not available';
}

function errorsOf(result) {
  const e = (result && result.errors) || {};
  return ['status_4xx', 'status_5xx', 'status_other', 'transport'].reduce((a, k) => a + (Number(e[k]) || 0), 0);
}

function errorWords(result) {
  const e = (result && result.errors) || {};
  const parts = [['status_4xx', 'refused (4xx)'], ['status_5xx', 'server errors (5xx)'], ['status_other', 'other answers'], ['transport', 'connection failures']]
    .filter(([k]) => Number(e[k]) > 0).map(([k, words]) => `${count(e[k])} ${words}`);
  return parts.length ? parts.join(', ') : 'none';
}

function statusWords(rec) {
  return {running: 'Running', done: 'Done', failed: 'Failed'}[rec.status] || String(rec.status);
}

/** The figures of a finished run as tiles (each with data-figure for the tests). */
function figureTiles(result) {
  const lat = result.latency_ms || {};
  const items = [
    ['throughput', 'Throughput, downloads/s', fixed(result.throughput_rps, 1)],
    ['data-rate', 'Data rate, MiB/s', fixed(result.throughput_mib_s, 1)],
    ['mean', 'Mean latency', ms(lat.mean)],
    ['median', 'Median latency', ms(lat.median)],
    ['p99', '99th percentile latency', ms(lat.p99)],
    ['errors', 'Errors', `${count(errorsOf(result))} of ${count(result.requests)}`],
  ];
  return h('ul', {class: 'tiles', 'aria-label': 'Figures of the run'},
    items.map(([key, label, value]) => h('li', {class: 'tile', dataset: {figure: key}},
      h('span', {class: 'tile-label'}, label), h('span', {class: 'tile-value'}, value))));
}

function histogramChart(result) {
  const buckets = Array.isArray(result.histogram) ? result.histogram : [];
  if (!buckets.length) return h('p', null, 'No download got an answer, so there is no latency histogram.');
  const lat = result.latency_ms || {};
  const most = Math.max(...buckets.map((b) => b.count));
  return columnChart({
    title: `Latency histogram of the run: downloads per latency bucket, ${buckets.length} buckets from ${ms(lat.min)} to ${ms(lat.max)}`,
    name: `${count(result.ok)} of ${count(result.requests)} downloads succeeded; half took at most ${ms(lat.median)}, 99 % at most ${ms(lat.p99)}.`,
    points: buckets.map((b) => ({label: `≤${ms(b.le_ms)}`, value: b.count})),
    yFormat: (v) => count(v),
    columns: ['Latency up to', 'Downloads'],
    every: Math.max(1, Math.ceil(buckets.length / 4)),
    // whole numbers on the axis: its four steps are whole
    fixedMax: Math.max(4, Math.ceil(most / 4) * 4),
  });
}

function runDetails(rec) {
  const a = rec.artifact || {};
  const p = rec.parameters || {};
  const rows = [
    ['Status', statusWords(rec)],
    ['Model', `${a.name || 'unknown'} (${a.id || '?'})`],
    ['Bundle size', mbytes(a.bundle_bytes)],
    ['Clients × downloads', `${count(p.clients)} × ${count(p.requests_per_client)}`],
    ['Models in the registry', count(rec.models_in_registry)],
    ['Started', rec.started_at ? dateTime(rec.started_at) : 'unknown'],
    ['Finished', rec.finished_at ? dateTime(rec.finished_at) : 'not yet'],
  ];
  if (rec.result) rows.push(['Errors', errorWords(rec.result)], ['Wall time', `${fixed(rec.result.seconds, 2)} s`]);
  if (rec.error) rows.push(['Why it failed', sentence(rec.error)]);
  return h('dl', {class: 'meta'}, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

function recentTable(runs) {
  return table({
    caption: `The last ${runs.length} runs, newest first`,
    columns: [{label: 'Started', rowHeader: true}, {label: 'Status'}, {label: 'Clients × downloads', num: true},
      {label: 'Throughput', num: true}, {label: 'Median', num: true}, {label: 'p99', num: true}],
    rows: runs.map((r) => {
      const res = r.result;
      const lat = (res && res.latency_ms) || {};
      return [dateTime(r.started_at), statusWords(r), `${count(r.parameters.clients)} × ${count(r.parameters.requests_per_client)}`,
        res ? `${fixed(res.throughput_rps, 1)}/s` : '–', res ? ms(lat.median) : '–', res ? ms(lat.p99) : '–'];
    }),
    label: 'Recent workload runs',
  });
}

/** The panel: {el, dispose}. signal: the page's (aborts the polling). */
export function workloadPanel({signal}) {
  const msg = notice();
  const clients = h('input', {type: 'number', id: 'workload-clients', min: 1, max: 100, step: 1, value: 100, required: true});
  const requests = h('input', {type: 'number', id: 'workload-requests', min: 1, max: 20, step: 1, value: 1, required: true});
  const runBtn = h('button', {type: 'submit', id: 'run-workload'}, 'Run the download workload');
  const stopBtn = h('button', {type: 'button', class: 'danger secondary', id: 'stop-workload', hidden: true}, 'Stop the run');
  const result = h('div', {id: 'workload-result'});
  const recent = h('div', {id: 'workload-recent'});
  const form = h('form', {class: 'row', novalidate: true},
    field('Clients', clients, {hint: '1 to 100, each on its own connection', grow: false}),
    field('Downloads per client', requests, {hint: '1 to 20', grow: false}),
    h('div', {class: 'row'}, runBtn, stopBtn));
  const el = h('section', {class: 'card', id: 'workload', 'aria-labelledby': 'workload-heading'},
    h('h2', {id: 'workload-heading'}, 'Download workload'),
    h('p', {class: 'hint'}, 'Many clients download the Tiny-LLM model at the same time, through the registry\'s own address, as the performance track measures it. ',
      `Register ${TINY_LLM} first. One run at a time; a run stops after 5 minutes at most.`),
    form, msg.el, result, recent);
  let timer = null;
  let following = null;
  let disposed = false;

  function dispose() {
    disposed = true;
    if (timer) clearTimeout(timer);
    timer = null;
  }
  if (signal) signal.addEventListener('abort', dispose);

  function show(rec) {
    const parts = [h('h3', null, `Run of ${rec.started_at ? dateTime(rec.started_at) : 'unknown time'}`), runDetails(rec)];
    if (rec.result) parts.push(figureTiles(rec.result), histogramChart(rec.result));
    replace(result, parts);
    stopBtn.hidden = rec.status !== 'running';
  }

  async function loadRecent() {
    try {
      const {data} = await api('GET', '/health/workloads');
      const runs = data && Array.isArray(data.workloads) ? data.workloads : [];
      replace(recent, runs.length > 1 ? [h('h3', null, 'Recent runs'), recentTable(runs.slice(0, RECENT))] : []);
      return runs;
    } catch (err) {
      replace(recent, h('p', null, `The recent runs could not be loaded. ${err.message}`));
      return [];
    }
  }

  function announce(rec) {
    const p = rec.parameters || {};
    const what = `${count(p.clients)} clients × ${count(p.requests_per_client)} downloads of ${(rec.artifact && rec.artifact.name) || 'the model'}`;
    if (rec.status === 'running') msg.info(`The workload is running: ${what}. The figures appear here when it ends.`);
    else if (rec.status === 'done') msg.success(`The workload is done: ${what}, ${count(rec.result.ok)} succeeded at ${fixed(rec.result.throughput_rps, 1)} downloads per second.`);
    else msg.error(`The workload failed: ${sentence(rec.error) || 'no reason was recorded.'}`);
  }

  async function follow(id) {
    let wait = POLL_FIRST_MS;
    following = id;
    for (;;) {
      if (disposed || following !== id) return;
      let rec;
      try {
        ({data: rec} = await api('GET', `/health/workloads/${encodeURIComponent(id)}`));
      } catch (err) {
        if (!disposed) msg.error(`The run could not be followed. ${err.message}`);
        return;
      }
      if (disposed || following !== id) return;
      show(rec);
      if (rec.status !== 'running') {
        announce(rec);
        await loadRecent();
        return;
      }
      await new Promise((resolve) => { timer = setTimeout(resolve, wait); });
      wait = Math.min(POLL_MAX_MS, Math.round(wait * 1.5));
    }
  }

  function readCount(input, max) {
    const v = Number(input.value);
    const ok = Number.isInteger(v) && v >= 1 && v <= max;
    input.setAttribute('aria-invalid', ok ? 'false' : 'true');
    return ok ? v : null;
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const c = readCount(clients, 100);
    const r = readCount(requests, 20);
    if (c === null || r === null) {
      msg.error(c === null ? 'Clients must be a whole number from 1 to 100.' : 'Downloads per client must be a whole number from 1 to 20.');
      (c === null ? clients : requests).focus();
      return;
    }
    busy(runBtn, 'Starting…', async () => {
      try {
        const {data: rec} = await api('POST', '/health/workloads', {body: {clients: c, requests_per_client: r}});
        show(rec);
        announce(rec);
        follow(rec.id);
      } catch (err) {
        if (err.status === 404) {
          msg.error(h('p', {class: 'msg-title'}, 'Tiny-LLM is not registered yet.'),
            h('p', null, 'Register it first: ', h('a', {href: '#/register'}, `register ${TINY_LLM} as a model`), ', then run the workload again.'));
        } else if (err.status === 409) {
          msg.warning(`A workload is already running. ${sentence(err.detail)}`);
          const runs = await loadRecent();
          const running = runs.find((x) => x.status === 'running');
          if (running) follow(running.id);
        } else {
          msg.error(`The workload could not start. ${err.message}`);
        }
      }
    });
  });

  stopBtn.addEventListener('click', () => busy(stopBtn, 'Stopping…', async () => {
    if (!following) return;
    try {
      await api('DELETE', `/health/workloads/${encodeURIComponent(following)}`);
      msg.info('Stopping the run…');
    } catch (err) {
      msg.error(`The run could not be stopped. ${err.message}`);
    }
  }));

  // The latest run, if any: followed when it is still running, shown otherwise.
  loadRecent().then((runs) => {
    if (disposed || !runs.length || following) return;
    show(runs[0]);
    if (runs[0].status === 'running') {
      announce(runs[0]);
      follow(runs[0].id);
    }
  });

  return {el, dispose};
}
