// Administration: users and their permissions (GET/POST /users, PUT /users/{name}/permissions,
// DELETE /users/{name}) and the registry reset (DELETE /reset).

import {h, replace, field, notice, busy, newId} from '../dom.js';
import {api, session, sentence} from '../api.js';
import {confirmDialog} from '../dialog.js';

const PERMS = [
  ['upload', 'Upload', 'register, update and delete artifacts'],
  ['search', 'Search', 'list, search, read, rate and audit'],
  ['download', 'Download', 'download stored bundles'],
  ['admin', 'Administer', 'manage users and reset the registry (implies every other permission)'],
];

function permChecks(legend, selected, {describe = true} = {}) {
  const boxes = PERMS.map(([key, label, desc]) => {
    const id = newId(`perm-${key}`);
    const box = h('input', {type: 'checkbox', id, name: 'permissions', value: key, checked: selected.includes(key)});
    return {key, box, el: h('label', {class: 'check', for: id}, box, describe ? `${label} (${desc})` : label)};
  });
  const fs = h('fieldset', null, h('legend', null, legend), h('div', {class: 'checks'}, boxes.map((b) => b.el)));
  return {el: fs, values: () => boxes.filter((b) => b.box.checked).map((b) => b.key)};
}

function userError(err, action) {
  switch (err.status) {
    case 400: return `The user could not be ${action}: ${sentence(err.detail) || 'the request was not accepted.'}`;
    case 401: return `Only an administrator can do this. ${sentence(err.detail)}`.trim();
    case 404: return `There is no such user any more. ${sentence(err.detail)}`.trim();
    case 409: return `The user could not be ${action}: ${sentence(err.detail) || 'this conflicts with an existing user or would leave no administrator.'}`;
    default: return `The user could not be ${action}. ${err.message}`;
  }
}

export async function adminPage({root, signal, navigate, flash, setTitle}) {
  setTitle('Administration');
  root.append(h('h1', null, 'Administration'));
  const sess = session.get();
  if (sess && sess.isAdmin === false) {
    root.append(h('div', {class: 'notice info'}, h('p', null, 'Administration needs an administrator account. You are signed in as ', h('strong', null, sess.name), ', who is not an administrator.')));
    return undefined;
  }

  // -- users --
  const usersMsg = notice();
  const usersBody = h('div', null, h('p', null, 'Loading the users…'));

  async function loadUsers() {
    try {
      const {data} = await api('GET', '/users', {signal});
      const users = Array.isArray(data) ? data : [];
      replace(usersBody, h('ul', {class: 'users', 'aria-label': 'Users'}, users.map(userCard)));
      return users;
    } catch (err) {
      if (err.name === 'AbortError') return null;
      replace(usersBody);
      usersMsg.error(err.status === 401 ? 'Only an administrator can see the users.' : `The users could not be loaded. ${err.message}`);
      return null;
    }
  }

  function userCard(u) {
    const perms = permChecks(`Permissions of ${u.name}`, u.permissions || [], {describe: false});
    const save = h('button', {type: 'submit'}, `Save permissions of ${u.name}`);
    const del = h('button', {type: 'button', class: 'danger secondary'}, `Delete ${u.name}`);
    const form = h('form', {class: 'stack', 'aria-label': `User ${u.name}`}, perms.el, h('div', {class: 'row'}, save, del));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(save, 'Saving…', async () => {
        const values = perms.values();
        try {
          await api('PUT', `/users/${encodeURIComponent(u.name)}/permissions`, {body: {permissions: values, is_admin: values.includes('admin')}, signal});
          usersMsg.success(`Saved: ${u.name} now has ${values.length ? values.join(', ') : 'no'} permissions.`);
          await loadUsers();
        } catch (err) {
          if (err.name !== 'AbortError') usersMsg.error(userError(err, 'changed'));
        }
      });
    });
    del.addEventListener('click', async () => {
      const yes = await confirmDialog({
        title: `Delete the user ${u.name}?`,
        body: [`${u.name} will no longer be able to sign in, and every token of theirs stops working.`],
        confirmText: `Delete ${u.name}`,
      });
      if (!yes) {
        usersMsg.info(`${u.name} was not deleted.`);
        return;
      }
      try {
        await api('DELETE', `/users/${encodeURIComponent(u.name)}`, {signal});
        usersMsg.success(`Deleted the user ${u.name}.`);
        await loadUsers();
        document.getElementById('users-heading').focus();
      } catch (err) {
        if (err.name !== 'AbortError') usersMsg.error(userError(err, 'deleted'));
      }
    });
    return h('li', {class: 'user-card', dataset: {user: u.name}},
      h('h3', null, u.name, u.is_admin ? ' (administrator)' : ''),
      form);
  }

  // -- new user --
  const newName = h('input', {type: 'text', name: 'new-user', autocomplete: 'off', spellcheck: 'false', required: true});
  const newPass = h('input', {type: 'password', name: 'new-password', autocomplete: 'new-password', required: true});
  const newPerms = permChecks('Permissions', ['search']);
  const createBtn = h('button', {type: 'submit'}, 'Create user');
  const createMsg = notice();
  const createForm = h('form', {class: 'stack', novalidate: true, 'aria-labelledby': 'new-user-heading'},
    h('h3', {id: 'new-user-heading'}, 'New user'),
    h('div', {class: 'row'}, field('User name', newName), field('Password', newPass, {hint: 'At least 8 characters.'})),
    newPerms.el,
    h('div', {class: 'row'}, createBtn),
    createMsg.el);
  createForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = newName.value.trim();
    newName.removeAttribute('aria-invalid');
    newPass.removeAttribute('aria-invalid');
    if (!name || !newPass.value) {
      if (!name) newName.setAttribute('aria-invalid', 'true');
      if (!newPass.value) newPass.setAttribute('aria-invalid', 'true');
      createMsg.error(!name ? 'Enter a user name.' : 'Enter a password for the new user.');
      (!name ? newName : newPass).focus();
      return;
    }
    busy(createBtn, 'Creating…', async () => {
      const perms = newPerms.values();
      try {
        await api('POST', '/users', {body: {user: {name, is_admin: perms.includes('admin')}, secret: {password: newPass.value}, permissions: perms}, signal});
        createMsg.success(`Created the user ${name} with ${perms.length ? perms.join(', ') : 'no'} permissions.`);
        newName.value = '';
        newPass.value = '';
        await loadUsers();
      } catch (err) {
        if (err.name !== 'AbortError') createMsg.error(userError(err, 'created'));
      }
    });
  });

  // -- reset --
  const resetBtn = h('button', {type: 'button', class: 'danger', id: 'reset-button'}, 'Reset the registry');
  const resetMsg = notice();
  resetBtn.addEventListener('click', async () => {
    const yes = await confirmDialog({
      title: 'Reset the registry?',
      body: ['This deletes every artifact, every user other than the default administrator, every token and the audit trail. It cannot be undone.',
        'You will be signed out and need to sign in again as the default administrator.'],
      confirmText: 'Reset everything',
    });
    if (!yes) {
      resetMsg.info('The registry was not reset.');
      return;
    }
    await busy(resetBtn, 'Resetting…', async () => {
      try {
        await api('DELETE', '/reset', {signal});
        session.clear();
        flash('success', 'The registry was reset to its initial state. Sign in again as the default administrator.', {next: true});
        navigate('#/login');
      } catch (err) {
        if (err.name === 'AbortError') return;
        resetMsg.error(err.status === 401 ? 'Only an administrator can reset the registry.' : `The registry could not be reset. ${err.message}`);
      }
    });
  });

  root.append(
    h('p', {class: 'page-intro'}, 'Manage who may use the registry, and reset it.'),
    h('section', {class: 'card', 'aria-labelledby': 'users-heading'},
      h('h2', {id: 'users-heading', tabindex: '-1'}, 'Users and permissions'),
      usersMsg.el, usersBody, h('hr', {style: 'border:none;border-top:1px solid var(--border);margin:1rem 0'}), createForm),
    h('section', {class: 'card', 'aria-labelledby': 'reset-heading'},
      h('h2', {id: 'reset-heading'}, 'Reset the registry'),
      h('p', null, 'Empties the registry: every artifact, user, token and audit entry is removed, and the default administrator is created again.'),
      h('div', {class: 'row'}, resetBtn), resetMsg.el));
  await loadUsers();
  return undefined;
}
