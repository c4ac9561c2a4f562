// The package-confusion panel of the health dashboard (administrators): the artifacts suspected
// of imitating a more popular one (GET /PackageConfusionAudit), highest score first, each with
// the artifact it imitates, the technique, the score and the signals behind it. A minimum
// score and a type narrow the list; the audit runs when the panel opens and on demand (it
// reads download trails, so it is not refreshed with the dashboard's figures).

import {h, replace, notice, field, table, busy} from './dom.js';
import {api, TYPES, typeLabel, artifactHref} from './api.js';
import {count, fixed, isNum} from './format.js';

const TECHNIQUES = {
  case: 'Letter case',
  delimiter: 'Separators',
  homoglyph: 'Look-alike characters',
  typo: 'Typo',
  combo: 'Added word or suffix',
  simplify: 'Dropped word',
  reorder: 'Reordered words',
  scope: 'Look-alike owner',
  namesake: 'Same name, other owner',
};

function link(meta) {
  return h('a', {href: artifactHref(meta.type, meta.id)}, meta.name);
}

function pair(s, t) {
  return `${count(s)} vs ${count(t)}`;
}

/** The signals of a finding as a short description list. */
function signalList(sig) {
  const rows = [
    ['Search hits', pair(sig.search_hits, sig.target_search_hits)],
    ['Downloads', pair(sig.downloads, sig.target_downloads)],
    ['Upstream popularity', pair(sig.upstream_popularity, sig.target_upstream_popularity)],
    ['Popularity gap', fixed(sig.popularity_gap, 2)],
    ['Download accounts', count(sig.download_accounts)],
    ['Top two accounts\' share', isNum(sig.top_accounts_share) ? `${fixed(sig.top_accounts_share * 100, 0)} %` : 'not measured'],
    ['Traffic anomaly', fixed(sig.traffic_anomaly, 2)],
  ];
  return h('dl', {class: 'meta compact'}, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

function findingsTable(findings) {
  return table({
    caption: `${count(findings.length)} suspected ${findings.length === 1 ? 'upload' : 'uploads'}, highest score first`,
    columns: [{label: 'Suspect', rowHeader: true}, {label: 'Imitates'}, {label: 'Technique'},
      {label: 'Score', num: true}, {label: 'Signals (suspect vs imitated)'}],
    rows: findings.map((f) => [
      h('span', null, link(f.suspect), ` (${typeLabel(f.suspect.type).toLowerCase()})`),
      link(f.target),
      TECHNIQUES[f.technique] || f.technique,
      fixed(f.score, 2),
      signalList(f.signals || {}),
    ]),
    label: 'Suspected package-confusion uploads',
  });
}

/** The panel: {el}. signal: the page's (aborts an audit under way when the page goes). */
export function confusionPanel({signal} = {}) {
  const msg = notice();
  const minScore = h('input', {type: 'number', id: 'confusion-min-score', min: 0, max: 1, step: 0.05, value: 0.5, required: true});
  const type = h('select', {id: 'confusion-type'},
    h('option', {value: ''}, 'Every type'),
    TYPES.map((t) => h('option', {value: t}, typeLabel(t))));
  const runBtn = h('button', {type: 'submit', id: 'run-confusion'}, 'Run the audit');
  const result = h('div', {id: 'confusion-result'});
  const form = h('form', {class: 'row', novalidate: true},
    field('Minimum score', minScore, {hint: '0 to 1; 0.5 by default', grow: false}),
    field('Type', type, {grow: false}),
    h('div', {class: 'row'}, runBtn));
  const el = h('section', {class: 'card', id: 'confusion', 'aria-labelledby': 'confusion-heading'},
    h('h2', {id: 'confusion-heading'}, 'Package-confusion audit'),
    h('p', {class: 'hint'}, 'Artifacts whose name imitates a more popular artifact\'s (typos, separators, look-alike characters, added words, look-alike owners), ',
      'far less searched and downloaded, or downloaded by a few accounts in bursts or at regular intervals (bot farms).'),
    form, msg.el, result);

  function readScore() {
    const v = Number(minScore.value);
    const ok = minScore.value.trim() !== '' && Number.isFinite(v) && v >= 0 && v <= 1;
    minScore.setAttribute('aria-invalid', ok ? 'false' : 'true');
    return ok ? v : null;
  }

  async function run() {
    const v = readScore();
    if (v === null) {
      msg.error('The minimum score must be a number from 0 to 1.');
      minScore.focus();
      return;
    }
    const query = new URLSearchParams({min_score: String(v)});
    if (type.value) query.set('type', type.value);
    try {
      const {data} = await api('GET', `/PackageConfusionAudit?${query}`, {signal});
      const findings = Array.isArray(data) ? data : [];
      replace(result, findings.length ? findingsTable(findings) : h('p', null, 'No artifact scores that high: nothing looks like a confusion upload.'));
      msg.success(findings.length
        ? `${count(findings.length)} suspected ${findings.length === 1 ? 'upload' : 'uploads'} found.`
        : 'The audit found no suspected upload.');
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      msg.error(`The audit could not run. ${err.message}`);
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(runBtn, 'Auditing…', run);
  });
  run();
  return {el};
}
