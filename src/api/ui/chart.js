// The throughput chart: jobs per second over the last minutes, as inline SVG (no canvas,
// no library). Two lines: succeeded and failed attempts.

const NS = 'http://www.w3.org/2000/svg';
const H = 170;
const PAD = { l: 44, r: 12, t: 12, b: 22 };

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A round number at or above v, for the top of the axis. */
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function label(v) {
  if (v >= 100) return String(Math.round(v));
  if (v >= 10) return v.toFixed(0);
  if (v >= 1) return v.toFixed(1).replace(/\.0$/, '');
  return v.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

function span(seconds) {
  return seconds < 60 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/**
 * intervals: [{at, seconds, succeeded, failed}] oldest first; nowIso: the right edge;
 * width: pixels to draw in (text keeps its size). The span shown grows with the history,
 * by whole minutes, up to `maxSeconds`.
 */
export function throughputChart(intervals, nowIso, width, maxSeconds = 600) {
  const W = Math.max(280, Math.round(width) || 640);
  const end = Date.parse(nowIso) || Date.now();
  const oldest = intervals.length ? Date.parse(intervals[0].at) - intervals[0].seconds * 1000 : end;
  const windowSeconds = Math.min(maxSeconds, Math.max(60, Math.ceil((end - oldest) / 60000) * 60));
  const start = end - windowSeconds * 1000;
  const pts = intervals
    .map((i) => ({
      t: Date.parse(i.at),
      ok: i.seconds > 0 ? i.succeeded / i.seconds : 0,
      bad: i.seconds > 0 ? i.failed / i.seconds : 0,
    }))
    .filter((p) => p.t >= start);
  const top = niceMax(Math.max(0, ...pts.map((p) => Math.max(p.ok, p.bad))));
  const x = (t) => PAD.l + ((t - start) / (end - start)) * (W - PAD.l - PAD.r);
  const y = (v) => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);

  const svg = el('svg', {
    viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart', role: 'img',
    'aria-label': `Jobs per second over the last ${span(windowSeconds)}`,
  });
  svg.append(el('title', {}, `Jobs per second over the last ${span(windowSeconds)}`));
  for (const f of [0, 0.5, 1]) {
    const yy = y(top * f);
    svg.append(el('line', { x1: PAD.l, x2: W - PAD.r, y1: yy, y2: yy, class: 'grid' }));
    svg.append(el('text', { x: PAD.l - 6, y: yy + 4, 'text-anchor': 'end', class: 'axis' }, `${label(top * f)}/s`));
  }
  svg.append(el('text', { x: PAD.l, y: H - 6, class: 'axis' }, `${span(windowSeconds)} ago`));
  svg.append(el('text', { x: W - PAD.r, y: H - 6, 'text-anchor': 'end', class: 'axis' }, 'now'));
  if (pts.length) {
    const line = (key) => pts.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
    const first = x(pts[0].t).toFixed(1);
    const last = x(pts[pts.length - 1].t).toFixed(1);
    const base = y(0).toFixed(1);
    svg.append(el('polygon', { points: `${first},${base} ${line('ok')} ${last},${base}`, class: 'area ok' }));
    svg.append(el('polyline', { points: line('ok'), class: 'line ok' }));
    if (pts.some((p) => p.bad > 0)) svg.append(el('polyline', { points: line('bad'), class: 'line bad' }));
  }
  return svg;
}
