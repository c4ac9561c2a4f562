// One artifact: metadata, rating, lineage, cost, license check, download, a model's sensitivity
// (its monitor program and download history), audit trail, update and delete.

import {h, replace, field, notice, table, busy} from '../dom.js';
import {api, ApiError, METRICS, DEVICES, typeLabel, artifactHref, sentence} from '../api.js';
import {scoreBar} from '../charts.js';
import {lineageSvg, lineageList, normalise} from '../lineage.js';
import {score, seconds, mb, dateTime, isNum} from '../format.js';
import {confirmDialog} from '../dialog.js';
import {ingestFailure} from './register.js';

function section(id, title, ...content) {
  return h('section', {class: 'card', id, 'aria-labelledby': `${id}-heading`}, h('h2', {id: `${id}-heading`}, title), ...content);
}

function externalLink(url) {
  if (!/^https?:\/\//i.test(String(url || ''))) return h('span', null, String(url || 'none'));
  return h('a', {href: url, rel: 'noopener noreferrer', target: '_blank'}, url, h('span', {class: 'visually-hidden'}, ' (opens in a new tab)'));
}

// ---- rating -----------------------------------------------------------------------------------

function scoreCell(value) {
  return [h('span', {class: 'score-value'}, score(value)), scoreBar(value)];
}

function renderRating(el, rating) {
  const rows = [];
  for (const [key, label, desc] of METRICS) {
    const value = rating[key];
    const latency = seconds(rating[`${key}_latency`]);
    const nameCell = [h('span', {class: 'metric-name'}, label), h('span', {class: 'metric-desc'}, desc)];
    let valueCell;
    if (key === 'size_score') {
      const sz = value && typeof value === 'object' ? value : {};
      valueCell = h('ul', {class: 'subtable', style: 'list-style:none;padding:0'},
        DEVICES.map(([dk, dl]) => h('li', null, h('span', null, `${dl}: `), h('span', {class: 'score-value'}, score(sz[dk])), scoreBar(sz[dk]))));
    } else if (key === 'reviewedness' && isNum(value) && value < 0) {
      valueCell = h('span', {class: 'score-value'}, 'No repository linked (−1: not rated)');
    } else {
      valueCell = scoreCell(value);
    }
    rows.push({key, cells: [nameCell, valueCell, latency]});
  }
  const t = table({
    caption: 'Every metric, scored from 0 (worst) to 1 (best), with the time taken to compute it',
    columns: [{label: 'Metric', rowHeader: true}, {label: 'Score', class: 'bar-cell'}, {label: 'Latency', num: true}],
    rows: rows.map((r) => r.cells),
    label: 'Rating metrics',
  });
  for (const [i, tr] of [...t.querySelectorAll('tbody tr')].entries()) tr.dataset.metric = rows[i].key;
  replace(el,
    h('div', {class: 'score-headline'},
      h('span', null, 'Net score'),
      h('span', {class: 'score-big', id: 'net-score'}, score(rating.net_score)),
      h('span', {class: 'hint'}, `out of 1 · computed in ${seconds(rating.net_score_latency)}${rating.category ? ` · category ${String(rating.category).toLowerCase()}` : ''}`)),
    t);
}

// ---- cost -------------------------------------------------------------------------------------

function renderCost(el, id, alone, withDeps, names) {
  const own = alone && alone[id] ? alone[id].total_cost : undefined;
  const entries = withDeps ? Object.entries(withDeps) : [];
  const total = withDeps && withDeps[id] ? withDeps[id].total_cost : undefined;
  const deps = entries.filter(([k]) => k !== id);
  const nameOf = (k) => (k === id ? `${names.get(k) || k} (this artifact)` : names.get(k) || `artifact ${k}`);
  replace(el,
    h('dl', {class: 'meta'},
      h('dt', null, 'Download alone'), h('dd', {id: 'cost-alone'}, mb(own)),
      h('dt', null, 'With dependencies'), h('dd', {id: 'cost-total'}, withDeps
        ? `${mb(total)} (${deps.length} ${deps.length === 1 ? 'dependency' : 'dependencies'})`
        : 'not available')),
    entries.length
      ? table({
        caption: 'Cost of each artifact in the download',
        columns: [{label: 'Artifact', rowHeader: true}, {label: 'Alone', num: true}, {label: 'With its dependencies', num: true}],
        rows: entries.map(([k, v]) => [k === id || !names.has(k) ? nameOf(k) : h('a', {href: artifactHref('model', k)}, nameOf(k)), mb(v.standalone_cost ?? v.total_cost), mb(v.total_cost)]),
      })
      : null);
}

// ---- sensitive models -------------------------------------------------------------------------

const PROGRAM_MAX = 64 * 1024;

function monitorRun(m) {
  if (!m) return 'no program';
  if (m.timed_out) return 'killed at the time limit';
  if (m.signal) return `killed by signal ${m.signal}`;
  return `exit code ${m.exit_code}`;
}

/** The sensitivity of a model: a switch for the mark, an editor for its monitor program (typed
 *  or loaded from a file), and its download history (admins and the uploader only). */
function sensitiveSection({id, md, signal}) {
  const base = `/artifact/model/${encodeURIComponent(id)}`;
  const status = h('p', {id: 'sensitive-status'}, 'Loading…');
  const toggle = h('input', {type: 'checkbox', id: 'sensitive-toggle', role: 'switch'});
  const toggleMsg = notice();
  const program = h('textarea', {id: 'monitor-program', name: 'program', rows: 10, spellcheck: 'false', class: 'code', maxlength: PROGRAM_MAX});
  const file = h('input', {type: 'file', id: 'monitor-file', accept: '.js,.mjs,.cjs,text/javascript,application/javascript'});
  const saveBtn = h('button', {type: 'submit'}, 'Save program');
  const removeBtn = h('button', {type: 'button', class: 'secondary'}, 'Remove program');
  const progMsg = notice();
  const histBody = h('div', {id: 'download-history'});
  const histMsg = notice();
  const histBtn = h('button', {type: 'button', class: 'secondary'}, 'Reload the download history');

  function show(mark) {
    toggle.checked = Boolean(mark);
    replace(status, mark
      ? `Sensitive since ${dateTime(mark.marked_at)}, uploaded by ${mark.uploader}. ${mark.has_program ? 'Its monitor program runs before every download.' : 'It has no monitor program: downloads are only recorded.'}`
      : 'Not sensitive: downloads run no monitor program.');
  }
  async function loadMark() {
    try {
      const {data} = await api('GET', `${base}/sensitive`, {signal});
      show(data);
      return data;
    } catch (err) {
      if (err.name === 'AbortError') return null;
      if (err.status === 404) show(null);
      else toggleMsg.error(`Whether this model is sensitive could not be loaded. ${err.message}`);
      return null;
    }
  }
  async function loadProgram() {
    try {
      const res = await api('GET', `${base}/monitor`, {signal, raw: true, headers: {Accept: 'application/javascript'}});
      program.value = await res.text();
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.status === 404) program.value = '';
      else progMsg.error(`The monitor program could not be loaded. ${err.message}`);
    }
  }
  async function loadHistory() {
    const list = [];
    try {
      let q = '';
      for (let p = 0; p < 10; p++) {
        const {data, headers} = await api('GET', `${base}/download-history${q}`, {signal});
        if (Array.isArray(data)) list.push(...data);
        const next = headers.get('offset');
        if (!next) break;
        q = `?offset=${encodeURIComponent(next)}`;
      }
    } catch (err) {
      if (err.name === 'AbortError') return null;
      replace(histBody);
      if (err.status === 403 && err.code === 'forbidden') histMsg.info('Only administrators and the account that uploaded this model can see its download history.');
      else histMsg.error(`The download history could not be loaded. ${err.message}`);
      return null;
    }
    histMsg.clear();
    replace(histBody, list.length
      ? table({
        caption: `${list.length} ${list.length === 1 ? 'download' : 'downloads'} of this model while it was sensitive`,
        columns: [{label: 'When (UTC)'}, {label: 'User'}, {label: 'Outcome'}, {label: 'Monitor'}, {label: 'Program output'}],
        rows: list.map((e) => [dateTime(e.date), e.user, e.outcome, monitorRun(e.monitor), h('span', {class: 'monitor-output'}, e.monitor && e.monitor.output ? e.monitor.output : '')]),
      })
      : h('p', null, 'Nobody has downloaded this model while it was sensitive.'));
    return list.length;
  }

  toggle.addEventListener('change', async () => {
    const on = toggle.checked;
    try {
      const {data} = await api(on ? 'PUT' : 'DELETE', `${base}/sensitive`, {signal});
      show(on ? data : null);
      if (!on) program.value = '';
      toggleMsg.success(on ? `${md.name} is now sensitive.` : `${md.name} is no longer sensitive; its monitor program was removed.`);
      loadHistory();
    } catch (err) {
      if (err.name === 'AbortError') return;
      toggle.checked = !on;
      toggleMsg.error(err.status === 401 ? 'Marking a model sensitive needs the upload permission.' : `The change was not made. ${err.message}`);
    }
  });
  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (!f) return;
    if (f.size > PROGRAM_MAX) {
      progMsg.error(`${f.name} is larger than 64 KiB, the most a monitor program may have.`);
      return;
    }
    program.value = await f.text();
    progMsg.info(`Loaded ${f.name}: press Save program to attach it.`);
  });
  const form = h('form', {class: 'stack', novalidate: true, 'aria-label': 'Monitor program'},
    field('Monitor program (JavaScript for Node.js 24)', program, {hint: 'Runs as: node PROGRAM MODEL_NAME UPLOADER_USERNAME DOWNLOADER_USERNAME ZIP_FILE_PATH. Exit code 0 allows the download; any other refuses it and shows what the program printed. At most 64 KiB.'}),
    field('Or load the program from a file', file, {grow: false}),
    h('div', {class: 'row'}, saveBtn, removeBtn), progMsg.el);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    program.removeAttribute('aria-invalid');
    if (!program.value.trim()) {
      program.setAttribute('aria-invalid', 'true');
      progMsg.error('Write the monitor program first, or load it from a file.');
      program.focus();
      return;
    }
    await busy(saveBtn, 'Saving…', async () => {
      try {
        const {data} = await api('PUT', `${base}/monitor`, {text: program.value, textType: 'application/javascript; charset=utf-8', signal});
        show(data);
        progMsg.success(`The monitor program of ${md.name} was saved; it runs before every download.`);
      } catch (err) {
        if (err.name === 'AbortError') return;
        if (err.status === 401) progMsg.error('Attaching a monitor program needs the upload permission.');
        else if (err.status === 413) progMsg.error('The program is larger than 64 KiB, the most a monitor program may have.');
        else progMsg.error(`The program was not saved. ${err.message}`);
      }
    });
  });
  removeBtn.addEventListener('click', () => busy(removeBtn, 'Removing…', async () => {
    try {
      const {data} = await api('DELETE', `${base}/monitor`, {signal});
      show(data);
      program.value = '';
      progMsg.success(`The monitor program of ${md.name} was removed; the model stays sensitive.`);
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.status === 404) progMsg.warning('This model has no monitor program to remove.');
      else progMsg.error(`The program was not removed. ${err.message}`);
    }
  }));
  histBtn.addEventListener('click', () => busy(histBtn, 'Loading…', async () => {
    const n = await loadHistory();
    if (n !== null) histMsg.success(`The download history was reloaded: ${n} ${n === 1 ? 'download' : 'downloads'}.`);
  }));

  const el = section('sensitive', 'Sensitive model',
    h('p', {class: 'hint'}, 'A sensitive model\'s downloads first run its monitor program (for example, a call to ACME\'s audit server), which may refuse them; every download and refusal is recorded.'),
    status,
    h('label', {class: 'check', for: toggle.id}, toggle, 'Sensitive: run the monitor program before every download'),
    toggleMsg.el,
    form,
    h('h3', null, 'Download history'), histMsg.el, histBody, h('div', {class: 'row'}, histBtn));
  return {el, loadHistory, async load() { await loadMark(); await Promise.all([loadProgram(), loadHistory()]); }};
}

// ---- page -------------------------------------------------------------------------------------

export async function artifactPage({root, params, signal, navigate, flash, setTitle}) {
  const [type, id] = params;
  setTitle(`${typeLabel(type)} ${id}`);
  const heading = h('h1', null, `${typeLabel(type)} ${id}`);
  const topMsg = notice();
  root.append(heading, topMsg.el);

  let artifact;
  try {
    ({data: artifact} = await api('GET', `/artifacts/${type}/${encodeURIComponent(id)}`, {signal}));
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (err.status === 404) topMsg.error(`There is no ${typeLabel(type).toLowerCase()} with id ${id} in the registry. It may have been deleted.`, h('p', null, h('a', {href: '#/artifacts'}, 'Back to the artifact list')));
    else topMsg.error(`This artifact could not be loaded. ${err.message}`);
    return;
  }
  const md = (artifact && artifact.metadata) || {name: id, id, type};
  const data = (artifact && artifact.data) || {};
  setTitle(md.name);
  replace(heading, md.name, ' ', h('span', {class: `badge type-${type}`}, typeLabel(type)));

  const isModel = type === 'model';
  const names = new Map([[id, md.name]]);

  // -- metadata --
  const metaSec = section('metadata', 'Details',
    h('dl', {class: 'meta'},
      h('dt', null, 'Name'), h('dd', null, md.name),
      h('dt', null, 'Type'), h('dd', null, typeLabel(type)),
      h('dt', null, 'ID'), h('dd', {class: 'id'}, md.id),
      h('dt', null, 'Source'), h('dd', {id: 'source-url'}, externalLink(data.url)),
      h('dt', null, 'Download URL'), h('dd', {class: 'id'}, data.download_url || 'none')));

  // -- rating --
  const ratingBody = h('div', null, h('p', null, 'Loading the rating…'));
  const ratingMsg = notice();
  const ratingSec = isModel ? section('rating', 'Trust rating', ratingMsg.el, ratingBody) : null;

  // -- lineage --
  const lineageBody = h('div', null, h('p', null, 'Loading the lineage…'));
  const lineageMsg = notice();
  const lineageSec = isModel ? section('lineage', 'Lineage', h('p', {class: 'hint'}, 'Registered models this one was derived from (parents) and models derived from it (children).'), lineageMsg.el, lineageBody) : null;

  // -- cost --
  const costBody = h('div', null, h('p', null, 'Loading the cost…'));
  const costMsg = notice();
  const costSec = section('cost', 'Download cost', h('p', {class: 'hint'}, 'Size in megabytes, alone and with every registered dependency (lineage parents, datasets, code).'), costMsg.el, costBody);

  // -- license check --
  let licenseSec = null;
  if (isModel) {
    const gh = h('input', {type: 'url', name: 'github_url', required: true, spellcheck: 'false', inputmode: 'url'});
    const product = h('input', {type: 'text', name: 'product_license', spellcheck: 'false', autocomplete: 'off'});
    const btn = h('button', {type: 'submit'}, 'Check license');
    const res = notice();
    const form = h('form', {class: 'stack', novalidate: true, 'aria-label': 'License check'},
      h('div', {class: 'row'}, field('GitHub repository URL', gh, {hint: 'e.g. https://github.com/google-research/bert'}),
        field('Product license (optional)', product, {hint: 'an SPDX id, e.g. LGPL-2.1: also check shipping in a commercial product under it', grow: false}), btn), res.el);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      gh.removeAttribute('aria-invalid');
      const value = gh.value.trim();
      if (!/^https?:\/\/\S+$/i.test(value)) {
        gh.setAttribute('aria-invalid', 'true');
        res.error('Enter the full URL of a GitHub repository, starting with https://github.com/');
        gh.focus();
        return;
      }
      product.removeAttribute('aria-invalid');
      const productId = product.value.trim();
      const query = productId ? `?product_license=${encodeURIComponent(productId)}` : '';
      const inProduct = productId ? `, and may ship in a commercial ${productId} product` : '';
      res.info('Checking the license…');
      await busy(btn, 'Checking…', async () => {
        try {
          const {data: verdict, headers} = await api('POST', `/artifact/model/${encodeURIComponent(id)}/license-check${query}`, {body: {github_url: value}, signal});
          const reason = headers.get('X-License-Reason');
          const why = reason ? h('p', null, `Reason: ${sentence(reason)}`) : null;
          if (verdict === true) res.success(h('p', {class: 'msg-title'}, `Compatible: the license of ${value} is compatible with ${md.name}'s for fine-tuning and inference${inProduct}.`), why);
          else if (verdict === false) res.warning(h('p', {class: 'msg-title'}, productId ? `Not compatible: ${value} and ${md.name} cannot be combined, or not in a commercial ${productId} product.` : `Not compatible: the license of ${value} cannot be combined with ${md.name}'s.`), why);
          else res.error('The registry answered the license check without a yes or no.');
        } catch (err) {
          if (err.name === 'AbortError') return;
          if (err.status === 404) res.error(`The license could not be checked: the GitHub repository or this model was not found. ${sentence(err.detail)}`.trim());
          else if (err.status === 400) { (/product_license/.test(err.detail || '') ? product : gh).setAttribute('aria-invalid', 'true'); res.error(`The license check was not accepted. ${sentence(err.detail)}`.trim()); }
          else if (err.status === 502) res.error(`GitHub could not be reached to read the license. ${sentence(err.detail)} Please try again later.`.trim());
          else res.error(`The license check failed. ${err.message}`);
        }
      });
    });
    licenseSec = section('license', 'License check', h('p', {class: 'hint'}, 'Is the license of a GitHub repository compatible with this model\'s, so that the two can be combined for fine-tuning and inference? Name a product license to also check shipping the pair in a commercial product under it.'), form);
  }

  // -- download --
  const dlMsg = notice();
  const dlBtn = h('button', {type: 'button', id: 'download-button'}, 'Download');
  dlBtn.addEventListener('click', () => busy(dlBtn, 'Downloading…', async () => {
    if (!data.download_url) {
      dlMsg.error('This artifact has no download URL.');
      return;
    }
    dlMsg.info('Preparing the download…');
    // Only ever this origin: the token must not be sent anywhere else.
    let url;
    try {
      url = new URL(data.download_url, location.href);
    } catch {
      dlMsg.error('The download URL of this artifact is not valid.');
      return;
    }
    const path = url.origin === location.origin ? url.pathname + url.search : `/download/${type}/${encodeURIComponent(id)}`;
    try {
      const res = await api('GET', path, {raw: true, signal, headers: {Accept: '*/*'}});
      const blob = await res.blob();
      const cd = res.headers.get('Content-Disposition') || '';
      const m = /filename="?([^";]+)"?/i.exec(cd);
      const a = h('a', {href: URL.createObjectURL(blob), download: m ? m[1] : `${md.name}.zip`, hidden: true});
      document.body.append(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      dlMsg.success(`The download of ${md.name} (${mb(blob.size / 1e6)}) has started.`);
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err instanceof ApiError && err.status === 503) {
        dlMsg.warning(h('p', {class: 'msg-title'}, 'The registry has no copy of this artifact yet, and its source cannot be reached right now. Try again in a moment.'),
          h('p', null, `The registry said: ${sentence(err.detail)}`));
      } else if (err instanceof ApiError && err.status === 507) {
        dlMsg.error(h('p', {class: 'msg-title'}, 'The registry does not have the room to keep a copy of this artifact.'),
          h('p', null, `The registry said: ${sentence(err.detail)}`));
      } else if (err instanceof ApiError && err.status === 424) {
        dlMsg.error(h('p', {class: 'msg-title'}, `The registry refused to download ${md.name}: its security scan found a file that could run code when loaded, or that it could not read whole. Nothing of that file was sent.`),
          h('p', null, `The registry said: ${sentence(err.detail)}`));
      } else if (err instanceof ApiError && err.status === 501) {
        dlMsg.warning(h('p', {class: 'msg-title'}, 'The registry cannot fetch the files of this artifact.'),
          h('p', null, `The registry said: ${sentence(err.detail)}`));
      } else if (err instanceof ApiError && err.status === 403 && err.code === 'forbidden') {
        dlMsg.error(h('p', {class: 'msg-title'}, `The monitor program of the sensitive model ${md.name} refused your download.`),
          h('p', {class: 'monitor-output'}, `The registry said: ${err.detail}`));
        if (loadHistory) loadHistory();
      } else if (err.status === 401) {
        dlMsg.error('Your account does not have the download permission.');
      } else {
        dlMsg.error(`The download failed. ${err.message}`);
      }
    }
  }));
  const dlSec = section('download', 'Download', h('p', null, 'A zip of this artifact\'s files, from ', h('span', {class: 'id'}, data.download_url || 'no URL'), '. The first download fetches them from their source while you receive them; the registry keeps the copy for the next.'), h('div', {class: 'row'}, dlBtn), dlMsg.el);

  // -- sensitivity: the mark, the monitor program, the download history (models only) --
  const sens = isModel ? sensitiveSection({id, md, signal}) : null;
  const loadHistory = sens ? sens.loadHistory : null;

  // -- security scan --
  const secBody = h('div', null, h('p', null, 'Loading the scan report…'));
  const secMsg = notice();
  const secSec = section('security', 'Security scan', h('p', {class: 'hint'}, 'Model files are scanned without being loaded: pickles for the code they would import, safetensors headers, Keras Lambda layers, config.json auto_map. An upload is scanned as it is unpacked; an artifact registered by URL is scanned where its files lie, reading only what each verdict needs, and again as a download fetches them.'), secMsg.el, secBody);
  const VERDICT_NOTE = {safe: 'success', suspicious: 'warning', dangerous: 'error', unknown: 'error'};
  async function loadSecurity() {
    try {
      const {data: r} = await api('GET', `/artifact/${type}/${encodeURIComponent(id)}/security`, {signal});
      if (!r || r.scanned !== true) {
        replace(secBody, h('p', null, r && r.policy === 'off' ? 'Not scanned: the registry\'s scan policy is off.' : `Not scanned. ${sentence((r && r.detail) || '')}`.trim()));
        return;
      }
      const files = Array.isArray(r.files) ? r.files : [];
      const skipped = Array.isArray(r.skipped) ? r.skipped : [];
      const kind = VERDICT_NOTE[r.verdict] || 'warning';
      secMsg[kind](`Verdict: ${r.verdict} (policy ${r.policy}); ${files.length} ${files.length === 1 ? 'file' : 'files'} scanned${skipped.length ? `, ${skipped.length} not readable` : ''}.`);
      const notRead = skipped.length
        ? h('ul', {class: 'skipped'}, ...skipped.map((k) => h('li', null, `${k.path}: not scanned, ${k.reason}.`)))
        : null;
      replace(secBody, files.length
        ? table({
          caption: 'Scanned files',
          columns: [{label: 'File'}, {label: 'Format'}, {label: 'Verdict'}, {label: 'Imports'}, {label: 'Why'}],
          rows: files.map((f) => [f.path, f.format, f.verdict + (f.custom_code ? ' (custom code)' : ''), (f.imports || []).join(', ') + (f.imports_truncated ? ', …' : ''), f.detail || (f.parameters != null ? `${f.parameters} parameters` : '')]),
        })
        : h('p', null, 'No file of a scanned format (pickles, NumPy, safetensors, Keras, config.json).'), notRead);
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(secBody);
      secMsg.error(`The scan report could not be loaded. ${err.message}`);
    }
  }

  // -- audit --
  const auditBody = h('div', null, h('p', null, 'Loading the audit trail…'));
  const auditMsg = notice();
  const auditBtn = h('button', {type: 'button', class: 'secondary'}, 'Reload the audit trail');
  const auditSec = section('audit', 'Audit trail', h('p', {class: 'hint'}, 'Who did what to this artifact, oldest first. Reading the trail is itself recorded.'), auditMsg.el, auditBody, h('div', {class: 'row'}, auditBtn));
  // The trail comes in pages of 100, each naming the next in its `offset` header; the page
  // shows the first AUDIT_PAGES of them.
  const AUDIT_PAGES = 10;
  async function auditEntries() {
    const list = [];
    let q = '';
    for (let p = 0; p < AUDIT_PAGES; p++) {
      const {data, headers} = await api('GET', `/artifact/${type}/${encodeURIComponent(id)}/audit${q}`, {signal});
      if (Array.isArray(data)) list.push(...data);
      const next = headers.get('offset');
      if (!next) return {list, more: false};
      q = `?offset=${encodeURIComponent(next)}`;
    }
    return {list, more: true};
  }
  async function loadAudit() {
    try {
      const {list, more} = await auditEntries();
      auditMsg.clear();
      replace(auditBody, list.length
        ? table({
          caption: `${more ? 'The first ' : ''}${list.length} audit ${list.length === 1 ? 'entry' : 'entries'}`,
          columns: [{label: 'When (UTC)'}, {label: 'User'}, {label: 'Action'}],
          rows: list.map((e) => [dateTime(e.date), `${e.user && e.user.name ? e.user.name : 'unknown'}${e.user && e.user.is_admin ? ' (administrator)' : ''}`, String(e.action || '').toLowerCase()]),
        })
        : h('p', null, 'No audit entries yet.'));
      return list.length;
    } catch (err) {
      if (err.name === 'AbortError') return null;
      replace(auditBody);
      auditMsg.error(`The audit trail could not be loaded. ${err.message}`);
      return null;
    }
  }
  auditBtn.addEventListener('click', () => busy(auditBtn, 'Loading…', async () => {
    const n = await loadAudit();
    if (n !== null) auditMsg.success(`The audit trail was reloaded: ${n} ${n === 1 ? 'entry' : 'entries'}.`);
  }));

  // -- update --
  const upUrl = h('input', {type: 'url', name: 'url', required: true, spellcheck: 'false', value: data.url || '', inputmode: 'url'});
  const upBtn = h('button', {type: 'submit'}, 'Update');
  const upMsg = notice();
  const upForm = h('form', {class: 'stack', novalidate: true, 'aria-label': 'Update the source'},
    h('div', {class: 'row'}, field('New source URL', upUrl, {hint: 'The registry fetches and rates the new source; the name and id stay the same.'}), upBtn), upMsg.el);
  upForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    upUrl.removeAttribute('aria-invalid');
    const value = upUrl.value.trim();
    if (!/^https?:\/\/\S+$/i.test(value)) {
      upUrl.setAttribute('aria-invalid', 'true');
      upMsg.error('Enter the full URL of the new source, starting with https://');
      upUrl.focus();
      return;
    }
    upMsg.info('Updating… The registry fetches the new source and rates it again.');
    await busy(upBtn, 'Updating…', async () => {
      try {
        await api('PUT', `/artifacts/${type}/${encodeURIComponent(id)}`, {body: {metadata: {name: md.name, id: md.id, type}, data: {url: value}}, signal});
        data.url = value;
        replace(document.getElementById('source-url'), externalLink(value));
        upMsg.success(`Updated: ${md.name} now comes from ${value}.`);
        if (isModel) loadRating();
        loadCost();
        loadAudit();
      } catch (err) {
        if (err.name === 'AbortError') return;
        if (err.status === 404) upMsg.error(`This artifact no longer exists in the registry. ${sentence(err.detail)}`.trim());
        else upMsg.error(...ingestFailure(err, type));
      }
    });
  });
  const upSec = section('update', 'Update', upForm);

  // -- delete --
  const delBtn = h('button', {type: 'button', class: 'danger'}, `Delete ${md.name}`);
  const delMsg = notice();
  delBtn.addEventListener('click', async () => {
    const yes = await confirmDialog({
      title: `Delete ${md.name}?`,
      body: [`This removes the ${typeLabel(type).toLowerCase()} ${md.name} (id ${md.id}) from the registry. It cannot be undone.`],
      confirmText: 'Delete',
    });
    if (!yes) {
      delMsg.info('Nothing was deleted.');
      return;
    }
    await busy(delBtn, 'Deleting…', async () => {
      try {
        await api('DELETE', `/artifacts/${type}/${encodeURIComponent(id)}`, {signal});
        flash('success', `Deleted ${md.name} (${typeLabel(type).toLowerCase()} ${md.id}).`, {next: true});
        navigate('#/artifacts');
      } catch (err) {
        if (err.name === 'AbortError') return;
        delMsg.error(`${md.name} could not be deleted. ${err.message}`);
      }
    });
  });
  const delSec = section('delete', 'Delete', h('p', null, 'Deleting removes the artifact, its README and its rating from the registry.'), h('div', {class: 'row'}, delBtn), delMsg.el);

  root.append(metaSec, ratingSec, lineageSec, costSec, licenseSec, dlSec, secSec, sens ? sens.el : null, auditSec, upSec, delSec);

  async function loadRating() {
    try {
      const {data: rating} = await api('GET', `/artifact/model/${encodeURIComponent(id)}/rate`, {signal});
      ratingMsg.clear();
      renderRating(ratingBody, rating || {});
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(ratingBody);
      if (err.status === 404) ratingMsg.error('This model has no rating in the registry.');
      else if (err.status === 500) ratingMsg.error(`The rating could not be computed for every metric. ${sentence(err.detail)}`.trim());
      else ratingMsg.error(`The rating could not be loaded. ${err.message}`);
    }
  }
  async function loadLineage() {
    try {
      const {data: graph} = await api('GET', `/artifact/model/${encodeURIComponent(id)}/lineage`, {signal});
      lineageMsg.clear();
      for (const [k, n] of normalise(graph).nodes) if (n.name && n.name !== k) names.set(k, n.name);
      replace(lineageBody, lineageSvg(graph, id, md.name), lineageList(graph, id));
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(lineageBody);
      if (err.status === 400) lineageMsg.error(`The lineage cannot be computed: the metadata of this model is missing or malformed. ${sentence(err.detail)}`.trim());
      else lineageMsg.error(`The lineage could not be loaded. ${err.message}`);
    }
  }
  async function loadCost() {
    const base = `/artifact/${type}/${encodeURIComponent(id)}/cost`;
    const [alone, withDeps] = await Promise.allSettled([api('GET', base, {signal}), api('GET', `${base}?dependency=true`, {signal})]);
    if (signal.aborted) return;
    if (alone.status === 'rejected' && withDeps.status === 'rejected') {
      replace(costBody);
      costMsg.error(`The cost could not be loaded. ${alone.reason.message}`);
      return;
    }
    if (alone.status === 'rejected' || withDeps.status === 'rejected') {
      costMsg.warning(`Part of the cost could not be loaded. ${(alone.status === 'rejected' ? alone : withDeps).reason.message}`);
    } else costMsg.clear();
    renderCost(costBody, id, alone.value && alone.value.data, withDeps.value && withDeps.value.data, names);
  }

  const jobs = [];
  if (isModel) jobs.push(loadRating(), loadLineage(), sens.load());
  await Promise.all(jobs);
  await Promise.all([loadCost(), loadSecurity(), loadAudit()]);
}

