// The signed-in person: who they are, sign-in and sign-out, and what their role lets them do.

import { api, get, post } from './api.js';
import { live } from './live.js';
import { remember } from './people.js';

export const session = { user: null };
const listeners = new Set();

export function onUserChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function changed() { for (const fn of listeners) fn(session.user); }

/** Ask the server who we are; a GET also makes it set the csrftoken cookie.
 * `GET /api/session` answers a signed-out visitor with 200 `{signed_in: false}` (where
 * `/api/me` says 401), so a visitor's console shows no failed request. */
export async function loadMe() {
  try {
    const answer = await get('/api/session');
    session.user = answer && answer.signed_in ? answer.user : null;
    if (session.user) remember(session.user);
  } catch (err) {
    if (err.status === 401 || err.status === 403) session.user = null;
    else if (!err.isNetwork) session.user = null;
  }
  return session.user;
}

export async function login(email, password) {
  const res = await api('POST', '/api/auth/login', { email, password });
  await loadMe();
  if (!session.user && res && res.user) session.user = res.user;
  live.restart();
  changed();
  return session.user;
}

export async function register(email, password, displayName) {
  await api('POST', '/api/auth/register', { email, password, display_name: displayName });
  return login(email, password);
}

export async function logout() {
  try { await post('/api/auth/logout'); } catch (err) { if (err.status !== 401) throw err; }
  session.user = null;
  session.moderatesSomething = false;
  live.restart();
  changed();
}

export function userId() { return session.user ? session.user.id : null; }

export function isGlobalModerator() {
  const role = session.user && session.user.role;
  return role === 'admin' || role === 'moderator';
}

/** Admin, global moderator, or named in the space's moderator_ids. */
export function canModerate(space) {
  if (!session.user) return false;
  if (isGlobalModerator()) return true;
  const ids = (space && Array.isArray(space.moderator_ids)) ? space.moderator_ids : [];
  return ids.map(Number).includes(Number(session.user.id));
}

/** Does this person moderate any space? Decides whether the moderation link is shown. */
export function mayOpenModeration(spaces) {
  if (!session.user) return false;
  if (isGlobalModerator()) return true;
  return (spaces || []).some((s) => canModerate(s));
}

/** Views call this when they learn the person moderates a space (shows the moderation link). */
export function noteModerator(flag) {
  if (flag && session.user && !session.moderatesSomething) { session.moderatesSomething = true; changed(); }
}
