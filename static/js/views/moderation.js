// The moderators' page (#/moderation): the queue of pending and flagged posts, live from the
// `moderation` topic (items arrive and leave without a reload), with approve (no reason),
// reject and hide (a reason is required); and the audit log, each entry a sentence in the
// reader's language with its actor and target linked, filtered by actor, action, space and
// date. Both are lists of cards, so that nothing scrolls sideways on a phone.

import { h, mount, append, setServerHtml, announce, field, uid } from '../dom.js';
import { t, formatDate, lang } from '../i18n.js';
import { get, post, getAll, itemsOf } from '../api.js';
import { session } from '../session.js';
import { personBadge, nameOf } from '../people.js';
import { onQueueEvent } from '../modqueue.js';

// Every action code of the audit log (forum/audit/actions.py), grouped by its target's kind
// for the filter. A code the page does not know still gets a sentence (audit_unknown).
const ACTION_GROUPS = {
  post: ['post.approve', 'post.reject', 'post.hide', 'post.unhide', 'post.dismiss_flags', 'post.auto_hide', 'post.edit', 'post.delete'],
  thread: ['thread.rename', 'thread.pin', 'thread.unpin', 'thread.lock', 'thread.unlock', 'thread.slow_mode', 'thread.move'],
  user: ['user.silence', 'user.unsilence', 'user.suspend', 'user.unsuspend', 'user.update'],
  space: ['space.create', 'space.moderators'],
  cafe: ['cafe.create', 'cafe.round', 'cafe.extend', 'cafe.close', 'message.hide', 'message.unhide'],
  roundtable: ['roundtable.open', 'roundtable.move', 'roundtable.skip', 'roundtable.give_floor', 'roundtable.end_turn', 'roundtable.summary', 'roundtable.close'],
  poll: ['poll.create'],
  report: ['report.build', 'report.edit', 'report.publish'],
};
const KNOWN = new Set(Object.values(ACTION_GROUPS).flat());

/** t() into DOM nodes: each {placeholder} becomes the node (or text) given for it. */
function tNodes(key, vars) {
  const parts = t(key).split(/\{(\w+)\}/);
  return parts.map((part, i) => {
    if (i % 2 === 0) return part;
    const v = vars[part];
    return v === undefined || v === null ? '' : v;
  });
}

/** The target of an entry as a linked phrase ("post 3 in “Workshop”"). */
function targetPhrase(target) {
  const tg = target || {};
  const link = (href, text) => h('a', { href, dir: 'auto', text });
  if (!tg.title && tg.type !== 'report') return t(`audit_a_${tg.type}`) === `audit_a_${tg.type}` ? t('audit_a_thing') : t(`audit_a_${tg.type}`);
  switch (tg.type) {
    case 'post':
      return tNodes('audit_target_post', { number: String(tg.number ?? ''), title: link(`#/thread/${tg.thread_id}`, tg.title) });
    case 'thread': return tNodes('audit_target_thread', { title: link(`#/thread/${tg.thread_id || tg.id}`, tg.title) });
    case 'user': return tg.handle ? link(`#/u/${encodeURIComponent(tg.handle)}`, tg.title) : h('span', { dir: 'auto', text: tg.title });
    case 'space': return tNodes('audit_target_space', { title: link(`#/space/${encodeURIComponent(tg.space || '')}`, tg.title) });
    case 'cafe': return tNodes('audit_target_cafe', { title: link(`#/cafe/${tg.cafe_id || tg.id}`, tg.title) });
    case 'message': return tNodes('audit_target_message', { title: link(`#/cafe/${tg.cafe_id}`, tg.title) });
    case 'roundtable': return tNodes('audit_target_roundtable', { title: link(`#/roundtable/${tg.roundtable_id || tg.id}`, tg.title) });
    case 'intervention': return tNodes('audit_target_intervention', { title: link(`#/roundtable/${tg.roundtable_id}`, tg.title) });
    case 'poll': return tNodes('audit_target_poll', { title: link(`#/poll/${tg.id}`, tg.title) });
    default: return t('audit_a_thing');
  }
}

function actorNode(e) {
  if (!e.actor) return t('audit_system');
  const name = nameOf(e.actor);
  return e.actor_handle ? h('a', { href: `#/u/${encodeURIComponent(e.actor_handle)}`, dir: 'auto', text: name }) : h('span', { dir: 'auto', text: name });
}

/** One entry as a sentence: "Ana hid post 3 in “Workshop”", its space, time and reason. */
export function entrySentence(e) {
  const key = KNOWN.has(e.action) ? `audit_${e.action}` : 'audit_unknown';
  let target = targetPhrase(e.target);
  if (e.target && e.target.type === 'report' && e.space) {
    target = tNodes('audit_target_report', { title: h('a', { href: `#/report/${encodeURIComponent(e.space)}`, dir: 'auto', text: e.space_title || e.space }) });
  }
  return tNodes(key, { actor: actorNode(e), target, action: e.action });
}

/** A filter label for an action: "Someone hid a post". */
function actionLabel(code) {
  const type = code.split('.')[0] === 'message' ? 'message' : (code === 'roundtable.summary' ? 'intervention' : code.split('.')[0]);
  return t(`audit_${code}`, { actor: t('audit_someone'), target: t(`audit_a_${type}`) });
}

export async function render(main, params, ctx) {
  if (!session.user) { ctx.requireSignIn(); return; }
  const queueBox = h('div', { class: 'mod-queue-box' });
  const logBox = h('div', { class: 'mod-log-box' });
  const queueStatus = h('p', { class: 'muted small', role: 'status' });
  const filters = { actor: '', action: '', space: '', since: '', until: '' };
  let nextCursor = null;
  const actors = new Map();
  let spaces = [];
  const filterBox = h('div');
  mount(main,
    h('div', { class: 'mod-page' },
      h('h1', { text: t('moderation_title') }),
      h('section', { 'aria-labelledby': 'queue-h' }, h('h2', { id: 'queue-h', tabindex: '-1', text: t('queue_title') }), queueStatus, queueBox),
      h('section', { 'aria-labelledby': 'log-h' }, h('h2', { id: 'log-h', text: t('log_title') }), filterBox, logBox)),
  );

  // --- the queue, live -------------------------------------------------------------------
  const items = new Map(); // post id -> li

  function showEmpty() {
    if (!queueBox.querySelector('li.post')) mount(queueBox, h('p', { class: 'muted', text: t('queue_empty') }));
  }
  function list() {
    let ul = queueBox.querySelector('ul.mod-queue');
    if (!ul) { ul = h('ul', { class: 'posts mod-queue' }); mount(queueBox, ul); }
    return ul;
  }

  async function loadQueue() {
    let got;
    try { got = itemsOf(await get('/api/moderation/queue?limit=100')); } catch (err) {
      mount(queueBox, h('p', { class: 'error', role: 'alert', text: err.status === 403 ? t('not_a_moderator') : err.detail }));
      return;
    }
    items.clear();
    mount(queueBox);
    for (const item of got) addItem(item);
    showEmpty();
  }

  function addItem(item) {
    const p = item.post || item;
    const li = queueItem(item);
    const old = items.get(p.id);
    if (old && old.isConnected) { old.replaceWith(li); } else list().appendChild(li);
    items.set(p.id, li);
    return li;
  }

  function removeItem(postId) {
    const li = items.get(postId);
    items.delete(postId);
    if (!li) return false;
    li.remove();
    showEmpty();
    return true;
  }

  function queueItem(item) {
    const p = item.post || item;
    const flags = Array.isArray(item.flags) ? item.flags : [];
    const error = h('p', { class: 'error', role: 'alert' });
    const reasonId = uid('reason');
    const reason = h('input', { type: 'text', id: reasonId, name: 'reason', maxlength: 500 });
    const body = h('div', { class: 'body', dir: 'auto' });
    if (p.html) setServerHtml(body, p.html); else body.textContent = p.body || '';
    const li = h('li', { class: `post card${p.status === 'pending' ? ' is-pending' : ''}`, dataset: { id: String(p.id) } });
    const act = async (action, needsReason) => {
      error.textContent = '';
      if (needsReason && !reason.value.trim()) { error.textContent = t('reason_required'); reason.focus(); return; }
      try {
        await post(`/api/posts/${p.id}/${action}`, needsReason ? { reason: reason.value.trim() } : {});
        announce(t(`done_${action}`));
        const next = li.nextElementSibling || li.previousElementSibling;
        removeItem(p.id);
        (next && next.querySelector('button')) ? next.querySelector('button').focus() : main.querySelector('#queue-h')?.focus();
        reloadLog();
      } catch (err) { error.textContent = err.detail || t('error_generic'); }
    };
    const spaceName = item.space_title || item.space || '';
    append(li, [
      h('header', {}, personBadge(p.author),
        p.status === 'pending' ? h('span', { class: 'badge pending', text: t('pending_badge') }) : null,
        flags.length || item.flag_count ? h('span', { class: 'badge hidden', text: t('flagged_n', { n: flags.length || item.flag_count }) }) : null,
        h('time', { class: 'muted small', datetime: p.created_at || '', text: formatDate(p.created_at) })),
      h('p', { class: 'small' }, h('a', { href: `#/thread/${p.thread_id}`, dir: 'auto', text: item.thread_title || (item.thread && item.thread.title) || t('open_thread_n', { id: p.thread_id }) }),
        spaceName ? [' · ', h('a', { href: `#/space/${encodeURIComponent(item.space)}`, class: 'muted', dir: 'auto', text: spaceName })] : null),
      body,
      flags.length ? h('ul', { class: 'small' }, flags.map((f) => h('li', { text: `${t(`flag_${f.reason}`)}${f.note ? `: ${f.note}` : ''}${f.user || f.reporter ? ` (${nameOf(f.user || f.reporter)})` : ''}` }))) : null,
      h('div', { class: 'actions' },
        p.status === 'pending' ? h('button', { type: 'button', class: 'small', text: t('approve'), onclick: () => act('approve', false) }) : null),
      field(t('reason'), reason, t('reason_hint_reject')),
      h('div', { class: 'actions' },
        p.status === 'pending' ? h('button', { type: 'button', class: 'danger small', text: t('reject'), onclick: () => act('reject', true) }) : null,
        p.status !== 'hidden' ? h('button', { type: 'button', class: 'danger small', text: t('hide'), onclick: () => act('hide', true) }) : null),
      error]);
    return li;
  }

  const stopLive = onQueueEvent((ev) => {
    if (ev.type === 'moderation.item' && ev.data && ev.data.post) {
      const fresh = !items.has(ev.data.post.id);
      addItem(ev.data);
      if (fresh) {
        queueStatus.textContent = t('queue_arrived', { name: nameOf(ev.data.post.author), space: ev.data.space_title || ev.data.space });
        announce(queueStatus.textContent);
      }
    } else if (ev.type === 'moderation.resolved' && ev.data) {
      const mine = session.user && Number(ev.data.by) === Number(session.user.id);
      if (removeItem(ev.data.post_id) && !mine) {
        queueStatus.textContent = t('queue_resolved_elsewhere');
        announce(queueStatus.textContent);
      }
      if (!mine) reloadLog();
    } else if (ev.type === 'resync') {
      loadQueue();
    }
  });

  // --- the audit log ---------------------------------------------------------------------
  function query(cursor) {
    const q = new URLSearchParams({ limit: '50' });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    if (cursor) q.set('cursor', cursor);
    return `/api/moderation/log?${q}`;
  }

  function entryCard(e) {
    const sentence = h('p', { class: 'log-sentence' }, entrySentence(e));
    return h('li', { class: 'log-entry card', dataset: { action: e.action } },
      sentence,
      h('p', { class: 'small muted' },
        h('time', { datetime: e.at || '', text: formatDate(e.at) }),
        e.space && e.target && e.target.type !== 'space' ? [' · ', tNodes('audit_in_space', { space: h('a', { href: `#/space/${encodeURIComponent(e.space)}`, dir: 'auto', text: e.space_title || e.space }) })] : null),
      e.reason ? h('p', { class: 'small log-reason' }, t('audit_reason_label'), ' ', h('span', { dir: 'auto', text: e.reason })) : null);
  }

  let logList = null;
  const more = h('button', { type: 'button', class: 'secondary', text: t('log_more'), hidden: true, onclick: () => loadLog(true) });

  async function loadLog(append = false) {
    let page;
    try { page = await get(query(append ? nextCursor : null)); } catch (err) {
      mount(logBox, h('p', { class: 'error', role: 'alert', text: err.detail || t('error_generic') }));
      return;
    }
    nextCursor = page.next || null;
    for (const e of page.items) if (e.actor && !actors.has(e.actor.id)) actors.set(e.actor.id, e.actor);
    if (!append) {
      logList = h('ol', { class: 'log-entries' });
      mount(logBox, page.items.length ? logList : h('p', { class: 'muted', text: t(Object.values(filters).some(Boolean) ? 'log_none_match' : 'log_empty') }), more);
      paintFilters();
    }
    for (const e of page.items) logList.appendChild(entryCard(e));
    more.hidden = !nextCursor;
  }

  let logTimer = null;
  function reloadLog() { clearTimeout(logTimer); logTimer = setTimeout(() => loadLog(false), 300); }

  // The filters: actor, action, space, from and to (dates in the reader's time zone).
  const actorSel = h('select', { name: 'actor' });
  const actionSel = h('select', { name: 'action' });
  const spaceSel = h('select', { name: 'space' });
  const sinceIn = h('input', { type: 'date', name: 'since' });
  const untilIn = h('input', { type: 'date', name: 'until' });
  const form = h('form', { class: 'log-filters card', 'aria-label': t('log_filters') },
    h('div', { class: 'log-filter-fields' },
      field(t('log_actor'), actorSel), field(t('log_action'), actionSel), field(t('log_space'), spaceSel),
      field(t('log_since'), sinceIn), field(t('log_until'), untilIn)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'small', text: t('log_apply') }),
      h('button', { type: 'reset', class: 'secondary small', text: t('log_clear') })));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    filters.actor = actorSel.value;
    filters.action = actionSel.value;
    filters.space = spaceSel.value;
    // A day in the reader's time zone: from its first to its last millisecond.
    filters.since = sinceIn.value ? new Date(`${sinceIn.value}T00:00:00`).toISOString() : '';
    filters.until = untilIn.value ? new Date(`${untilIn.value}T23:59:59.999`).toISOString() : '';
    loadLog(false).then(() => announce(t('log_filtered')));
  });
  form.addEventListener('reset', () => {
    for (const k of Object.keys(filters)) filters[k] = '';
    setTimeout(() => loadLog(false), 0);
  });
  mount(filterBox, form);

  function options(sel, current, entries) {
    mount(sel, h('option', { value: '', text: t('log_any') }), entries);
    sel.value = current;
  }

  function paintFilters() {
    options(actorSel, filters.actor, [...actors.values()].sort((a, b) => nameOf(a).localeCompare(nameOf(b), lang()))
      .map((a) => h('option', { value: String(a.id), text: nameOf(a) })));
    options(actionSel, filters.action, Object.entries(ACTION_GROUPS).map(([type, codes]) => h('optgroup', { label: t(`audit_group_${type}`) },
      codes.map((c) => h('option', { value: c, text: actionLabel(c) })))));
    options(spaceSel, filters.space, spaces.map((s) => h('option', { value: s.slug, text: s.title })));
  }

  try {
    const all = await getAll('/api/spaces?limit=100', 500);
    spaces = all.filter((s) => session.user && (['admin', 'moderator'].includes(session.user.role)
      || (s.moderator_ids || []).map(Number).includes(Number(session.user.id))));
  } catch { spaces = []; }

  await Promise.all([loadQueue(), loadLog(false)]);
  return () => { stopLive(); clearTimeout(logTimer); };
}
