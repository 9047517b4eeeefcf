// The moderation queue's count, for moderators on every screen: a badge on the nav's
// "Moderation" link ("3 posts waiting" to screen readers, plural rules of the reader's
// language), kept live from the `moderation` topic. An event says something changed; the
// count itself is read again over HTTP (GET /api/moderation/queue/count), where the server
// counts only the spaces the reader moderates, so that a missed or foreign event never
// leaves a wrong number.

import { h, mount } from './dom.js';
import { t, lang, formatNumber } from './i18n.js';
import { get } from './api.js';
import { live } from './live.js';
import { session, noteModerator } from './session.js';

const state = { count: 0, moderates: false, user: null, unsubscribe: null, timer: null };
const badges = new Set();
const listeners = new Set();

/** Views that show the queue hear of every event of the topic here. */
export function onQueueEvent(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/** "3 posts waiting", by the language's plural rules (one, two, few, many, other, zero). */
export function waitingLabel(n) {
  let category = 'other';
  try { category = new Intl.PluralRules(lang()).select(n); } catch { /* stays other */ }
  if (n === 0) category = 'zero';
  return t(`queue_badge_${category}`, { n: formatNumber(n) });
}

function paint(el) {
  el.hidden = !state.count;
  mount(el, state.count ? [
    h('span', { class: 'queue-count', 'aria-hidden': 'true', text: state.count > 99 ? '99+' : formatNumber(state.count) }),
    h('span', { class: 'visually-hidden', text: ` ${waitingLabel(state.count)}` }),
  ] : null);
}

/** The badge to put in the nav's moderation link; it updates itself. */
export function queueBadge() {
  const el = h('span', { class: 'queue-badge', dataset: { queueCount: '' } });
  badges.add(el);
  // Badges of a nav that was drawn again are forgotten once detached.
  for (const old of [...badges]) if (old !== el && !old.isConnected) badges.delete(old);
  paint(el);
  return el;
}

export function queueCount() { return state.count; }

function setCount(n) {
  state.count = Math.max(0, n);
  for (const el of badges) { el.dataset.queueCount = String(state.count); paint(el); }
}

async function refresh() {
  if (!session.user) return;
  try {
    const c = await get('/api/moderation/queue/count');
    state.moderates = c.moderates;
    if (c.moderates) noteModerator(true);
    setCount(c.count);
  } catch { /* the next event or page load tries again */ }
}

function later() {
  clearTimeout(state.timer);
  state.timer = setTimeout(refresh, 250);
}

function onEvent(ev) {
  if (ev.type === 'moderation.elsewhere') return;
  for (const fn of listeners) { try { fn(ev); } catch (err) { console.error(err); } }
  later();
}

/** (Re)start following the queue for the signed-in person; stop when nobody is. */
export async function followQueue() {
  const user = session.user ? session.user.id : null;
  if (user === state.user) return;
  if (state.unsubscribe) state.unsubscribe();
  state.unsubscribe = null;
  state.user = user;
  state.moderates = false;
  setCount(0);
  if (user === null) return;
  await refresh();
  // Only moderators may subscribe (anyone else would get `not_found`).
  if (state.moderates && state.user === user && !state.unsubscribe) state.unsubscribe = live.subscribe('moderation', onEvent);
}
