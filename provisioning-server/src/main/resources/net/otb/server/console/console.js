// The OverTheBox operators' console: plain JavaScript, no build step. Reads the admin API every few seconds.
'use strict';

const OTB = window.OTB = window.OTB || {};

// Every request of the page goes through api(). Once the API authenticates (OVH-signed requests, issue 13a), set
// OTB.authHeaders to a function that returns the signature headers of (method, path, body); nothing else changes.
OTB.authHeaders = OTB.authHeaders || (async () => ({}));

// What the page offers: an operator reads; an admin may also pause, resume, cancel and revert rollouts. Until the
// API tells the page the caller's role, ?role=admin shows the buttons; the server is what enforces a role.
OTB.role = new URLSearchParams(location.search).get('role') === 'admin' ? 'admin' : 'operator';

const REFRESH_MILLIS = 2000;
const BOX_STATES = ['applied', 'failed', 'pushed', 'pending', 'superseded', 'skipped', 'reverted'];
const STATE_COLOURS = {applied: 'var(--applied)', failed: 'var(--failed)', pushed: 'var(--pushed)',
  pending: 'var(--pending)', superseded: 'var(--other)', skipped: '#e3e6e9', reverted: 'var(--reverted)'};

function newKey() {
  if (window.crypto && crypto.randomUUID) {
    return crypto.randomUUID();
  }
  return 'console-' + Date.now() + '-' + Math.random().toString(16).slice(2);
}

async function api(method, path, body) {
  const headers = Object.assign({'Accept': 'application/json'}, await OTB.authHeaders(method, path, body));
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET') {
    headers['Idempotency-Key'] = newKey();
  }
  const response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!response.ok) {
    const error = new Error((json && (json.detail || json.title)) || ('HTTP ' + response.status));
    error.status = response.status;
    error.problem = json;
    throw error;
  }
  return json;
}
OTB.api = api;

function esc(value) {
  return String(value === null || value === undefined ? '' : value).replace(/[&<>"']/g,
    c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}

function when(instant) {
  return instant ? esc(instant.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) : '';
}

function byId(id) {
  return document.getElementById(id);
}

function setText(id, value) {
  byId(id).textContent = value;
}

function rows(tableId, html) {
  byId(tableId).querySelector('tbody').innerHTML = html;
}

function showFailure(message) {
  const box = byId('failure');
  box.hidden = !message;
  box.textContent = message || '';
}

async function loadFleet() {
  const [fleet, models, instances] = await Promise.all([
    api('GET', '/1.0/admin/fleet'), api('GET', '/1.0/admin/fleet/models'), api('GET', '/1.0/admin/instances')]);
  setText('devices-total', fleet.devices);
  setText('online-total', fleet.connected);
  setText('errors-total', fleet.tasksByState.error);
  let inSync = 0;
  let behind = 0;
  rows('models', models.models.map(m => {
    inSync += m.inSync;
    behind += m.behind;
    const share = m.bound ? Math.round(100 * m.inSync / m.bound) : 100;
    return `<tr data-model="${esc(m.model)}"><td>${esc(m.model)}</td><td>${m.devices}</td>`
      + `<td class="online">${m.online}</td><td>${m.bound}</td><td>${m.inSync}</td><td>${m.behind}</td>`
      + `<td><span class="bar" title="${share} % in sync"><span style="width:${share}%"></span></span> ${share} %</td></tr>`;
  }).join(''));
  setText('insync-total', inSync);
  setText('behind-total', behind);
  rows('instances', instances.map(i => `<tr><td>${esc(i.instance)}${i.self ? ' (this one)' : ''}</td>`
    + `<td>${i.sessions}</td><td>${i.rolloutsLeased}</td></tr>`).join(''));
  rows('behind', models.behind.length === 0 ? '<tr><td colspan="6" class="empty">every bound box runs its desired generation</td></tr>'
    : models.behind.map(b => `<tr><td>${esc(b.deviceId)}</td><td>${esc(b.model)}</td><td>${b.online ? 'yes' : 'no'}</td>`
      + `<td><a href="#service=${encodeURIComponent(b.serviceName)}">${esc(b.serviceName)}</a></td>`
      + `<td>${b.appliedGeneration}</td><td>${b.desiredGeneration}</td></tr>`).join(''));
}

// One horizontal stacked bar per wave, each as long as the wave is large, coloured by its boxes' states.
function waveChart(rollout) {
  const width = 520;
  const label = 70;
  const rowHeight = 20;
  const largest = Math.max(1, ...rollout.waves.map(w => w.size));
  const height = rollout.waves.length * rowHeight + 4;
  let svg = `<svg class="chart" role="img" aria-label="waves of rollout ${rollout.id}" width="${width + label + 90}" `
    + `height="${height}" viewBox="0 0 ${width + label + 90} ${height}">`;
  rollout.waves.forEach((w, i) => {
    const y = i * rowHeight + 2;
    svg += `<text x="0" y="${y + 13}" font-size="12" fill="#62707e">wave ${w.wave}</text>`;
    let x = label;
    for (const state of BOX_STATES) {
      const n = w.boxes[state] || 0;
      if (n === 0) {
        continue;
      }
      const segment = width * n / largest;
      svg += `<rect x="${x.toFixed(1)}" y="${y}" width="${segment.toFixed(1)}" height="${rowHeight - 6}" `
        + `fill="${STATE_COLOURS[state]}"><title>wave ${w.wave}: ${n} ${state}</title></rect>`;
      x += segment;
    }
    svg += `<text x="${x + 6}" y="${y + 13}" font-size="12" fill="#1b2733">${w.size} · ${esc(w.state)}</text>`;
  });
  return svg + '</svg>';
}

function legend() {
  return '<div class="legend">' + BOX_STATES.map(s => `<span><i style="background:${STATE_COLOURS[s]}"></i>${s}</span>`)
    .join('') + '</div>';
}

function rolloutActions(r) {
  if (OTB.role !== 'admin') {
    return '';
  }
  const buttons = [];
  if (r.state === 'running' || r.state === 'scheduled') {
    buttons.push('pause');
  }
  if (r.state === 'paused') {
    buttons.push('resume');
  }
  if (r.state === 'running' || r.state === 'scheduled' || r.state === 'paused') {
    buttons.push('cancel');
  }
  if ((r.state === 'aborted' || r.state === 'cancelled') && !r.revertedAt) {
    buttons.push('revert');
  }
  return '<div class="actions">' + buttons.map(b =>
    `<button type="button" data-action="${b}" data-rollout="${r.id}">${b}</button>`).join('') + '</div>';
}

async function loadRollouts() {
  const list = await api('GET', '/1.0/admin/rollouts?limit=20');
  const target = byId('rollout-list');
  if (list.length === 0) {
    target.innerHTML = '<p class="empty">no rollout yet</p>';
    return;
  }
  target.innerHTML = legend() + list.map(r => {
    const applied = r.boxesByState.applied || 0;
    const share = r.boxes ? Math.round(100 * applied / r.boxes) : 0;
    return `<div class="rollout" data-rollout-id="${r.id}" data-state="${esc(r.state)}">`
      + `<div class="title"><b>#${r.id} ${esc(r.name)}</b><span class="state ${esc(r.state)}">${esc(r.state)}</span>`
      + `<span>${r.boxes} boxes → ${esc(r.offer)}</span><span>wave ${r.currentWave} of ${r.waveCount}</span>`
      + `<span class="progress"><span class="bar"><span style="width:${share}%"></span></span> ${applied} applied, `
      + `${r.boxesByState.failed || 0} failed</span></div>`
      + (r.detail ? `<div class="detail">${esc(r.detail)}</div>` : '')
      + `<div class="detail">max ${r.maxPerMinute}/min, abort above ${r.abortFailurePercent} % failed or after `
      + `${r.waveTimeoutSeconds} s per wave; by ${esc(r.actor)}${r.leaseOwner ? ', driven by ' + esc(r.leaseOwner) : ''}`
      + `${r.revertedAt ? ', reverted ' + when(r.revertedAt) : ''}</div>`
      + waveChart(r) + rolloutActions(r) + '</div>';
  }).join('');
}

async function loadErrors() {
  const tasks = await api('GET', '/1.0/admin/tasks?state=error&limit=50');
  rows('error-tasks', tasks.length === 0 ? '<tr><td colspan="7" class="empty">no push task in error</td></tr>'
    : tasks.map(t => `<tr><td>${t.id}</td><td>${esc(t.deviceId)}</td>`
      + `<td><a href="#service=${encodeURIComponent(t.serviceName)}">${esc(t.serviceName)}</a></td>`
      + `<td>${t.generation}</td><td>${esc(t.outcome)}</td><td>${esc(t.detail)}</td><td>${when(t.doneAt)}</td></tr>`).join(''));
}

async function loadService(name) {
  const view = byId('service-view');
  if (!name) {
    view.innerHTML = '<p class="empty">name a service to see its offer, box, migration and audit trail</p>';
    return;
  }
  const path = '/1.0/overTheBox/' + encodeURIComponent(name);
  let service;
  try {
    service = await api('GET', path);
  } catch (e) {
    view.innerHTML = `<p class="empty">${esc(e.message)}</p>`;
    return;
  }
  const [migration, audit] = await Promise.all([
    api('GET', path + '/migration').catch(e => (e.status === 404 ? null : Promise.reject(e))),
    api('GET', path + '/audit?limit=1000')]);
  const d = service.device;
  let html = '<dl class="facts">'
    + `<dt>service</dt><dd id="service-shown">${esc(service.serviceName)} (${esc(service.status)}, account ${esc(service.account)})</dd>`
    + `<dt>offer</dt><dd>${esc(service.offerDisplayName)} (${esc(service.offer)}), ${service.downKbps / 1000} / ${service.upKbps / 1000} Mbps</dd>`
    + `<dt>service IP</dt><dd>${esc(service.serviceIp)}</dd>`
    + `<dt>bound box</dt><dd>${d ? esc(d.deviceId) + ' (' + esc(d.model) + ', ' + (d.connected ? 'online' : 'offline') + ')' : 'none'}</dd>`
    + `<dt>generation</dt><dd>applied ${service.appliedGeneration} / desired ${service.desiredGeneration}${service.inSync ? ' — in sync' : ' — behind'}</dd>`;
  if (migration) {
    html += `<dt>migration</dt><dd>#${migration.migrationId}: ${esc(migration.fromOffer)} → ${esc(migration.toOffer)}, `
      + `${esc(migration.state)} (order ${migration.orderId}, ${esc(migration.orderStatus)})</dd>`;
    html += `<dt>refund</dt><dd>${migration.refund ? esc(migration.refund.amount.text) + ' — ' + esc(migration.refund.formula) : 'none yet'}</dd>`;
  } else {
    html += '<dt>migration</dt><dd>none</dd><dt>refund</dt><dd>none</dd>';
  }
  html += '</dl><h3>Audit trail</h3><ol class="timeline">' + audit.map(e => {
    const bad = /rejected|rolledBack|revoked|aborted/.test(e.action);
    return `<li class="${bad ? 'bad' : ''}"><time>${when(e.occurredAt)}</time><b>${esc(e.action)}</b> `
      + `by ${esc(e.actor)}${e.generation ? ' · generation ' + e.generation : ''}${e.deviceId ? ' · ' + esc(e.deviceId) : ''}`
      + `${e.details ? '<div class="detail">' + esc(e.details) + '</div>' : ''}</li>`;
  }).join('') + '</ol>';
  view.innerHTML = html;
}

function serviceFromHash() {
  const match = /service=([^&]+)/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

async function refresh() {
  try {
    await Promise.all([loadFleet(), loadRollouts(), loadErrors()]);
    showFailure(null);
    setText('updated', 'updated ' + new Date().toISOString().slice(11, 19) + ' UTC');
    document.body.dataset.loaded = 'true';
  } catch (e) {
    showFailure('cannot read the API: ' + e.message);
  }
}

document.addEventListener('click', async event => {
  const button = event.target.closest('button[data-action]');
  if (!button) {
    return;
  }
  button.disabled = true;
  try {
    await api('POST', `/1.0/admin/rollouts/${button.dataset.rollout}/${button.dataset.action}`);
    await refresh();
  } catch (e) {
    showFailure(`${button.dataset.action} refused: ${e.message}`);
  } finally {
    button.disabled = false;
  }
});

byId('service-form').addEventListener('submit', event => {
  event.preventDefault();
  location.hash = 'service=' + encodeURIComponent(byId('service-name').value.trim());
});

window.addEventListener('hashchange', () => loadService(serviceFromHash()));

setText('role', OTB.role);
byId('service-name').value = serviceFromHash() || '';
loadService(serviceFromHash());
refresh();
setInterval(refresh, REFRESH_MILLIS);
