/**
 * The dashboard's two pages. Each is a shell whose script reads the JSON the server answers
 * (`/api/breaches`, `/api/breaches/<id>`) every two seconds and draws it: a countdown to the
 * deadline, holds as they are placed and released, the notification progress and the
 * obligations. Everything is written as text nodes, never as HTML, so nothing a person typed
 * into a breach can run in the page; the pages have links and nothing else to click.
 */

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2433; }
h1 { font-size: 1.4rem; } table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #dde; vertical-align: top; }
.late { color: #b00020; font-weight: 600; } .held { background: #fff3cd; padding: .5rem; border-left: 4px solid #e0a800; }
.bar { background: #eef; height: 1rem; width: 100%; position: relative; } .bar > div { background: #4a6cf7; height: 100%; }
.bar.deadline > div { background: #e07b00; } small { color: #667; }`;

function shell(title: string, script: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>${STYLE}</style></head>
<body><div id="app">Loading…</div><script>
const el = (tag, attrs, ...children) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v); for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c))); return e; };
const left = (iso) => { const ms = Date.parse(iso) - Date.now(); const m = Math.floor(Math.abs(ms) / 60000); const t = Math.floor(m / 60) + 'h ' + (m % 60) + 'm'; return ms >= 0 ? t + ' left' : 'LATE by ' + t; };
const coverage = (i) => { const final = i.notifiedByEmail + i.notifiedByFax + i.notifiedByPostal + i.unreachable; const all = final + i.pending + i.inProgress; return { final, all, pct: all ? Math.round(100 * final / all) : 0 }; };
async function poll(draw, url) { try { const r = await fetch(url); const data = await r.json(); const app = document.getElementById('app'); app.replaceChildren(draw(data)); } catch (e) { document.getElementById('app').replaceChildren(el('p', { class: 'late' }, 'Cannot read the breach: ' + e.message)); } }
${script}
</script></body></html>`;
}

export function listPage(): string {
  return shell(
    'Breaches',
    `
function draw(breaches) {
  const rows = breaches.map((b) => {
    const c = coverage(b.individuals);
    const due = b.authorityNotice ? 'authority notified' : left(b.deadline);
    return el('tr', { 'data-breach': b.breachId },
      el('td', {}, el('a', { href: '/breaches/' + encodeURIComponent(b.breachId) }, b.breachId)),
      el('td', {}, b.title), el('td', { class: due.startsWith('LATE') ? 'late countdown' : 'countdown' }, due),
      el('td', {}, b.phase), el('td', {}, b.holds.active.length ? 'HOLD ACTIVE (' + b.holds.active.length + ')' : 'none'),
      el('td', {}, c.all ? c.final + ' of ' + c.all + ' (' + c.pct + '%)' : '—'));
  });
  return el('div', {}, el('h1', {}, 'Breaches'),
    el('table', {}, el('thead', {}, el('tr', {}, ...['Breach', 'Title', 'Authority deadline', 'Phase', 'Holds', 'Individuals final'].map((h) => el('th', {}, h)))), el('tbody', {}, ...rows)),
    el('p', {}, el('small', {}, 'Read-only: the list refreshes every two seconds. Changes are made with the breach CLI.')));
}
poll(draw, '/api/breaches'); setInterval(() => poll(draw, '/api/breaches'), 2000);`,
  );
}

export function breachPage(breachId: string, webUi: string): string {
  return shell(
    `Breach ${breachId.replace(/[^A-Za-z0-9._-]/g, '')}`,
    `
const webUi = ${JSON.stringify(webUi)};
function draw(s) {
  const aware = Date.parse(s.awareAt), deadline = Date.parse(s.deadline);
  const elapsed = Math.min(100, Math.max(0, Math.round(100 * (Date.now() - aware) / (deadline - aware))));
  const c = coverage(s.individuals);
  const holds = [...s.holds.active, ...s.holds.released].map((h) => el('li', { 'data-hold': h.holdId },
    h.holdId + ' ' + h.agency + ' (case ' + h.caseRef + '): placed ' + h.placedAt + (h.release ? ', released ' + h.release.at : ', ACTIVE') + (h.reviewAt ? '; review ' + h.reviewAt : '') + ' — ' + h.reason));
  const obligations = (s.obligations || []).map((o) => el('tr', {}, el('td', {}, o.id), el('td', {}, o.deadline || 'no fixed date'), el('td', { class: o.status === 'late' ? 'late' : '' }, o.status), el('td', {}, o.reason || o.recipient)));
  return el('div', {},
    el('p', {}, el('a', { href: '/' }, '← all breaches'), ' · ', el('a', { href: webUi }, 'Temporal Web UI')),
    el('h1', {}, s.breachId + ': ' + s.title),
    s.holds.active.length ? el('p', { class: 'held', id: 'hold-banner' }, 'HOLD ACTIVE: no individual is contacted while ' + s.holds.active.map((h) => h.holdId + ' (' + h.agency + ')').join(', ') + ' is in force') : '',
    el('p', {}, 'Phase: ', el('strong', { id: 'phase' }, s.phase)),
    el('p', {}, 'Authority deadline ' + s.deadline + ': ', el('strong', { id: 'countdown', class: s.pastDeadline && !s.authorityNotice ? 'late' : '' }, s.authorityNotice ? 'notified ' + s.authorityNotice.sentAt + (s.authorityNotice.onTime ? ', on time' : ', LATE') : left(s.deadline))),
    el('div', { class: 'bar deadline', title: 'time from awareness to the deadline' }, el('div', { style: 'width:' + elapsed + '%' })),
    el('h2', {}, 'Individuals'),
    el('p', { id: 'individuals' }, s.individuals.pending + ' not contacted yet, ' + s.individuals.inProgress + ' in progress, ' + s.individuals.notifiedByEmail + ' by email, ' + s.individuals.notifiedByFax + ' by fax, ' + s.individuals.notifiedByPostal + ' by post, ' + s.individuals.unreachable + ' unreachable'),
    el('div', { class: 'bar', title: c.pct + '% final' }, el('div', { style: 'width:' + c.pct + '%' })),
    progressChart(s, c),
    el('h2', {}, 'Holds'), holds.length ? el('ul', { id: 'holds' }, ...holds) : el('p', { id: 'holds' }, 'none'),
    obligations.length ? el('div', {}, el('h2', {}, 'Obligations'), el('table', {}, el('tbody', {}, ...obligations))) : '',
    el('p', {}, el('small', {}, 'Read-only, as of ' + s.asOf + '; refreshes every two seconds.')));
}
// The fan-out curve: people in a final state from the fan-out's start until now, out of everyone.
function progressChart(s, c) {
  if (!s.fanOutStartedAt || !c.all) return '';
  const start = Date.parse(s.fanOutStartedAt), end = Math.max(Date.parse(s.asOf), start + 1), W = 600, H = 160;
  const points = [[s.fanOutStartedAt, 0], ...(s.progress || []).map((p) => [p.at, p.notified + p.unreachable]), [s.asOf, c.final]];
  const xy = ([at, final]) => (W * (Date.parse(at) - start) / (end - start)).toFixed(1) + ',' + (H - H * final / c.all).toFixed(1);
  const svg = (tag, attrs) => { const e = document.createElementNS('http://www.w3.org/2000/svg', tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
  const chart = svg('svg', { id: 'progress-chart', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': 'people final over time' });
  chart.append(svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#f4f5fb' }), svg('polyline', { points: points.map(xy).join(' '), fill: 'none', stroke: '#4a6cf7', 'stroke-width': 2 }));
  return el('figure', {}, chart, el('figcaption', { id: 'progress-caption' }, c.final + ' of ' + c.all + ' final (' + c.pct + '%) between the start of notifying ' + s.fanOutStartedAt + ' and ' + s.asOf));
}
const url = '/api/breaches/' + ${JSON.stringify(encodeURIComponent(breachId))};
poll(draw, url); setInterval(() => poll(draw, url), 2000);`,
  );
}
