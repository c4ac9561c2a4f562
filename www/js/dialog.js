// A modal confirmation (the native <dialog>: focus moves into it, Escape cancels, focus returns
// to the control that opened it).

import {h} from './dom.js';

let n = 0;

/** Resolves true when the person confirms, false when they cancel or press Escape. */
export function confirmDialog({title, body, confirmText, cancelText = 'Cancel'}) {
  n += 1;
  const titleId = `dialog-title-${n}`;
  const descId = `dialog-desc-${n}`;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const cancel = h('button', {type: 'button', class: 'secondary', autofocus: true}, cancelText);
    const ok = h('button', {type: 'button', class: 'danger'}, confirmText);
    const dlg = h('dialog', {'aria-labelledby': titleId, 'aria-describedby': descId},
      h('h2', {id: titleId}, title),
      h('div', {id: descId}, (Array.isArray(body) ? body : [body]).map((p) => (typeof p === 'string' ? h('p', null, p) : p))),
      h('div', {class: 'dialog-actions'}, cancel, ok));
    let result = false;
    const close = (value) => {
      result = value;
      dlg.close();
    };
    cancel.addEventListener('click', () => close(false));
    ok.addEventListener('click', () => close(true));
    dlg.addEventListener('close', () => {
      dlg.remove();
      if (opener && typeof opener.focus === 'function' && document.contains(opener)) opener.focus();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}
