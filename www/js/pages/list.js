// The artifact list: POST /artifacts with [{"name":"*","types":[...],"version":"^1.2.0"}],
// paged with the `offset` response header as the cursor of the next page. With a version range,
// only artifacts with a version in it are listed, each with its highest matching version.

import {h, replace, notice, table, busy, field} from '../dom.js';
import {api, TYPES, typeLabel, artifactHref} from '../api.js';

export async function listPage({root, query, navigate, signal, setTitle}) {
  setTitle('Artifacts');
  const type = TYPES.includes(query.get('type')) ? query.get('type') : '';
  const version = (query.get('version') || '').trim();
  const msg = notice();
  const versionInput = h('input', {type: 'text', name: 'version', value: version, autocomplete: 'off',
    spellcheck: 'false', maxlength: '256', id: 'version-filter'});
  const select = h('select', {id: 'type-filter', name: 'type'},
    h('option', {value: ''}, 'All types'),
    TYPES.map((t) => h('option', {value: t, selected: t === type}, typeLabel(t))));
  const filter = h('form', {class: 'card', role: 'search', 'aria-label': 'Filter artifacts'},
    h('div', {class: 'row'},
      h('div', {class: 'field'}, h('label', {for: 'type-filter'}, 'Type'), select),
      field('Version (optional)', versionInput,
        {hint: 'A version or range: 1.2.3, 1.2.3-2.1.0, ~1.2.0 or ^1.2.0.'}),
      h('button', {type: 'submit'}, 'Show')));
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    if (select.value) params.set('type', select.value);
    if (versionInput.value.trim()) params.set('version', versionInput.value.trim());
    const qs = params.toString();
    navigate(qs ? `#/artifacts?${qs}` : '#/artifacts');
  });

  const results = h('section', {class: 'card', 'aria-labelledby': 'results-heading'});
  const headingId = 'results-heading';
  const prev = h('button', {type: 'button', class: 'secondary', disabled: true}, 'Previous page');
  const next = h('button', {type: 'button', class: 'secondary', disabled: true}, 'Next page');
  const pageInfo = h('p', {id: 'page-info', class: 'hint', style: 'margin:0'});
  const body = h('div');
  const heading = `${type ? `${typeLabel(type)} artifacts` : 'All artifacts'}${version ? ` with a version in ${version}` : ''}`;
  replace(results, h('h2', {id: headingId}, heading), body,
    h('nav', {class: 'pager', 'aria-label': 'Pages of artifacts'}, prev, pageInfo, next));

  // cursors[i] is the offset that fetched page i (page 0: none).
  const cursors = [null];
  let page = 0;
  let nextCursor = null;

  async function load(p, button) {
    const run = async () => {
      const q = cursors[p] ? `?offset=${encodeURIComponent(cursors[p])}` : '';
      const body1 = [{name: '*', ...(type ? {types: [type]} : {}), ...(version ? {version} : {})}];
      try {
        const {data, headers} = await api('POST', `/artifacts${q}`, {body: body1, signal});
        const items = Array.isArray(data) ? data : [];
        page = p;
        nextCursor = headers.get('offset');
        if (nextCursor) cursors[p + 1] = nextCursor;
        render(items);
        msg.clear();
        return items;
      } catch (err) {
        if (err.name === 'AbortError') return null;
        msg.error(`The artifact list could not be loaded. ${err.message}`);
        return null;
      }
    };
    return button ? busy(button, 'Loading…', run) : run();
  }

  function render(items) {
    const from = page * 100 + 1;
    if (!items.length && version) {
      replace(body, h('p', null, page === 0 && !nextCursor
        ? `No ${type ? `${typeLabel(type).toLowerCase()} ` : ''}artifact has a version in ${version}.`
        : 'No artifact on this page has a version in the range; the next page goes on.'));
    } else if (!items.length) {
      replace(body, h('p', null, page === 0
        ? (type ? `No ${typeLabel(type).toLowerCase()} artifacts are registered yet. ` : 'No artifacts are registered yet. ')
        : 'This page is empty. ',
      h('a', {href: '#/register'}, 'Register an artifact'), '.'));
    } else {
      replace(body, table({
        caption: `Artifacts ${from} to ${from + items.length - 1}${type ? ` (${typeLabel(type).toLowerCase()}s only)` : ''}${version ? ` with a version in ${version}` : ''}, page ${page + 1}`,
        columns: [{label: 'Name'}, {label: 'Type'}, ...(version ? [{label: 'Version'}] : []), {label: 'ID'}],
        rows: items.map((a) => [
          h('a', {href: artifactHref(a.type, a.id)}, a.name),
          h('span', {class: `badge type-${a.type}`}, typeLabel(a.type)),
          ...(version ? [h('span', {class: 'version'}, a.version || '')] : []),
          h('span', {class: 'id'}, a.id),
        ]),
      }));
    }
    updatePager();
  }

  function updatePager() {
    pageInfo.textContent = `Page ${page + 1}${nextCursor ? '' : page > 0 ? ' (last page)' : ''}`;
    prev.disabled = page === 0;
    next.disabled = !nextCursor;
  }

  prev.addEventListener('click', async () => {
    if (page > 0) {
      const items = await load(page - 1, prev);
      updatePager();
      if (items) msg.info(`Showing page ${page + 1}.`);
      (prev.disabled ? next : prev).focus();
    }
  });
  next.addEventListener('click', async () => {
    if (nextCursor) {
      const items = await load(page + 1, next);
      updatePager();
      if (items) msg.info(`Showing page ${page + 1}.`);
      (next.disabled ? prev : next).focus();
    }
  });

  root.append(
    h('h1', null, 'Artifacts'),
    h('p', {class: 'page-intro'}, 'Every model, dataset and code repository in the registry, in registration order, 100 to a page. Versions are the upstream git tags (Hugging Face refs, GitHub tags).'),
    filter, msg.el, results);
  replace(body, h('p', null, 'Loading the artifacts…'));
  await load(0);
}
