// The lineage graph (nodes + edges parent -> child) drawn as a layered SVG, parents above
// children, plus its text alternative (a list of relationships with links).

import {h, s, newId} from './dom.js';
import {artifactHref} from './api.js';

const NODE_W = 200;
const NODE_H = 52;
const GAP_X = 28;
const GAP_Y = 70;
const PAD = 16;

function truncate(text, n) {
  const t = String(text || '');
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

const SOURCE_WORDS = {
  registry: 'registered artifact',
  model_card: 'from the model card',
  config_json: 'from config.json',
};

export function sourceWords(source) {
  return SOURCE_WORDS[source] || (source ? String(source).replace(/_/g, ' ') : 'registered artifact');
}

/** Normalises the API's graph: string ids, nodes for every edge end, no duplicate edges. */
export function normalise(graph) {
  const nodes = new Map();
  for (const n of (graph && Array.isArray(graph.nodes) ? graph.nodes : [])) {
    const id = String(n.artifact_id ?? '');
    if (!id || nodes.has(id)) continue;
    nodes.set(id, {id, name: n.name || id, source: n.source || '', metadata: n.metadata || null});
  }
  const edges = [];
  const seen = new Set();
  for (const e of (graph && Array.isArray(graph.edges) ? graph.edges : [])) {
    const from = String(e.from_node_artifact_id ?? '');
    const to = String(e.to_node_artifact_id ?? '');
    if (!from || !to) continue;
    const key = `${from}>${to}>${e.relationship || ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const id of [from, to]) if (!nodes.has(id)) nodes.set(id, {id, name: id, source: ''});
    edges.push({from, to, relationship: e.relationship || 'derived from'});
  }
  return {nodes, edges};
}

function layout(nodes, edges) {
  const depth = new Map([...nodes.keys()].map((id) => [id, 0]));
  // Longest path from the roots; bounded so a cycle cannot loop forever.
  for (let pass = 0; pass < nodes.size; pass += 1) {
    let changed = false;
    for (const e of edges) {
      if (e.from === e.to) continue;
      const d = depth.get(e.from) + 1;
      if (d > depth.get(e.to) && d < nodes.size) {
        depth.set(e.to, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers = [];
  for (const [id, d] of depth) (layers[d] ||= []).push(id);
  const pos = new Map();
  layers.forEach((layer, d) => {
    if (!layer) return;
    // Order by the mean position of the parents (already placed), then by name.
    layer.sort((a, b) => {
      const pa = parentMean(a);
      const pb = parentMean(b);
      if (pa !== pb) return pa - pb;
      return nodes.get(a).name.localeCompare(nodes.get(b).name);
    });
    layer.forEach((id, i) => pos.set(id, {layer: d, index: i}));
  });
  function parentMean(id) {
    const ps = edges.filter((e) => e.to === id && pos.has(e.from)).map((e) => pos.get(e.from).index);
    return ps.length ? ps.reduce((x, y) => x + y, 0) / ps.length : 0;
  }
  const widest = Math.max(1, ...layers.filter(Boolean).map((l) => l.length));
  const width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const height = PAD * 2 + layers.length * NODE_H + (layers.length - 1) * GAP_Y;
  for (const [id, p] of pos) {
    const count = layers[p.layer].length;
    const rowW = count * NODE_W + (count - 1) * GAP_X;
    p.x = (width - rowW) / 2 + p.index * (NODE_W + GAP_X);
    p.y = PAD + p.layer * (NODE_H + GAP_Y);
  }
  return {pos, width, height};
}

/** The graph as an SVG image (its name summarises it; the list is the full text). */
export function lineageSvg(graph, currentId, currentName) {
  const {nodes, edges} = normalise(graph);
  const {pos, width, height} = layout(nodes, edges);
  const markerId = newId('arrow');
  const summary = `Lineage graph of ${currentName}: ${nodes.size} ${nodes.size === 1 ? 'artifact' : 'artifacts'} and ${edges.length} ${edges.length === 1 ? 'relationship' : 'relationships'}, parents above children. The list below gives the same information as text.`;
  const svg = s('svg', {viewBox: `0 0 ${width} ${height}`, width, role: 'img', 'aria-label': summary, focusable: 'false'},
    s('defs', null, s('marker', {id: markerId, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse'},
      s('path', {class: 'arrow', d: 'M0 0 L10 5 L0 10 z'}))));
  for (const e of edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + NODE_W / 2;
    const y1 = a.y + NODE_H;
    const x2 = b.x + NODE_W / 2;
    const y2 = b.y;
    let d;
    if (y2 > y1) {
      const my = (y1 + y2) / 2;
      d = `M${x1} ${y1} C${x1} ${my} ${x2} ${my} ${x2} ${y2 - 1}`;
    } else {
      // Same layer or upwards (a cycle): loop around the side.
      const side = Math.max(a.x, b.x) + NODE_W + 14;
      d = `M${a.x + NODE_W} ${a.y + NODE_H / 2} C${side} ${a.y + NODE_H / 2} ${side} ${b.y + NODE_H / 2} ${b.x + NODE_W} ${b.y + NODE_H / 2}`;
    }
    svg.append(s('path', {class: 'edge', d, 'marker-end': `url(#${markerId})`}));
    svg.append(s('text', {class: 'edge-label', x: (x1 + x2) / 2 + 6, y: (y1 + y2) / 2 + 4}, truncate(e.relationship.replace(/_/g, ' '), 28)));
  }
  for (const [id, node] of nodes) {
    const p = pos.get(id);
    const current = id === String(currentId);
    svg.append(s('g', {class: current ? 'node current' : 'node', transform: `translate(${p.x} ${p.y})`},
      s('rect', {width: NODE_W, height: NODE_H, rx: 6}),
      s('text', {x: 10, y: 21, 'font-weight': current ? '700' : '600'}, truncate(node.name, 25)),
      s('text', {class: 'sub', x: 10, y: 39}, current ? 'this artifact' : truncate(sourceWords(node.source), 30))));
  }
  return h('div', {class: 'lineage-graph'}, svg);
}

/** The text alternative: every node (linked) with its parents and children in words. */
export function lineageList(graph, currentId) {
  const {nodes, edges} = normalise(graph);
  const link = (id) => {
    const n = nodes.get(id);
    if (id === String(currentId)) return h('strong', null, `${n.name} (this artifact)`);
    return h('a', {href: artifactHref('model', id)}, n.name);
  };
  const relItems = edges.map((e) => h('li', null, link(e.from), ` is the parent of `, link(e.to), ` (${e.relationship.replace(/_/g, ' ')})`));
  return h('div', null,
    h('h3', null, 'Relationships'),
    relItems.length
      ? h('ul', {class: 'lineage-list'}, relItems)
      : h('p', null, 'No registered parent or child: this artifact stands alone in the registry.'),
    h('h3', null, 'Artifacts in the graph'),
    h('ul', null, [...nodes.values()].map((n) => h('li', null, link(n.id), ` — ${sourceWords(n.source)}, id `, h('span', {class: 'id'}, n.id)))));
}
