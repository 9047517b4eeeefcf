// A round table (#/roundtable/{id}): the question, who has the floor with the server's
// countdown, the queue with each request's capacity, 'request the floor' / 'withdraw', the
// interventions with their summaries, and the chair's console (give the floor, reorder,
// skip, end the turn, close). Every event of `roundtable:{id}` carries the whole state.

import { h, mount, announce, field } from '../dom.js';
import { t, tn, formatDuration, formatNumber } from '../i18n.js';
import { get, post, put, clockOffset } from '../api.js';
import { session, canModerate, userId, noteModerator } from '../session.js';
import { live } from '../live.js';
import { nameOf, remember } from '../people.js';
import { slugOf } from './space.js';

/** The capacities a person may speak in, from their role (the server checks again). */
function capacitiesFor(user) {
  if (!user) return [];
  switch (user.role) {
    case 'focal_point': return user.party ? ['party'] : [];
    case 'lcipp': return ['lcipp', 'fwg'];
    case 'observer': return user.organisation ? ['observer'] : [];
    case 'admin': case 'moderator': return ['secretariat'];
    default: return [];
  }
}

function capacityText(capacity) {
  if (!capacity) return t('rt_capacity_hidden');
  return capacity.kind === 'party' || capacity.kind === 'observer' ? capacity.label : t(`rt_capacity_${capacity.kind}`);
}

export async function render(main, [idText], ctx) {
  const rtId = Number(idText);
  let rt = null;
  let space = null;
  let timer = null;
  let lastQueue = '';
  const topic = `roundtable:${rtId}`;
  const unsub = live.subscribe(topic, onEvent);
  const cleanup = () => { unsub(); clearInterval(timer); };

  try {
    rt = await get(`/api/roundtables/${rtId}`);
    space = await get(`/api/spaces/${encodeURIComponent(slugOf(rt.space))}`).catch(() => null);
  } catch (err) { cleanup(); throw err; }
  noteModerator(canModerate(space || {}));
  lastQueue = rt.queue.map((r) => r.id).join(',');
  let offset = Date.parse(rt.server_time) - Date.now();

  const status = h('p', { class: 'row' });
  const floorBox = h('section', { class: 'card', 'aria-labelledby': 'rt-floor-h' });
  const queueBox = h('section', { class: 'card', 'aria-labelledby': 'rt-queue-h' });
  const mineBox = h('section', { class: 'card', 'aria-labelledby': 'rt-mine-h' });
  const consoleBox = h('div');
  const historyBox = h('section', { class: 'card', 'aria-labelledby': 'rt-history-h' });
  const error = h('p', { class: 'error', role: 'alert' });
  const countdown = h('span', { class: 'countdown', role: 'timer', id: 'rt-countdown', 'aria-label': t('rt_time_left') });

  mount(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: t('nav_spaces') }), ' › ',
      h('a', { href: `#/space/${encodeURIComponent(slugOf(rt.space))}`, text: (space && space.title) || slugOf(rt.space) })),
    h('p', { class: 'muted small', text: t('rt_title') }),
    h('h1', { tabindex: '-1', dir: 'auto', id: 'rt-question', text: rt.question }),
    status,
    error,
    h('div', { class: 'cafe-grid' },
      h('div', {}, floorBox, historyBox),
      h('div', {}, mineBox, queueBox, consoleBox)));

  const isChair = () => canModerate(space || {});
  const act = async (fn) => {
    error.textContent = '';
    try { await fn(); } catch (err) {
      if (err.status === 401) ctx.requireSignIn();
      else error.textContent = err.isNetwork ? t('error_network') : (err.detail || t('error_generic'));
    }
  };
  const apply = (view) => { if (view && view.id === rtId) { rt = view; offset = Date.parse(rt.server_time) - Date.now(); renderAll(); } };

  function tick() {
    if (!rt.floor) { countdown.textContent = ''; return; }
    const left = Date.parse(rt.floor.ends_at) - (Date.now() + (Number.isFinite(offset) ? offset : clockOffset));
    countdown.textContent = formatDuration(left);
  }
  timer = setInterval(tick, 1000);

  function renderStatus() {
    mount(status,
      h('span', { class: 'badge', text: t(`rt_state_${rt.state}`) }),
      h('span', { class: 'muted small', text: t('rt_turn_seconds', { time: formatDuration(rt.turn_seconds * 1000) }) }),
      rt.policy === 'parties_first' ? h('span', { class: 'muted small', text: t('rt_parties_first') }) : null,
      rt.state === 'closed' && rt.thread_id ? h('a', { href: `#/thread/${rt.thread_id}`, text: t('rt_report_thread') }) : null);
  }

  function renderFloor() {
    const f = rt.floor;
    mount(floorBox, h('h2', { id: 'rt-floor-h', text: t('rt_floor') }),
      f ? h('div', { class: 'stack', id: 'rt-speaker' },
        h('p', { class: 'speaker' }, h('strong', { dir: 'auto', text: nameOf(f.speaker) }), ' — ', h('span', { dir: 'auto', text: capacityText(f.capacity) })),
        h('p', {}, h('span', { text: t('rt_time_left') }), ' ', countdown),
        rt.turn_reminded ? h('p', { class: 'notice', id: 'rt-time-up', text: t('rt_time_up') }) : null)
        : h('p', { class: 'muted', id: 'rt-nobody', text: rt.state === 'closed' ? t('rt_closed') : t('rt_nobody_speaks') }));
    tick();
  }

  function renderQueue() {
    const chair = isChair() && rt.state === 'open';
    const items = rt.queue.map((r, i) => h('li', { dataset: { requestId: String(r.id) } },
      h('span', { dir: 'auto', text: nameOf(r.user) }), ' — ', h('span', { class: 'muted small', dir: 'auto', text: capacityText(r.capacity) }),
      chair ? h('span', { class: 'row small' },
        h('button', { type: 'button', class: 'small', text: t('rt_give'), 'aria-label': t('rt_give_to', { name: nameOf(r.user) }), disabled: Boolean(rt.floor),
          onclick: () => act(async () => apply(await post(`/api/roundtables/${rtId}/floor`, { request_id: r.id }))) }),
        i > 0 ? h('button', { type: 'button', class: 'secondary small', text: t('rt_move_up'), 'aria-label': t('rt_move_up_name', { name: nameOf(r.user) }),
          onclick: () => act(async () => apply(await post(`/api/roundtables/${rtId}/move`, { request_id: r.id, position: i }))) }) : null,
        i < rt.queue.length - 1 ? h('button', { type: 'button', class: 'secondary small', text: t('rt_move_down'), 'aria-label': t('rt_move_down_name', { name: nameOf(r.user) }),
          onclick: () => act(async () => apply(await post(`/api/roundtables/${rtId}/move`, { request_id: r.id, position: i + 2 }))) }) : null,
        h('button', { type: 'button', class: 'secondary small', text: t('rt_skip'), 'aria-label': t('rt_skip_name', { name: nameOf(r.user) }),
          onclick: () => act(async () => apply(await post(`/api/roundtables/${rtId}/skip`, { request_id: r.id }))) })) : null));
    mount(queueBox, h('h2', { id: 'rt-queue-h', text: t('rt_queue') }),
      items.length ? h('ol', { class: 'plain-list queue', id: 'rt-queue' }, items) : h('p', { class: 'muted', id: 'rt-queue-empty', text: t('rt_queue_empty') }));
  }

  function renderMine() {
    const me = userId();
    const heading = h('h2', { id: 'rt-mine-h', text: t('rt_your_turn') });
    if (rt.state !== 'open') { mount(mineBox, heading, h('p', { class: 'muted', text: t('rt_closed') })); return; }
    if (!session.user) {
      mount(mineBox, heading, h('p', {}, t('rt_sign_in'), ' ', h('button', { type: 'button', class: 'link-button', text: t('sign_in'), onclick: ctx.requireSignIn })));
      return;
    }
    const waiting = rt.queue.find((r) => Number(r.user.id) === Number(me));
    if (rt.floor && rt.floor.speaker && Number(rt.floor.speaker.id) === Number(me)) {
      mount(mineBox, heading, h('p', { class: 'notice', text: t('rt_you_have_floor') }));
      return;
    }
    if (waiting) {
      mount(mineBox, heading, h('p', { text: t('rt_you_wait', { n: formatNumber(waiting.position) }) }),
        h('button', { type: 'button', id: 'rt-withdraw', class: 'secondary', text: t('rt_withdraw'),
          onclick: () => act(async () => { apply(await post(`/api/roundtables/${rtId}/withdraw`)); announce(t('rt_withdrawn')); }) }));
      return;
    }
    const kinds = capacitiesFor(session.user);
    if (!kinds.length) { mount(mineBox, heading, h('p', { class: 'muted', text: t('rt_no_capacity') })); return; }
    const capacity = h('select', { name: 'capacity' }, kinds.map((k) => h('option', { value: k,
      text: k === 'party' ? session.user.party : k === 'observer' ? session.user.organisation : t(`rt_capacity_${k}`) })));
    const attribution = h('select', { name: 'attribution' },
      h('option', { value: 'capacity', text: t('rt_attribution_capacity') }),
      h('option', { value: 'anonymous', text: t('rt_attribution_anonymous') }));
    mount(mineBox, heading, h('form', { class: 'stack', onsubmit: (e) => { e.preventDefault(); act(async () => {
      apply(await post(`/api/roundtables/${rtId}/requests`, { capacity: capacity.value, attribution: attribution.value }));
      announce(t('rt_requested'));
      mineBox.querySelector('#rt-withdraw')?.focus();
    }); } },
    field(t('rt_capacity'), capacity),
    field(t('rt_attribution'), attribution, t('rt_attribution_hint')),
    h('div', {}, h('button', { type: 'submit', id: 'rt-request', text: t('rt_request') }))));
  }

  function renderConsole() {
    if (!isChair() || rt.state !== 'open') { consoleBox.replaceChildren(); return; }
    mount(consoleBox, h('section', { class: 'card', 'aria-labelledby': 'rt-console-h' },
      h('h2', { id: 'rt-console-h', text: t('rt_console') }),
      h('div', { class: 'row' },
        h('button', { type: 'button', id: 'rt-give-next', text: t('rt_give_next'), disabled: Boolean(rt.floor) || !rt.queue.length,
          onclick: () => act(async () => apply(await post(`/api/roundtables/${rtId}/floor`, {}))) }),
        h('button', { type: 'button', id: 'rt-end-turn', class: 'secondary', text: t('rt_end_turn'), disabled: !rt.floor,
          onclick: () => act(async () => apply(await post(`/api/roundtables/${rtId}/end-turn`))) }),
        h('button', { type: 'button', id: 'rt-close', class: 'danger', text: t('rt_close'),
          onclick: () => act(async () => {
            if (!window.confirm(t('rt_confirm_close'))) return;
            await post(`/api/roundtables/${rtId}/close`);
            apply(await get(`/api/roundtables/${rtId}`));
          }) }))));
  }

  function mayWriteSummary(item) {
    const me = userId();
    if (me === null || rt.state !== 'open') return false;
    return isChair() || rt.rapporteur_ids.map(Number).includes(Number(me)) || (item.speaker && Number(item.speaker.id) === Number(me));
  }

  function interventionItem(item) {
    const mine = item.speaker && Number(item.speaker.id) === Number(userId()) && rt.state === 'open';
    const summary = h('textarea', { rows: 3, dir: 'auto', name: `summary-${item.id}`, value: item.summary || '' });
    const attribution = h('select', { name: `attribution-${item.id}` },
      h('option', { value: 'capacity', text: t('rt_attribution_capacity'), selected: item.attribution === 'capacity' }),
      h('option', { value: 'anonymous', text: t('rt_attribution_anonymous'), selected: item.attribution === 'anonymous' }));
    return h('li', { dataset: { number: String(item.number) } },
      h('p', {}, h('strong', { text: `${formatNumber(item.number)}. ` }), h('span', { dir: 'auto', text: item.speaker ? `${nameOf(item.speaker)} — ${capacityText(item.capacity)}` : t('rt_capacity_hidden') }),
        item.duration_seconds !== null ? h('span', { class: 'muted small', text: ` (${formatDuration(item.duration_seconds * 1000)})` }) : null),
      h('p', { class: 'muted small', dir: 'auto', text: t('rt_report_names', { name: item.attributed_as }) }),
      mayWriteSummary(item)
        ? h('form', { class: 'stack', onsubmit: (e) => { e.preventDefault(); act(async () => {
          if (!summary.value.trim()) return;
          apply(await put(`/api/interventions/${item.id}/summary`, { summary: summary.value.trim() }));
          announce(t('rt_summary_saved'));
        }); } }, field(t('rt_summary'), summary), h('div', {}, h('button', { type: 'submit', class: 'secondary small', text: t('rt_save_summary') })))
        : h('p', { class: 'summary', dir: 'auto', text: item.summary || t('rt_no_summary') }),
      mine ? h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); act(async () => {
        apply(await put(`/api/interventions/${item.id}/attribution`, { attribution: attribution.value }));
        announce(t('rt_attribution_saved'));
      }); } }, field(t('rt_attribution'), attribution), h('button', { type: 'submit', class: 'secondary small', text: t('rt_save_attribution') })) : null);
  }

  function renderHistory() {
    // Re-rendering must not take away a summary being typed.
    const typing = historyBox.contains(document.activeElement) ? document.activeElement : null;
    const typingName = typing && typing.name;
    const typed = typing && typing.value;
    mount(historyBox, h('h2', { id: 'rt-history-h', text: t('rt_interventions') }),
      rt.interventions.length ? h('ol', { class: 'plain-list', id: 'rt-interventions' }, rt.interventions.map(interventionItem))
        : h('p', { class: 'muted', text: t('rt_no_interventions') }));
    if (typingName) {
      const again = historyBox.querySelector(`[name="${typingName}"]`);
      if (again) { if (typeof typed === 'string' && again.tagName === 'TEXTAREA') again.value = typed; again.focus(); }
    }
  }

  function renderAll() {
    for (const r of rt.queue) remember(r.user);
    for (const i of rt.interventions) if (i.speaker) remember(i.speaker);
    renderStatus();
    renderFloor();
    renderQueue();
    renderMine();
    renderConsole();
    renderHistory();
  }

  /** What changed, said politely: the speaker, the queue, the time, the end. */
  function speak(ev, before) {
    const data = ev.data || {};
    const now = data.roundtable;
    if (ev.type === 'roundtable.floor_given' && now.floor) {
      announce(t('rt_now_speaking', { name: nameOf(now.floor.speaker), capacity: capacityText(now.floor.capacity) }));
    } else if (ev.type === 'roundtable.time_up') {
      announce(t('rt_time_up'));
    } else if (ev.type === 'roundtable.turn_ended') {
      announce(t('rt_turn_ended'));
    } else if (ev.type === 'roundtable.closed') {
      announce(t('rt_closed'));
    } else if (ev.type === 'roundtable.floor_requested') {
      const r = now.queue.find((x) => x.id === data.request_id);
      if (r) announce(t('rt_announce_requested', { name: nameOf(r.user), capacity: capacityText(r.capacity), n: formatNumber(r.position) }));
    } else if (['roundtable.floor_withdrawn', 'roundtable.request_moved', 'roundtable.request_skipped'].includes(ev.type)
      && before !== now.queue.map((r) => r.id).join(',')) {
      announce(tn('p_queue_waiting', now.queue.length));
    }
  }

  async function onEvent(ev) {
    if (ev.type === 'subscribed' || ev.type === 'resync') {
      try { apply(await get(`/api/roundtables/${rtId}`)); } catch { /* keep what we have */ }
      return;
    }
    const view = ev.data && ev.data.roundtable;
    if (!view) return;
    const before = lastQueue;
    // The event's view is what everyone may see; a chair or a speaker may see more over HTTP.
    const keepOwn = isChair() || view.interventions.some((i) => i.speaker === null);
    rt = view;
    offset = Date.parse(rt.server_time) - Date.now();
    lastQueue = rt.queue.map((r) => r.id).join(',');
    renderAll();
    speak(ev, before);
    if (keepOwn && session.user) { try { apply(await get(`/api/roundtables/${rtId}`)); } catch { /* the event's view stays */ } }
  }

  renderAll();
  return cleanup;
}
