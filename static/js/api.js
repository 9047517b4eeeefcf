// HTTP access to the forum API: same-origin fetch with the session cookie, the CSRF header
// on unsafe methods, and problem+json errors turned into ApiError, whose `detail` is worded
// in the reader's language where the problem's codes allow (problems.js).

import { describeProblem } from './problems.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class ApiError extends Error {
  constructor(status, detail, problem = null, retryAfter = null, englishDetail = null) {
    super(detail);
    this.status = status; // 0 means the network failed: the request may be retried
    this.detail = detail;
    this.englishDetail = englishDetail || detail; // the server's own words
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
  get isNetwork() { return this.status === 0; }
}

/** Difference between the server's clock and ours, in ms (server = Date.now() + offset). */
export let clockOffset = 0;

export function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...rest] = part.trim().split('=');
    if (k === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

function csrfToken() { return readCookie('csrftoken'); }

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, credentials: 'same-origin', headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (UNSAFE.has(method)) {
    const token = csrfToken();
    if (token) headers['x-csrftoken'] = token;
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'network', null);
  }
  const date = res.headers.get('Date');
  if (date) {
    const server = Date.parse(date);
    if (!Number.isNaN(server)) clockOffset = server - Date.now();
  }
  return res;
}

async function parse(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return text; }
}

/** Call the API. Returns parsed JSON (or null for 204); throws ApiError. */
export async function api(method, path, body) {
  let res = await send(method, path, body);
  // A missing or stale CSRF cookie: a safe request makes the server set it; retry once.
  if (res.status === 403 && UNSAFE.has(method) && !path.startsWith('/api/auth/login')) {
    const peek = await res.clone().text();
    if (/csrf/i.test(peek)) {
      await send('GET', '/api/session');
      res = await send(method, path, body);
    }
  }
  const data = await parse(res);
  if (!res.ok) {
    const problem = data && typeof data === 'object' ? data : null;
    const detail = (problem && (problem.detail || problem.title)) || (typeof data === 'string' && data) || res.statusText || `HTTP ${res.status}`;
    const retry = res.headers.get('Retry-After');
    const retryAfter = retry ? Number(retry) : null;
    const worded = describeProblem(problem, retryAfter);
    throw new ApiError(res.status, worded || String(detail), problem, retryAfter, String(detail));
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/** The items of a list response, whatever its exact shape. */
export function itemsOf(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

/** Follow `next` cursors until the list ends (or `max` items). */
export async function getAll(path, max = 500) {
  const out = [];
  let url = path;
  for (let i = 0; i < 20 && url; i += 1) {
    const data = await get(url);
    out.push(...itemsOf(data));
    const next = data && !Array.isArray(data) ? data.next : null;
    if (!next || out.length >= max) break;
    url = `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(next)}`;
  }
  return out;
}

/** Posts and messages page by number: fetch everything with number > after. */
export async function getNumbered(path, after = 0, limit = 100) {
  const out = [];
  let cursor = after;
  for (let i = 0; i < 50; i += 1) {
    const page = itemsOf(await get(`${path}?after=${cursor}&limit=${limit}`));
    out.push(...page);
    if (page.length < limit) break;
    const last = page[page.length - 1];
    if (!last || typeof last.number !== 'number' || last.number <= cursor) break;
    cursor = last.number;
  }
  return out;
}

/** A client id for idempotent sends. */
export function newClientId() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
