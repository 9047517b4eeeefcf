// How people are shown: display name, role, and the Party a focal point speaks for.
// Remembers names seen so that bare user ids (presence, seating) can be named.

import { h } from './dom.js';
import { t, roleLabel } from './i18n.js';
import { get } from './api.js';

const names = new Map();
const asked = new Set();

/** Remember a user object (or ignore anything else). Returns its id or null. */
export function remember(user) {
  if (user && typeof user === 'object' && user.id !== undefined) {
    names.set(Number(user.id), user);
    return Number(user.id);
  }
  return null;
}

export function userById(id) { return names.get(Number(id)) || null; }

/** Look up the public profiles of ids not seen yet (once each). Resolves to true if any
 * name was learnt, so the caller can render again. */
export async function learn(ids) {
  const unknown = [...new Set(ids.map(Number))].filter((id) => !names.has(id) && !asked.has(id));
  if (!unknown.length) return false;
  unknown.forEach((id) => asked.add(id));
  const found = await Promise.all(unknown.map((id) => get(`/api/users/${id}`).catch(() => null)));
  return found.map(remember).some((id) => id !== null);
}

/** A user field may be an object or an id: return a display name either way. */
export function nameOf(user) {
  if (user && typeof user === 'object') {
    remember(user);
    return user.display_name || user.name || t('participant_n', { id: user.id });
  }
  if (user === null || user === undefined) return '';
  const known = names.get(Number(user));
  return known ? known.display_name : t('participant_n', { id: user });
}

/** Name plus role badge ("Focal point · BRA"). */
export function personBadge(user) {
  const u = user && typeof user === 'object' ? user : userById(user);
  const parts = [h('span', { class: 'author', text: nameOf(user) })];
  if (u && u.role) {
    const label = u.role === 'focal_point' && u.party ? `${roleLabel(u.role)} · ${u.party}` : roleLabel(u.role);
    parts.push(h('span', { class: 'badge role', text: label }));
  } else if (u && u.party) {
    parts.push(h('span', { class: 'badge role', text: u.party }));
  }
  return parts;
}
