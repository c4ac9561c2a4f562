// The artifact list: POST /artifacts with [{"name":"*","types":[...]}], paged with the
// `offset` response header as the cursor of the next page.

import {h, replace, notice, table, busy} from '../dom.js';
import {api, TYPES, typeLabel, artifactHref} from '../api.js';

export async function listPage({root, query, navigate, signal, setTitle}) {
  setTitle('Artifacts');
  const type = TYPES.includes(query.get('type')) ? query.get('type') : '';
  const msg = notice();
  const select = h('select', {id: 'type-filter', name: 'type'},
    h('option', {value: ''}, 'All types'),
    TYPES.map((t) => h('option', {value: t, selected: t === type}, typeLabel(t))));
  const filter = h('form', {class: 'card', role: 'search', 'aria-label': 'Filter artifacts'},
    h('div', {class: 'row'},
      h('div', {class: 'field'}, h('label', {for: 'type-filter'}, 'Type'), select),
      h('button', {type: 'submit'}, 'Show')));
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(select.value ? `#/artifacts?type=${select.value}` : '#/artifacts');
  });

  const results = h('section', {class: 'card', 'aria-labelledby': 'results-heading'});
  const headingId = 'results-heading';
  const prev = h('button', {type: 'button', class: 'secondary', disabled: true}, 'Previous page');
  const next = h('button', {type: 'button', class: 'secondary', disabled: true}, 'Next page');
  const pageInfo = h('p', {id: 'page-info', class: 'hint', style: 'margin:0'});
  const body = h('div');
  replace(results, h('h2', {id: headingId}, type ? `${typeLabel(type)} artifacts` : 'All artifacts'), body,
    h('nav', {class: 'pager', 'aria-label': 'Pages of artifacts'}, prev, pageInfo, next));

  // cursors[i] is the offset that fetched page i (page 0: none).
  const cursors = [null];
  let page = 0;
  let nextCursor = null;

  async function load(p, button) {
    const run = async () => {
      const q = cursors[p] ? `?offset=${encodeURIComponent(cursors[p])}` : '';
      const body1 = [{name: '*', ...(type ? {types: [type]} : {})}];
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
    if (!items.length) {
      replace(body, h('p', null, page === 0
        ? (type ? `No ${typeLabel(type).toLowerCase()} artifacts are registered yet. ` : 'No artifacts are registered yet. ')
        : 'This page is empty. ',
      h('a', {href: '#/register'}, 'Register an artifact'), '.'));
    } else {
      replace(body, table({
        caption: `Artifacts ${from} to ${from + items.length - 1}${type ? ` (${typeLabel(type).toLowerCase()}s only)` : ''}, page ${page + 1}`,
        columns: [{label: 'Name'}, {label: 'Type'}, {label: 'ID'}],
        rows: items.map((a) => [
          h('a', {href: artifactHref(a.type, a.id)}, a.name),
          h('span', {class: `badge type-${a.type}`}, typeLabel(a.type)),
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
    h('p', {class: 'page-intro'}, 'Every model, dataset and code repository in the registry, in registration order, 100 to a page.'),
    filter, msg.el, results);
  replace(body, h('p', null, 'Loading the artifacts…'));
  await load(0);
}
