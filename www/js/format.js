// Number and date formatting for people.

const nf = (digits) => new Intl.NumberFormat('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits});
const n0 = new Intl.NumberFormat('en-US', {maximumFractionDigits: 0});
const n1 = nf(1);
const n2 = nf(2);

export function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

export function score(v) {
  return isNum(v) ? n2.format(v) : 'not available';
}

export function count(v) {
  return isNum(v) ? n0.format(v) : 'not available';
}

/** v with exactly `digits` decimals ("2,334.6"). */
export function fixed(v, digits) {
  return isNum(v) ? nf(digits).format(v) : 'not available';
}

export function mb(v) {
  return isNum(v) ? `${n1.format(v)} MB` : 'not available';
}

export function percent(v) {
  if (!isNum(v)) return 'not available';
  const p = v * 100;
  return `${p > 0 && p < 0.1 ? '<0.1' : n1.format(p)} %`;
}

export function ms(v) {
  if (!isNum(v)) return 'not available';
  return v >= 100 ? `${n0.format(v)} ms` : `${n1.format(v)} ms`;
}

/** A latency in seconds, as the rating gives it. */
export function seconds(v) {
  if (!isNum(v)) return 'not available';
  if (v < 1) return `${n0.format(v * 1000)} ms`;
  return `${n2.format(v)} s`;
}

export function dateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || 'unknown time');
  return d.toLocaleString('en-GB', {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
    timeZone: 'UTC', timeZoneName: 'short',
  });
}

export function clock(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  return d.toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit', timeZone: 'UTC'});
}

export function clockSeconds(d) {
  return d.toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit', second: '2-digit'});
}
