// The single-page shell: hash routes, the header's session box, page titles, focus and the
// flash message that survives one navigation.

import {h, replace, clear} from './dom.js';
import {session} from './api.js';
import {loginPage} from './pages/login.js';
import {listPage} from './pages/list.js';
import {searchPage} from './pages/search.js';
import {registerPage} from './pages/register.js';
import {artifactPage} from './pages/artifact.js';
import {dashboardPage} from './pages/dashboard.js';
import {adminPage} from './pages/admin.js';

const ROUTES = [
  {re: /^\/login$/, page: loginPage, key: 'login', public: true},
  {re: /^\/artifacts$/, page: listPage, key: 'artifacts'},
  {re: /^\/search$/, page: searchPage, key: 'search'},
  {re: /^\/register$/, page: registerPage, key: 'register'},
  {re: /^\/artifact\/(model|dataset|code)\/([A-Za-z0-9-]+)$/, page: artifactPage, key: 'artifacts'},
  {re: /^\/dashboard$/, page: dashboardPage, key: 'dashboard', public: true},
  {re: /^\/admin$/, page: adminPage, key: 'admin'},
];

const pageEl = document.getElementById('page');
const flashEl = document.getElementById('flash');
let current = null; // {cleanup, controller}
let pendingFlash = null;

/** Shows a message in the page-level live region; with {next: true} it is shown after the
 *  next navigation instead (e.g. "Artifact deleted" on the page it leads to). */
export function flash(kind, text, {next = false} = {}) {
  if (next) {
    pendingFlash = {kind, text};
    return;
  }
  replace(flashEl, h('div', {class: kind}, h('p', null, text)));
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [path, qs] = raw.split('?');
  return {path: path || '/artifacts', query: new URLSearchParams(qs || '')};
}

function renderSessionBox() {
  const box = document.getElementById('session-box');
  const sess = session.get();
  document.getElementById('nav-admin').hidden = !(sess && sess.isAdmin !== false);
  if (!sess) {
    replace(box, h('a', {href: '#/login', class: 'button secondary'}, 'Sign in'));
    return;
  }
  replace(box,
    h('span', {class: 'who'}, 'Signed in as ', h('strong', null, sess.name), sess.isAdmin ? ' (administrator)' : ''),
    h('button', {type: 'button', class: 'secondary', id: 'sign-out', on: {click: signOut}}, 'Sign out'));
}

function signOut() {
  session.clear();
  flash('success', 'You are signed out.', {next: true});
  navigate('#/login');
}

function markNav(key) {
  for (const a of document.querySelectorAll('#nav-links a')) {
    if (a.dataset.route === key) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

export function setTitle(text) {
  document.title = `${text} · Trustworthy Model Registry`;
}

async function route() {
  const {path, query} = parseHash();
  if (!path.startsWith('/')) return; // an in-page anchor such as the skip link's target
  if (current) {
    current.controller.abort();
    if (typeof current.cleanup === 'function') current.cleanup();
    current = null;
  }
  let match = null;
  let params = [];
  for (const r of ROUTES) {
    const m = r.re.exec(path);
    if (m) {
      match = r;
      params = m.slice(1).map(decodeURIComponent);
      break;
    }
  }
  clear(flashEl);
  if (pendingFlash) {
    flash(pendingFlash.kind, pendingFlash.text);
    pendingFlash = null;
  }
  if (!match) {
    markNav('');
    setTitle('Page not found');
    replace(pageEl, h('h1', {tabindex: '-1'}, 'Page not found'),
      h('p', null, 'There is no page at this address. ', h('a', {href: '#/artifacts'}, 'Go to the artifact list'), '.'));
    focusHeading();
    return;
  }
  if (!match.public && !session.get()) {
    const next = encodeURIComponent(`#${path}${query.toString() ? `?${query}` : ''}`);
    if (!pendingFlash) flash('info', 'Please sign in to continue.', {next: true});
    location.replace(`#/login?next=${next}`);
    return;
  }
  markNav(match.key);
  const controller = new AbortController();
  current = {controller, cleanup: null};
  clear(pageEl);
  const ctx = {root: pageEl, params, query, signal: controller.signal, navigate, flash, setTitle};
  try {
    const cleanup = await match.page(ctx);
    if (current && current.controller === controller) current.cleanup = cleanup;
    else if (typeof cleanup === 'function') cleanup();
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    console.error(e);
    flash('error', `This page could not be shown: ${e && e.message ? e.message : 'an unexpected error occurred'}.`);
  }
}

export function focusHeading() {
  const h1 = pageEl.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({preventScroll: false});
  }
}

// Focus the page heading after a navigation (not on the first load, so the skip link and the
// browser's own focus order stay as they are).
window.addEventListener('hashchange', async () => {
  await route();
  focusHeading();
});
window.addEventListener('session-change', renderSessionBox);
window.addEventListener('session-expired', () => {
  const text = 'Your session has ended (the registry no longer accepts its token). Please sign in again.';
  const {path, query} = parseHash();
  const r = ROUTES.find((x) => x.re.test(path));
  if (r && r.public) {
    flash('warning', text);
    return;
  }
  flash('warning', text, {next: true});
  const next = encodeURIComponent(`#${path}${query.toString() ? `?${query}` : ''}`);
  location.replace(`#/login?next=${next}`);
});

document.querySelector('.skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  const main = document.getElementById('main');
  main.focus();
  main.scrollIntoView();
});

renderSessionBox();
route();
