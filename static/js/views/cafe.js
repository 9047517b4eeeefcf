// A world café (#/cafe/{id}): join, one's table (topic, host, who is here, chat, harvest),
// the round's countdown and its end (a warning a minute before, "time's up" at 0),
// announcements, the banner naming the new table and its host when a round moves someone,
// and, for facilitators, the console: every table with its host, who sits there, message
// counts, the round with its countdown and the controls (next round, extend, announce,
// close, each consequential one confirmed).

import { h, mount, setServerHtml, announce, field } from '../dom.js';
import { t, tn, formatDate, formatDuration, formatNumber } from '../i18n.js';
import { get, post, put, getNumbered, clockOffset } from '../api.js';
import { session, canModerate, userId, noteModerator } from '../session.js';
import { live } from '../live.js';
import { nameOf, remember, personBadge, learn } from '../people.js';
import { createComposer } from '../composer.js';
import { slugOf } from './space.js';

const idOf = (x) => (x && typeof x === 'object' ? x.id : x);

/** seating may be {userId: tableId} or [{user_id, table_id}]. */
function seatOf(seating, uid) {
  if (!seating || uid === null) return null;
  if (Array.isArray(seating)) {
    const row = seating.find((s) => Number(s.user_id ?? s.user ?? s.id) === Number(uid));
    return row ? Number(row.table_id ?? row.table) : null;
  }
  const v = seating[String(uid)];
  return v === undefined || v === null ? null : Number(idOf(v));
}

/** presence may carry user_ids, users, present or participants. */
function presentIds(data) {
  const raw = data.user_ids || data.users || data.present || data.participants || data.participant_ids || [];
  return (Array.isArray(raw) ? raw : []).map((u) => { remember(u); return Number(idOf(u)); });
}

export async function render(main, [idText], ctx) {
  const cafeId = Number(idText);
  let cafe = null;
  let space = null;
  let tableId = null; // the table shown
  let mySeat = null; // the table where the person is seated
  let unsubTable = null;
  let composer = null;
  let timer = null;
  const messages = new Map();
  const announcements = [];
  let present = [];

  const unsubCafe = live.subscribe(`cafe:${cafeId}`, onCafeEvent);
  const cleanup = () => {
    unsubCafe();
    if (unsubTable) unsubTable();
    if (composer) composer.close();
    clearInterval(timer);
    clearInterval(consoleTimer);
  };

  try {
    cafe = await get(`/api/cafes/${cafeId}`);
    space = await get(`/api/spaces/${encodeURIComponent(slugOf(cafe.space))}`).catch(() => null);
  } catch (err) { cleanup(); throw err; }
  noteModerator(canModerate(space || {}));
  for (const tb of cafe.tables || []) remember(tb.host);

  // Layout
  const statusLine = h('p', { class: 'row' });
  const countdown = h('span', { class: 'countdown', role: 'timer', 'aria-label': t('time_left') });
  const tablePanel = h('section', { class: 'card', 'aria-labelledby': 'table-h' });
  const sidePanel = h('div');
  const annList = h('ul', { class: 'announcements' });
  const tablesList = h('ul', { class: 'plain-list tables' });
  const error = h('p', { class: 'error', role: 'alert' });
  // The round's end and a move, shown plainly to everyone (not only to screen readers).
  const roundBanner = h('p', { class: 'banner round-banner', id: 'round-banner', role: 'status', hidden: true });
  const moveBanner = h('div', { class: 'banner move-banner', id: 'move-banner', role: 'region', 'aria-labelledby': 'move-banner-text', tabindex: '-1', hidden: true });
  const consoleEl = h('section', { class: 'card console', id: 'cafe-console', 'aria-labelledby': 'cafe-mod-h', hidden: true });
  const grid = h('div', { class: 'cafe-grid' });

  mount(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: t('nav_spaces') }), ' › ',
      h('a', { href: `#/space/${encodeURIComponent(slugOf(cafe.space))}`, text: (space && space.title) || slugOf(cafe.space) })),
    h('h1', { tabindex: '-1', dir: 'auto', text: cafe.title || t('cafe_n', { id: cafeId }) }),
    statusLine,
    roundBanner,
    moveBanner,
    error,
    consoleEl,
    grid,
  );
  mount(grid,
    tablePanel,
    h('div', {},
      h('section', { class: 'card', 'aria-labelledby': 'ann-h' }, h('h2', { id: 'ann-h', text: t('announcements') }), annList),
      h('section', { class: 'card', 'aria-labelledby': 'tables-h' }, h('h2', { id: 'tables-h', text: t('tables') }), tablesList),
      sidePanel));

  function myId() { return userId(); }
  function tableById(id) { return (cafe.tables || []).find((tb) => Number(tb.id) === Number(id)) || null; }
  function hostedTable() { return (cafe.tables || []).find((tb) => Number(idOf(tb.host)) === Number(myId())) || null; }
  function seatedTable() {
    const uid = myId();
    if (uid === null) return null;
    return hostedTable() || (cafe.tables || []).find((tb) => (tb.participant_ids || []).map(Number).includes(Number(uid))) || null;
  }

  function renderStatus() {
    mount(statusLine,
      h('span', { class: 'badge', text: t(`cafe_state_${cafe.state || 'open'}`) }),
      cafe.round ? h('span', { text: t('round_n', { n: formatNumber(cafe.round) }) }) : null,
      cafe.state === 'running' && cafe.round_ends_at ? [h('span', { text: t('time_left') }), countdown] : null,
      cafe.state === 'closed' && cafe.thread_id ? h('a', { href: `#/thread/${cafe.thread_id}`, text: t('cafe_report_thread') }) : null);
    tick();
  }

  function tick() {
    for (const el of [countdown, consoleCountdown]) {
      if (!cafe.round_ends_at) { el.textContent = ''; continue; }
      const left = Date.parse(cafe.round_ends_at) - (Date.now() + clockOffset);
      // At 0 the round has its end in words, not a clock stuck at 00:00.
      el.textContent = left <= 0 || cafe.round_over ? t('times_up') : formatDuration(left);
      el.classList.toggle('over', left <= 0 || Boolean(cafe.round_over));
    }
  }
  const consoleCountdown = h('span', { class: 'countdown', id: 'console-countdown', role: 'timer', 'aria-label': t('time_left') });
  timer = setInterval(tick, 1000);
  // Table messages are heard on each table's topic, not the café's: the console reads the
  // counts again now and then rather than listening to every table.
  let consoleTimer = null;

  function showRoundBanner(text) {
    if (!text) { roundBanner.hidden = true; roundBanner.textContent = ''; return; }
    roundBanner.textContent = text;
    roundBanner.hidden = false;
  }

  function showMove(tb) {
    const text = t('moved_banner', { n: formatNumber(cafe.round), position: formatNumber(tb.position), topic: tb.topic, host: nameOf(tb.host) });
    mount(moveBanner,
      h('p', { id: 'move-banner-text', dir: 'auto', text }),
      h('button', { type: 'button', class: 'secondary small', text: t('got_it'), onclick: () => {
        moveBanner.hidden = true;
        // Back to what the person was doing: the message box keeps its draft.
        const box = composer && composer.el.querySelector('textarea');
        if (box) box.focus();
      } }));
    moveBanner.hidden = false;
    moveBanner.focus();
  }

  function renderTables() {
    mount(tablesList, (cafe.tables || []).map((tb) => {
      const current = Number(tb.id) === Number(tableId);
      return h('li', { 'aria-current': current ? 'true' : null },
        h('span', { dir: 'auto', text: tb.topic }), ' — ', h('span', { class: 'muted small', text: t('hosted_by', { name: nameOf(tb.host) }) }),
        ' ', h('span', { class: 'muted small', text: tn('p_seated', seatedCount(tb)) }),
        // A closed café has no "your table" any more: what is shown is only looked at.
        current ? h('span', { class: 'badge', text: mySeat === tb.id && cafe.state !== 'closed' ? t('your_table') : t('viewing') }) : null,
        canModerate(space || {}) && !current ? [' ', h('button', { type: 'button', class: 'secondary small', text: t('view_table'), 'aria-label': t('view_table_topic', { topic: tb.topic }), onclick: () => enterTable(tb.id) })] : null);
    }));
  }

  function renderAnnouncements() {
    mount(annList, announcements.length
      ? announcements.map((a) => h('li', {}, h('span', { dir: 'auto', text: a.text }), a.at ? h('span', { class: 'small', text: ` (${formatDate(a.at)})` }) : null))
      : h('li', { class: 'muted none-yet', text: t('no_announcements') }));
  }

  function seatedCount(tb) {
    // The host sits at the table too (issue 13: "0 seated" where two people talked).
    return tb.seated_count ?? ((tb.participant_ids || []).length + 1);
  }

  function renderConsole() {
    const facilitator = canModerate(space || {});
    consoleEl.hidden = !facilitator;
    // The console takes the width; the join card is not a facilitator's business.
    tablePanel.hidden = facilitator && tableId === null;
    grid.classList.toggle('single', facilitator && tableId === null);
    sidePanel.replaceChildren();
    if (!facilitator) { consoleEl.replaceChildren(); return; }
    const text = h('textarea', { rows: 2, dir: 'auto', name: 'announcement' });
    const modError = h('p', { class: 'error', role: 'alert' });
    const act = async (fn) => { modError.textContent = ''; try { await fn(); } catch (err) { modError.textContent = err.detail || t('error_generic'); } };
    const open = cafe.state !== 'closed';
    const nextRound = () => act(async () => {
      if (cafe.round && !window.confirm(t('confirm_next_round', { n: formatNumber(cafe.round + 1) }))) return;
      cafe = { ...cafe, ...(await post(`/api/cafes/${cafeId}/rounds`)) };
      renderAll();
      announce(t('round_n', { n: cafe.round }));
    });
    const extend = (minutes) => act(async () => {
      cafe = { ...cafe, ...(await post(`/api/cafes/${cafeId}/rounds/extend`, { minutes })) };
      // The banner is the event's to change (cafe.round_extended), which may come first.
      renderAll();
    });
    const cards = (cafe.tables || []).map((tb) => {
      const names = [Number(idOf(tb.host)), ...(tb.participant_ids || []).map(Number)];
      return h('li', { class: 'card console-table', dataset: { tableId: String(tb.id) } },
        h('h3', { dir: 'auto' }, h('span', { class: 'muted small', text: `${t('table_n', { n: formatNumber(tb.position) })} · ` }), tb.topic),
        h('p', { class: 'small' }, t('host'), ': ', personBadge(tb.host)),
        h('p', { class: 'small', text: `${tn('p_seated', seatedCount(tb))} · ${tn('p_messages', tb.message_count ?? 0)}` }),
        h('ul', { class: 'plain-list small seated-names', 'aria-label': t('seated_here') }, names.map((id) => h('li', {}, personBadge(id)))),
        h('button', { type: 'button', class: 'secondary small', text: t('view_table'), 'aria-label': t('view_table_topic', { topic: tb.topic }), onclick: async () => { await enterTable(tb.id); tablePanel.querySelector('#table-h')?.focus(); } }));
    });
    learn((cafe.tables || []).flatMap((tb) => tb.participant_ids || []).map(Number)).then((learnt) => { if (learnt) renderConsole(); });
    mount(consoleEl,
      h('h2', { id: 'cafe-mod-h', text: t('cafe_console') }),
      h('p', { class: 'row' },
        cafe.round ? h('span', { text: t('round_n', { n: formatNumber(cafe.round) }) }) : h('span', { text: t('no_round_yet') }),
        cafe.round_ends_at && open ? [h('span', { text: t('time_left') }), consoleCountdown] : null,
        cafe.auto_rotate ? h('span', { class: 'badge', text: t('auto_rotate_on') }) : null),
      open ? h('div', { class: 'row console-controls' },
        h('button', { type: 'button', id: 'next-round', text: cafe.round ? t('start_next_round') : t('start_first_round'), onclick: nextRound }),
        cafe.round ? h('button', { type: 'button', class: 'secondary', id: 'extend-1', text: t('extend_n', { n: formatNumber(1) }), onclick: () => extend(1) }) : null,
        cafe.round ? h('button', { type: 'button', class: 'secondary', id: 'extend-5', text: t('extend_n', { n: formatNumber(5) }), onclick: () => extend(5) }) : null) : null,
      h('ul', { class: 'plain-list console-tables' }, cards),
      open ? h('form', { class: 'stack', onsubmit: (e) => { e.preventDefault(); act(async () => {
        if (!text.value.trim()) return;
        await post(`/api/cafes/${cafeId}/announce`, { text: text.value.trim() });
        text.value = '';
        announce(t('announcement_sent'));
      }); } }, field(t('announce_label'), text), h('div', {}, h('button', { type: 'submit', class: 'secondary', text: t('announce') }))) : null,
      // Closing is kept apart from the round controls, and asks first.
      open ? h('div', { class: 'row console-close' }, h('button', { type: 'button', class: 'danger', id: 'close-cafe', text: t('close_cafe'), onclick: () => act(async () => {
        if (!window.confirm(t('confirm_close_cafe'))) return;
        const res = await post(`/api/cafes/${cafeId}/close`);
        cafe = { ...cafe, state: 'closed', thread_id: res && res.thread_id };
        renderAll();
      }) })) : null,
      modError);
    tick();
  }

  function renderSide() { renderConsole(); }

  function renderTablePanel() {
    // Re-rendering must not take the keyboard away from someone typing.
    const typing = composer && composer.el.contains(document.activeElement) ? document.activeElement : null;
    const selection = typing && typeof typing.selectionStart === 'number' ? [typing.selectionStart, typing.selectionEnd] : null;
    if (composer) { composer.el.remove(); }
    paintTablePanel();
    if (typing && typing.isConnected) {
      typing.focus();
      if (selection) typing.setSelectionRange(selection[0], selection[1]);
    }
  }

  function paintTablePanel() {
    if (!session.user) {
      mount(tablePanel, h('h2', { id: 'table-h', text: t('your_table') }),
        h('p', {}, t('sign_in_to_join'), ' ', h('button', { type: 'button', class: 'link-button', text: t('sign_in'), onclick: ctx.requireSignIn })));
      return;
    }
    const tb = tableId !== null ? tableById(tableId) : null;
    if (!tb) {
      mount(tablePanel, h('h2', { id: 'table-h', text: cafe.state === 'closed' ? t('cafe_closed_heading') : t('your_table') }),
        cafe.state === 'closed' ? h('p', { text: t('cafe_closed') })
          : [h('p', { text: t('join_explain') }), h('button', { type: 'button', id: 'join-cafe', text: t('join_cafe'), onclick: join })]);
      return;
    }
    const isHost = Number(idOf(tb.host)) === Number(myId());
    const presentList = h('ul', { class: 'plain-list small', id: 'present-list' });
    const msgList = h('ol', { class: 'messages', id: 'table-messages', 'aria-label': t('table_chat') });
    const harvest = harvestBlock(tb, isHost);
    const closed = cafe.state === 'closed';
    mount(tablePanel,
      h('p', { class: 'muted small', text: closed ? t('cafe_closed_table') : (mySeat === tb.id ? t('your_table') : t('viewing_table')) }),
      h('h2', { id: 'table-h', tabindex: '-1', dir: 'auto', 'data-table-id': String(tb.id), text: tb.topic }),
      h('p', {}, t('host'), ': ', personBadge(tb.host)),
      // Nobody is "here now" at a closed café's table.
      closed ? null : [h('h3', { text: t('here_now') }), presentList],
      h('h3', { text: t('table_chat') }), msgList,
      composer && cafe.state !== 'closed' ? composer.el : null,
      harvest);
    renderPresence();
    renderMessages();
  }

  function harvestBlock(tb, isHost) {
    const box = h('section', { 'aria-labelledby': 'harvest-h' }, h('h3', { id: 'harvest-h', text: t('harvest') }));
    if (isHost && cafe.state !== 'closed') {
      const area = h('textarea', { rows: 5, dir: 'auto', name: 'harvest', value: tb.harvest || '' });
      const err = h('p', { class: 'error', role: 'alert' });
      box.appendChild(h('form', { class: 'stack', onsubmit: async (e) => {
        e.preventDefault();
        err.textContent = '';
        try {
          const updated = await put(`/api/tables/${tb.id}/harvest`, { body: area.value });
          tb.harvest = updated && typeof updated.harvest === 'string' ? updated.harvest : area.value;
          announce(t('harvest_saved'));
        } catch (ex) { err.textContent = ex.isNetwork ? t('error_network') : ex.detail; }
      } }, field(t('harvest_label'), area, t('harvest_hint')), err, h('div', {}, h('button', { type: 'submit', text: t('save_harvest') }))));
    } else {
      box.appendChild(h('p', { class: 'harvest-text', id: 'harvest-text', dir: 'auto', text: tb.harvest || t('no_harvest') }));
    }
    return box;
  }

  function renderPresence() {
    const el = tablePanel.querySelector('#present-list');
    if (!el) return;
    const tb = tableById(tableId);
    const ids = present.length ? present : (tb ? [Number(idOf(tb.host)), ...(tb.participant_ids || []).map(Number)] : []);
    const unique = [...new Set(ids)];
    mount(el, unique.map((id) => h('li', {}, personBadge(id))));
    learn(unique).then((learnt) => { if (learnt) renderPresence(); });
  }

  function renderMessages() {
    const el = tablePanel.querySelector('#table-messages');
    if (!el) return;
    const sorted = [...messages.values()].sort((a, b) => a.number - b.number);
    mount(el, sorted.length ? sorted.map(messageItem) : h('li', { class: 'muted', text: t('no_messages') }));
    el.scrollTop = el.scrollHeight;
  }

  function messageItem(m) {
    const body = h('div', { class: 'body', dir: 'auto' });
    if (m.html) setServerHtml(body, m.html); else body.textContent = m.body || '';
    return h('li', { dataset: { number: String(m.number) } },
      h('div', { class: 'small' }, personBadge(m.author), ' ', h('time', { class: 'muted', datetime: m.created_at || '', text: formatDate(m.created_at) }),
        m.status === 'hidden' ? h('span', { class: 'badge hidden', text: t('hidden_badge') }) : null),
      body);
  }

  function addMessage(m, quiet) {
    if (!m || m.id === undefined || Number(m.table_id ?? tableId) !== Number(tableId)) return;
    const isNew = !messages.has(m.id);
    messages.set(m.id, m);
    remember(m.author);
    renderMessages();
    if (isNew && !quiet && Number(idOf(m.author)) !== Number(myId())) {
      const text = (m.body || '').slice(0, 140);
      announce(t('message_from', { name: nameOf(m.author), text }));
    }
  }

  async function enterTable(id) {
    const nextId = Number(id);
    if (nextId === tableId && unsubTable) { renderTablePanel(); renderTables(); return; }
    if (unsubTable) { unsubTable(); unsubTable = null; }
    tableId = nextId;
    messages.clear();
    present = [];
    const topic = `table:${tableId}`;
    if (!composer) {
      composer = createComposer({ key: topic, path: `/api/tables/${tableId}/messages`, label: t('message_to_table'), submitLabel: t('send'), onSent: (m) => addMessage(m, true) });
    } else {
      composer.retarget(topic, `/api/tables/${tableId}/messages`);
    }
    unsubTable = live.subscribe(topic, onTableEvent);
    renderTablePanel();
    renderTables();
    renderConsole(); // a facilitator looking at a table: the table panel shows under the console
    await loadMessages();
  }

  async function loadMessages() {
    const current = tableId;
    try {
      const after = Math.max(0, ...[...messages.values()].map((m) => m.number));
      const items = await getNumbered(`/api/tables/${current}/messages`, after);
      if (current !== tableId) return;
      for (const m of items) addMessage(m, true);
    } catch (err) {
      if (current === tableId && !err.isNetwork) error.textContent = err.detail;
    }
  }

  function onTableEvent(ev) {
    const data = ev.data || {};
    if (ev.type === 'message.created') addMessage(data, false);
    else if (ev.type === 'message.updated') {
      if (data.status === 'hidden' && !canModerate(space || {}) && Number(idOf(data.author)) !== Number(myId())) {
        messages.delete(data.id); renderMessages();
      } else if (messages.has(data.id)) { messages.set(data.id, { ...messages.get(data.id), ...data }); renderMessages(); }
      else addMessage(data, true);
    } else if (ev.type === 'message.hidden') {
      // Readers get a stub: the message leaves the chat. Its author and moderators keep it, marked.
      const known = messages.get(data.id);
      if (known && (canModerate(space || {}) || Number(idOf(known.author)) === Number(myId()))) {
        messages.set(data.id, { ...known, ...data, status: 'hidden' });
      } else messages.delete(data.id);
      renderMessages();
    }
    else if (ev.type === 'presence') { present = presentIds(data); renderPresence(); }
    else if (ev.type === 'table.harvest') {
      const tb = tableById(tableId);
      if (tb) {
        tb.harvest = typeof data.harvest === 'string' ? data.harvest : (typeof data.body === 'string' ? data.body : tb.harvest);
        const el = tablePanel.querySelector('#harvest-text');
        if (el) el.textContent = tb.harvest || t('no_harvest');
      }
    } else if (ev.type === 'subscribed' || ev.type === 'resync') loadMessages();
  }

  async function refreshCafe() {
    try {
      cafe = await get(`/api/cafes/${cafeId}`);
      for (const tb of cafe.tables || []) remember(tb.host);
    } catch { /* keep what we have */ }
  }

  async function onCafeEvent(ev) {
    const data = ev.data || {};
    switch (ev.type) {
      case 'cafe.updated':
        // Someone joined or the café changed: new seat counts, same table.
        if (data && Array.isArray(data.tables)) {
          cafe = { ...cafe, ...data };
          for (const tb of cafe.tables) remember(tb.host);
          renderStatus();
          renderTables();
          renderSide();
          if (tableId !== null) renderPresence();
        }
        break;
      case 'cafe.round_warning':
        if (Number(data.round) === Number(cafe.round)) {
          showRoundBanner(t('one_minute_left'));
          announce(t('one_minute_left'));
        }
        break;
      case 'cafe.round_ended':
        if (Number(data.round) === Number(cafe.round)) {
          cafe = { ...cafe, round_over: true };
          showRoundBanner(data.auto_rotate ? t('times_up_rotating', { n: formatNumber(cafe.round) }) : t('times_up_banner', { n: formatNumber(cafe.round) }));
          announce(t('times_up_banner', { n: formatNumber(cafe.round) }));
          renderStatus();
          renderSide();
        }
        break;
      case 'cafe.round_extended':
        cafe = { ...cafe, round_over: false, round_ends_at: data.ends_at ?? cafe.round_ends_at };
        showRoundBanner(t('round_extended', { n: formatNumber(data.minutes ?? 0) }));
        announce(t('round_extended', { n: formatNumber(data.minutes ?? 0) }));
        renderStatus();
        renderSide();
        break;
      case 'cafe.round_started': {
        cafe = { ...cafe, state: 'running', round_over: false, round: data.round ?? cafe.round, round_ends_at: data.ends_at ?? data.round_ends_at ?? cafe.round_ends_at };
        showRoundBanner('');
        let seat = seatOf(data.seating || data.seats || data.tables_by_user, myId());
        if (Array.isArray(data.tables)) cafe = { ...cafe, tables: data.tables };
        else await refreshCafe();
        if (data.round !== undefined) cafe.round = data.round;
        if (seat === null) { const tb = seatedTable(); seat = tb ? tb.id : null; }
        renderStatus();
        if (seat !== null && mySeat !== null) {
          const moved = Number(seat) !== Number(mySeat);
          mySeat = Number(seat);
          await enterTable(mySeat);
          const tb = tableById(mySeat);
          announce(moved ? t('moved_to_table', { n: cafe.round, topic: tb ? tb.topic : '' }) : t('round_n', { n: cafe.round }));
          if (moved && tb) showMove(tb);
        } else {
          renderTables();
          announce(t('round_n', { n: cafe.round }));
        }
        renderSide();
        break;
      }
      case 'cafe.announcement': {
        const text = data.text || data.body || data.message || '';
        announcements.unshift({ text, at: data.at || data.created_at || new Date().toISOString() });
        renderAnnouncements();
        announce(t('announcement_prefix', { text }));
        break;
      }
      case 'cafe.closed':
        cafe = { ...cafe, state: 'closed', thread_id: data.thread_id ?? cafe.thread_id };
        renderAll();
        announce(t('cafe_closed'));
        break;
      case 'resync':
        await refreshCafe();
        renderAll();
        break;
      default:
    }
  }

  async function join() {
    error.textContent = '';
    try {
      const res = await post(`/api/cafes/${cafeId}/join`);
      await refreshCafe();
      mySeat = Number(res && (res.table_id ?? idOf(res.table)));
      await enterTable(mySeat);
      const tb = tableById(mySeat);
      announce(t('joined_table', { topic: tb ? tb.topic : '' }));
      tablePanel.querySelector('#table-h')?.focus();
    } catch (err) {
      if (err.status === 401) ctx.requireSignIn();
      else error.textContent = err.isNetwork ? t('error_network') : err.detail;
    }
  }

  function renderAll() {
    renderStatus();
    renderTables();
    renderAnnouncements();
    renderSide();
    renderTablePanel();
  }

  if (canModerate(space || {})) {
    consoleTimer = setInterval(async () => {
      if (document.hidden || cafe.state === 'closed') return;
      await refreshCafe();
      renderConsole();
    }, 15000);
  }

  // Already seated (a host, or back after a reload)? Go straight to the table.
  const seated = seatedTable();
  if (seated) mySeat = Number(seated.id);
  renderAll();
  if (seated) await enterTable(seated.id);

  return cleanup;
}
