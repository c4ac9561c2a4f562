// Charts drawn as inline SVG. Each chart is an image with a short text summary as its name, and
// comes with its data as a table (the text alternative).

import {h, s, table, newId} from './dom.js';

/** A horizontal bar for a score in [0, max]; decorative (the value is written next to it). */
export function scoreBar(value, {max = 1} = {}) {
  const v = Math.max(0, Math.min(1, (Number(value) || 0) / max));
  const level = v < 0.5 ? 'low' : v < 0.75 ? 'mid' : 'high';
  return s('svg', {class: 'bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false'},
    s('rect', {class: 'track', x: 0, y: 0, width: 100, height: 10, rx: 2}),
    s('rect', {class: `fill ${level}`, x: 0, y: 0, width: (v * 100).toFixed(2), height: 10, rx: 2}));
}

/** A volume bar (requests) scaled to max; decorative. */
export function volumeBar(value, max) {
  const v = max > 0 ? Math.max(0, Math.min(1, value / max)) : 0;
  return s('svg', {class: 'bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false'},
    s('rect', {class: 'track', x: 0, y: 0, width: 100, height: 10, rx: 2}),
    s('rect', {class: 'fill', x: 0, y: 0, width: (v * 100).toFixed(2), height: 10, rx: 2}));
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A column chart of a time series.
 *  points: [{label, value}] (label: the x text, e.g. "07:50"); title: what it shows; name:
 *  a summary in words shown under it; yFormat: value -> text for the axis and table; kind: "series" or "errors";
 *  columns: the data table's headings [x, y]; every: label every Nth x tick. */
export function columnChart({points, title, name, yFormat = String, kind = 'series', columns = ['Time', 'Value'], every = 10, fixedMax}) {
  const W = 560;
  const H = 200;
  const m = {l: 44, r: 8, t: 10, b: 26};
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const maxV = fixedMax || niceMax(Math.max(0, ...points.map((p) => p.value || 0)));
  const n = Math.max(points.length, 1);
  const step = pw / n;
  const bw = Math.max(1, step * 0.75);
  const svg = s('svg', {class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, focusable: 'false'});
  for (let i = 0; i <= 4; i += 1) {
    const v = (maxV * i) / 4;
    const y = m.t + ph - (ph * i) / 4;
    svg.append(s('line', {class: i === 0 ? 'axis' : 'grid-line', x1: m.l, x2: W - m.r, y1: y, y2: y}));
    svg.append(s('text', {x: m.l - 6, y: y + 4, 'text-anchor': 'end'}, yFormat(v)));
  }
  points.forEach((p, i) => {
    const v = Math.max(0, p.value || 0);
    const bh = (ph * Math.min(v, maxV)) / maxV;
    const x = m.l + i * step + (step - bw) / 2;
    if (bh > 0) svg.append(s('rect', {class: `series ${kind}`, x: x.toFixed(2), y: (m.t + ph - bh).toFixed(2), width: bw.toFixed(2), height: Math.max(bh, 1).toFixed(2)}));
    if (i % every === 0 || i === points.length - 1) {
      svg.append(s('text', {x: (m.l + i * step + step / 2).toFixed(2), y: H - 8, 'text-anchor': i === points.length - 1 ? 'end' : 'middle'}, p.label));
    }
  });
  svg.append(s('line', {class: 'axis', x1: m.l, x2: m.l, y1: m.t, y2: m.t + ph}));
  const tableId = newId('chart-table');
  const data = h('details', {class: 'data-table'},
    h('summary', null, `Show the data as a table`),
    h('div', {id: tableId}, table({
      caption: title,
      captionHidden: true,
      columns: [{label: columns[0]}, {label: columns[1], num: true}],
      rows: points.map((p) => [p.label, yFormat(p.value)]),
      label: `${columns[1]} per ${columns[0].toLowerCase()}`,
    })));
  return h('div', {class: 'chart-figure'}, svg, h('p', {class: 'chart-summary'}, name), data);
}

/** Horizontal bars with labels, for a handful of categories: items [{label, value}]. */
export function barChart({items, name, format = String}) {
  const W = 480;
  const rowH = 30;
  const labelW = 120;
  const valueW = 70;
  const H = Math.max(1, items.length) * rowH + 8;
  const maxV = Math.max(1, ...items.map((i) => i.value || 0));
  const svg = s('svg', {class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': name, focusable: 'false', style: `max-width:${W}px`});
  items.forEach((it, i) => {
    const y = 4 + i * rowH;
    const bw = ((W - labelW - valueW) * Math.max(0, it.value || 0)) / maxV;
    svg.append(s('text', {x: labelW - 8, y: y + 18, 'text-anchor': 'end', style: 'font-size:13px'}, it.label));
    svg.append(s('rect', {class: 'series', x: labelW, y: y + 5, width: Math.max(bw, it.value > 0 ? 2 : 0).toFixed(2), height: rowH - 12, rx: 2}));
    svg.append(s('text', {x: labelW + bw + 6, y: y + 18, style: 'font-size:13px'}, format(it.value)));
  });
  return svg;
}
