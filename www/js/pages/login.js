// Sign in (PUT /authenticate) and sign out. The token lives in sessionStorage only.

import {h, field, notice, busy} from '../dom.js';
import {api, session, ApiError, sentence} from '../api.js';

/** Reads the signed-in user's own record (admin flag and permissions) for the header. */
async function loadUser(name) {
  try {
    const {data} = await api('GET', `/users/${encodeURIComponent(name)}`);
    return {isAdmin: Boolean(data && data.is_admin), permissions: data && Array.isArray(data.permissions) ? data.permissions : []};
  } catch {
    return {isAdmin: null, permissions: null};
  }
}

function safeNext(raw) {
  // Only a route of this page (no other origin, no script URL).
  return raw && /^#\/[A-Za-z0-9/_\-?=&%.*]*$/.test(raw) && !raw.startsWith('#/login') ? raw : '#/artifacts';
}

export async function loginPage({root, query, navigate, setTitle}) {
  setTitle('Sign in');
  const next = safeNext(query.get('next'));
  const sess = session.get();
  const msg = notice();
  const name = h('input', {type: 'text', name: 'username', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'none'});
  const password = h('input', {type: 'password', name: 'password', autocomplete: 'current-password', required: true});
  const submit = h('button', {type: 'submit'}, 'Sign in');
  const form = h('form', {class: 'card stack', novalidate: true, 'aria-labelledby': 'login-heading'},
    h('h2', {id: 'login-heading'}, 'Your account'),
    field('User name', name),
    field('Password', password),
    h('div', {class: 'row'}, submit),
    msg.el);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const problems = [];
    name.removeAttribute('aria-invalid');
    password.removeAttribute('aria-invalid');
    if (!name.value.trim()) {
      problems.push('Enter your user name.');
      name.setAttribute('aria-invalid', 'true');
    }
    if (!password.value) {
      problems.push('Enter your password.');
      password.setAttribute('aria-invalid', 'true');
    }
    if (problems.length) {
      msg.error(...problems);
      (name.value.trim() ? password : name).focus();
      return;
    }
    msg.info('Signing in…');
    await busy(submit, 'Signing in…', async () => {
      try {
        const user = name.value.trim();
        const {data} = await api('PUT', '/authenticate', {
          auth: false,
          body: {user: {name: user, is_admin: false}, secret: {password: password.value}},
        });
        if (typeof data !== 'string' || !data) throw new ApiError(500, 'bad_token', '', 'The registry answered without a token. Please try again.');
        session.set({token: data, name: user, isAdmin: null, permissions: null});
        const info = await loadUser(user);
        session.set({token: data, name: user, ...info});
        password.value = '';
        navigate(next);
      } catch (err) {
        if (err.status === 401) msg.error('The user name or password is not correct. Check them and try again.');
        else if (err.status === 400) msg.error(`The sign-in request was not accepted. ${sentence(err.detail)}`.trim());
        else if (err.status === 501) msg.error('This registry does not support signing in.');
        else if (err.status === 429) {
          // The registry backs off after repeated failures; its detail names the seconds left.
          const wait = /(\d+) s\b/.exec(err.detail || '');
          msg.error(`Too many failed sign-ins with this user name. Try again in ${wait ? `${wait[1]} seconds` : 'a little while'}.`);
        } else msg.error(err.message || 'Signing in failed.');
        password.focus();
      }
    });
  });

  root.append(
    h('h1', null, 'Sign in'),
    h('p', {class: 'page-intro'}, 'Sign in with your registry account to browse, register and rate artifacts. The health dashboard is open to everyone.'),
    sess ? h('div', {class: 'notice info'}, h('p', null, `You are signed in as ${sess.name}. Signing in again replaces that session.`)) : null,
    form);
}
