// Small DOM helpers. Every piece of data from the API is inserted as text (never as HTML).

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, child) {
  if (child === null || child === undefined || child === false || child === true) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    // Through the CSSOM: the Content-Security-Policy (conf/security_headers.conf) refuses
    // inline style attributes, which setAttribute('style', ...) would be.
    else if (key === 'style') el.style.cssText = value;
    else if (key === 'value' && 'value' in el && !(el instanceof SVGElement)) el.value = value;
    else if (key === 'checked' || key === 'selected' || key === 'disabled' || key === 'hidden' || key === 'required' || key === 'open') {
      el[key] = Boolean(value);
      if (key === 'disabled' || key === 'hidden' || key === 'required' || key === 'open') el.setAttribute(key, '');
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/* Fills a new element: attrs may be left out (the first child then comes in its place). */
function fill(el, attrs, children) {
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** h('p', {class: 'x'}, 'text', child, [more]) builds an HTML element. */
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** s('rect', {x: 1}) builds an SVG element. */
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let uid = 0;
/** A document-unique id with a readable prefix. */
export function newId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A live region for the messages of one part of a page (errors, results, progress). Its
 *  element exists (empty) before anything is written into it, so screen readers announce
 *  every message. show(kind, ...content) replaces the message; kind is error, success, info
 *  or warning. */
export function notice(extraClass) {
  const el = h('div', {class: ['notice', extraClass], role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true'});
  const api = {
    el,
    show(kind, ...content) {
      el.className = ['notice', kind, extraClass].filter(Boolean).join(' ');
      replace(el, content.map((c) => (typeof c === 'string' ? h('p', c) : c)));
    },
    error(...content) { api.show('error', ...content); },
    success(...content) { api.show('success', ...content); },
    info(...content) { api.show('info', ...content); },
    warning(...content) { api.show('warning', ...content); },
    clear() { el.className = ['notice', extraClass].filter(Boolean).join(' '); clear(el); },
  };
  return api;
}

/** A labelled form field: {label, hint, input}. Returns the wrapper; the input gets an id. */
export function field(labelText, input, {hint, grow = true} = {}) {
  const id = input.id || newId('f');
  input.id = id;
  const hintEl = hint ? h('span', {class: 'hint', id: `${id}-hint`}, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', {class: ['field', grow && 'grow']}, h('label', {for: id}, labelText), hintEl, input);
}

/** A table inside a keyboard-scrollable region: columns [{label, num}], rows of cells. */
export function table({caption, columns, rows, captionHidden = false, label}) {
  const t = h('table', null,
    caption ? h('caption', {class: captionHidden ? 'visually-hidden' : null}, caption) : null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', {scope: 'col', class: c.num ? 'num' : null}, c.label)))),
    h('tbody', null, rows.map((cells) => h('tr', null, cells.map((cell, i) => {
      const col = columns[i] || {};
      if (i === 0 && col.rowHeader) return h('th', {scope: 'row', class: col.num ? 'num' : null}, cell);
      return h('td', {class: col.num ? 'num' : col.class || null}, cell);
    })))));
  return scrollable(h('div', {class: 'table-wrap'}, t), label || caption || 'Table');
}

/** Makes a horizontally scrolling wrapper keyboard-reachable (a focusable, labelled region)
 *  only while its content overflows, so wide tables on narrow screens stay usable. */
export function scrollable(wrap, label) {
  const update = () => {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      wrap.tabIndex = 0;
      wrap.setAttribute('role', 'region');
      wrap.setAttribute('aria-label', label);
    } else {
      wrap.removeAttribute('tabindex');
      wrap.removeAttribute('role');
      wrap.removeAttribute('aria-label');
    }
  };
  if (typeof ResizeObserver === 'function') {
    const ro = new ResizeObserver(update);
    ro.observe(wrap);
    if (wrap.firstElementChild) ro.observe(wrap.firstElementChild);
  }
  return wrap;
}

/** Marks a button busy while fn runs: aria-disabled (it keeps the keyboard focus, unlike
 *  disabled), aria-busy and a label saying what happens. A second press while busy is ignored. */
export async function busy(button, busyText, fn) {
  if (button.getAttribute('aria-busy') === 'true') return undefined;
  const old = button.textContent;
  button.setAttribute('aria-disabled', 'true');
  button.setAttribute('aria-busy', 'true');
  if (busyText) button.textContent = busyText;
  try {
    return await fn();
  } finally {
    button.removeAttribute('aria-disabled');
    button.removeAttribute('aria-busy');
    button.textContent = old;
  }
}
