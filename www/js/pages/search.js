// Search by exact name (GET /artifact/byName/{name}) and by regular expression over names and
// READMEs (POST /artifact/byRegEx).

import {h, replace, field, notice, table, busy} from '../dom.js';
import {api, typeLabel, artifactHref, sentence} from '../api.js';

function resultsTable(items, caption) {
  return table({
    caption,
    columns: [{label: 'Name'}, {label: 'Type'}, {label: 'ID'}],
    rows: items.map((a) => [
      h('a', {href: artifactHref(a.type, a.id)}, a.name),
      h('span', {class: `badge type-${a.type}`}, typeLabel(a.type)),
      h('span', {class: 'id'}, a.id),
    ]),
  });
}

export async function searchPage({root, query, signal, setTitle}) {
  setTitle('Search');
  const results = h('div', {id: 'search-results'});
  const msg = notice();

  // -- by name ------------------------------------------------------------------------------
  const nameInput = h('input', {type: 'text', name: 'name', required: true, spellcheck: 'false', autocomplete: 'off', value: query.get('name') || ''});
  const nameBtn = h('button', {type: 'submit'}, 'Search by name');
  const byName = h('form', {class: 'card stack', role: 'search', 'aria-labelledby': 'by-name-heading'},
    h('h2', {id: 'by-name-heading'}, 'By name'),
    h('div', {class: 'row'}, field('Artifact name', nameInput, {hint: 'The exact name, case-sensitive, e.g. bert-base-uncased.'}), nameBtn));

  // -- by regular expression ---------------------------------------------------------------
  const reInput = h('input', {type: 'text', name: 'regex', required: true, spellcheck: 'false', autocomplete: 'off', class: 'mono', value: query.get('regex') || ''});
  const reBtn = h('button', {type: 'submit'}, 'Search by regular expression');
  const byRegex = h('form', {class: 'card stack', role: 'search', 'aria-labelledby': 'by-regex-heading'},
    h('h2', {id: 'by-regex-heading'}, 'By regular expression'),
    h('div', {class: 'row'}, field('Regular expression', reInput, {hint: 'Matched against every name and README (PCRE2), e.g. .*(bert|whisper).*'}), reBtn));

  async function run(kind) {
    const isName = kind === 'name';
    const input = isName ? nameInput : reInput;
    const value = input.value;
    input.removeAttribute('aria-invalid');
    if (!value.trim()) {
      input.setAttribute('aria-invalid', 'true');
      msg.error(isName ? 'Enter a name to search for.' : 'Enter a regular expression to search with.');
      input.focus();
      return;
    }
    msg.info('Searching…');
    await busy(isName ? nameBtn : reBtn, 'Searching…', async () => {
      try {
        const {data} = isName
          ? await api('GET', `/artifact/byName/${encodeURIComponent(value)}`, {signal})
          : await api('POST', '/artifact/byRegEx', {body: {regex: value}, signal});
        const items = Array.isArray(data) ? data : [];
        const what = isName ? `named “${value}”` : `matching ${value}`;
        replace(results, h('section', {class: 'card', 'aria-labelledby': 'results-heading'},
          h('h2', {id: 'results-heading'}, 'Results'),
          resultsTable(items, `${items.length} ${items.length === 1 ? 'artifact' : 'artifacts'} ${what}`)));
        msg.success(`Found ${items.length} ${items.length === 1 ? 'artifact' : 'artifacts'} ${what}.`);
      } catch (err) {
        if (err.name === 'AbortError') return;
        replace(results);
        if (err.status === 404) {
          msg.info(isName
            ? `No artifact is named “${value}”. Names are exact and case-sensitive; try a regular expression for a partial match.`
            : `No artifact name or README matches the regular expression ${value}.`);
        } else if (err.status === 400 && !isName) {
          input.setAttribute('aria-invalid', 'true');
          msg.error(`This regular expression cannot be used: ${sentence(err.detail) || 'it is not valid, or it took too long to match.'}`);
        } else {
          msg.error(`The search failed. ${err.message}`);
        }
      }
    });
  }
  byName.addEventListener('submit', (e) => { e.preventDefault(); run('name'); });
  byRegex.addEventListener('submit', (e) => { e.preventDefault(); run('regex'); });

  root.append(
    h('h1', null, 'Search'),
    h('p', {class: 'page-intro'}, 'Find artifacts by their exact name, or by a regular expression over names and README text.'),
    h('div', {class: 'grid'}, byName, byRegex),
    msg.el,
    results);
  if (query.get('regex')) run('regex');
  else if (query.get('name')) run('name');
}
