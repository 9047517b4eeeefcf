// Notifications: the bell with its unread count in the header, the inbox it opens, and the
// live inbox topic (`inbox:{user id}`). A live event names a notification only; the bell
// reads it over HTTP, where the server checks again that its subject is still readable.

import { h, mount, announce } from './dom.js';
import { t, formatDate, formatNumber } from './i18n.js';
import { get, post } from './api.js';
import { live } from './live.js';
import { session } from './session.js';

const state = { unread: 0, items: [], open: false, topic: null, unsubscribe: null };
const listeners = new Set();
let button = null;
let panel = null;

/** Called when the count changes (views that show it too). */
export function onUnreadChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function setUnread(n) {
  state.unread = Math.max(0, n);
  paintButton();
  for (const fn of listeners) fn(state.unread);
}

export function notificationLink(n) {
  if (n.cafe_id) return `#/cafe/${n.cafe_id}`;
  if (n.roundtable_id) return `#/roundtable/${n.roundtable_id}`;
  if (n.thread_id) return `#/thread/${n.thread_id}`;
  if (n.space) return `#/space/${encodeURIComponent(n.space)}`;
  return '#/';
}

export function notificationText(n) {
  const actor = n.actor ? n.actor.display_name : t('someone');
  return t(`notif_${n.kind}`, { actor, title: n.thread_title || n.cafe_title || n.roundtable_question || n.space || '' });
}

async function refresh() {
  if (!session.user) return;
  try {
    const page = await get('/api/notifications?order=unread_first&limit=20');
    state.items = page.items;
    setUnread(page.unread);
    if (state.open) paintPanel();
  } catch { /* the next event or page load tries again */ }
}

async function onEvent(ev) {
  if (ev.type === 'notification.created' && ev.data && ev.data.id) {
    try {
      // Checked again by the server: a notification about something no longer readable is a 404.
      const n = await get(`/api/notifications/${ev.data.id}`);
      if (!state.items.some((x) => x.id === n.id)) state.items.unshift(n);
      setUnread(state.unread + (n.read_at ? 0 : 1));
      announce(notificationText(n));
      if (state.open) paintPanel();
    } catch { /* not readable any more, or offline: nothing to show */ }
  } else if (ev.type === 'notification.read' || ev.type === 'subscribed' || ev.type === 'resync') {
    refresh();
  }
}

/** (Re)start following the signed-in person's inbox; stop when nobody is signed in. */
export function followInbox() {
  const topic = session.user ? `inbox:${session.user.id}` : null;
  if (topic === state.topic) return;
  if (state.unsubscribe) state.unsubscribe();
  state.unsubscribe = null;
  state.topic = topic;
  state.items = [];
  state.unread = 0;
  state.open = false;
  if (topic) {
    state.unsubscribe = live.subscribe(topic, onEvent);
    refresh();
  }
}

function paintButton() {
  if (!button) return;
  // The name is the visible text ("Notifications 3") and, for screen readers, "unread".
  const shown = state.unread > 98 ? '99+' : formatNumber(state.unread);
  mount(button, h('span', { text: t('notifications_short') }),
    state.unread ? [' ', h('span', { class: 'count', text: shown }), h('span', { class: 'visually-hidden', text: ` ${t('unread_word')}` })] : null);
}

function close({ focus = true } = {}) {
  state.open = false;
  if (panel) panel.hidden = true;
  if (button) button.setAttribute('aria-expanded', 'false');
  if (focus && button) button.focus();
}

async function markRead(n) {
  if (n.read_at) return;
  n.read_at = new Date().toISOString();
  setUnread(state.unread - 1);
  try { await post(`/api/notifications/${n.id}/read`); } catch { /* shown read here; the server keeps it unread */ }
}

async function markAll() {
  try {
    await post('/api/notifications/read-all');
    for (const n of state.items) n.read_at = n.read_at || new Date().toISOString();
    setUnread(0);
    paintPanel();
    announce(t('all_marked_read'));
  } catch (err) { announce(err.detail || t('error_generic')); }
}

function paintPanel() {
  if (!panel) return;
  // A repaint replaces the links: the focus stays at the same place in the list.
  const focusables = () => [...panel.querySelectorAll('a, button')];
  const focused = focusables().indexOf(document.activeElement);
  const items = state.items.map((n) => h('li', { class: n.read_at ? 'notif' : 'notif unread' },
    h('a', { href: notificationLink(n), dir: 'auto', onclick: () => { markRead(n); close({ focus: false }); } },
      n.read_at ? null : h('span', { class: 'visually-hidden', text: t('unread_marker') }),
      notificationText(n)),
    h('span', { class: 'small muted', text: ` ${formatDate(n.created_at)}` })));
  mount(panel,
    h('h2', { id: 'inbox-title', class: 'small-heading', text: t('notifications') }),
    state.items.length ? h('ul', { class: 'notif-list' }, items) : h('p', { class: 'muted', text: t('no_notifications') }),
    h('p', { class: 'row' },
      state.unread ? h('button', { type: 'button', class: 'secondary small', text: t('mark_all_read'), onclick: markAll }) : null,
      h('a', { href: '#/preferences', onclick: () => close({ focus: false }), text: t('preferences') })));
  if (focused >= 0) (focusables()[focused] || focusables()[0])?.focus();
}

// Escape closes the inbox wherever the focus is.
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && state.open) { e.preventDefault(); close(); }
});

function toggle() {
  if (state.open) { close(); return; }
  state.open = true;
  button.setAttribute('aria-expanded', 'true');
  panel.hidden = false;
  paintPanel();
  refresh();
  const first = panel.querySelector('a, button');
  if (first) first.focus();
}

/** The bell and its panel, for the header (only for someone signed in). */
export function bell() {
  if (!session.user) return null;
  button = h('button', { type: 'button', class: 'bell secondary small', 'aria-expanded': 'false', 'aria-controls': 'inbox-panel', onclick: toggle });
  panel = h('div', { id: 'inbox-panel', class: 'inbox-panel card', role: 'region', 'aria-labelledby': 'inbox-title', hidden: true });
  paintButton();
  if (state.open) { panel.hidden = false; button.setAttribute('aria-expanded', 'true'); paintPanel(); }
  return h('div', { class: 'bell-box' }, button, panel);
}
