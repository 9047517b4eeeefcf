// Interface language: picks one of the six UN languages, loads only its translation file,
// sets lang/dir on <html>, and formats text, dates and durations.

export const LANGUAGES = ['ar', 'zh', 'en', 'fr', 'ru', 'es'];
const RTL = new Set(['ar']);
const STORAGE_KEY = 'forum.lang';

let current = 'en';
let strings = {};
const listeners = new Set();

export function lang() { return current; }

/** The language to start with: remembered choice, else the browser's preference, else English. */
export function preferredLanguage() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (LANGUAGES.includes(saved)) return saved;
  } catch { /* storage may be disabled */ }
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

export async function setLanguage(code, { remember = false } = {}) {
  const next = LANGUAGES.includes(code) ? code : 'en';
  const url = new URL(`../i18n/${next}.json`, import.meta.url);
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`cannot load ${url}`);
  strings = await res.json();
  current = next;
  const root = document.documentElement;
  root.lang = next;
  root.dir = RTL.has(next) ? 'rtl' : 'ltr';
  if (remember) {
    try { localStorage.setItem(STORAGE_KEY, next); } catch { /* ignore */ }
  }
  translateStatic(document);
  for (const fn of listeners) fn(next);
}

export function onLanguageChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/** Whether the loaded language has a string for key. */
export function has(key) { return Object.prototype.hasOwnProperty.call(strings, key); }

/** Translate a key, replacing {placeholders} from vars: t('round_n', {n: 2}). */
export function t(key, vars) {
  let s = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  return s;
}

/**
 * A text with a count, in the plural form the language needs: the key's variants are
 * `key.one`, `key.few`, `key.many`, `key.other`… (the categories of Intl.PluralRules for
 * the language; `key.other` always exists). `{count}` is the number in the interface's
 * digits: tn('p_posts', 3) -> "3 posts", in Russian "3 сообщения".
 */
export function tn(key, count, vars) {
  let category = 'other';
  try { category = new Intl.PluralRules(current).select(Number(count)); } catch { /* other */ }
  const wanted = `${key}.${category}`;
  const name = Object.prototype.hasOwnProperty.call(strings, wanted) ? wanted : `${key}.other`;
  return t(name, { count: formatNumber(count), ...(vars || {}) });
}

/** Elements in index.html carry data-i18n (text) and data-i18n-aria-label. */
export function translateStatic(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  document.title = t('app_name');
}

// One formatter per language and kind: making an Intl formatter costs far more than using
// it (a long list of posts or threads used to make one per date and number shown).
const formatters = new Map();
function formatter(kind, make) {
  const key = `${kind}:${current}`;
  let f = formatters.get(key);
  if (!f) { f = make(); formatters.set(key, f); }
  return f;
}

export function formatDate(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  try {
    return formatter('date', () => new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' })).format(d);
  } catch { return d.toISOString(); }
}

export function formatNumber(n) {
  try { return formatter('number', () => new Intl.NumberFormat(current)).format(n); } catch { return String(n); }
}

/** mm:ss (or h:mm:ss) for a countdown, in the interface's digits. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const nf = formatter('two-digits', () => new Intl.NumberFormat(current, { minimumIntegerDigits: 2, useGrouping: false }));
  return h ? `${h}:${nf.format(m)}:${nf.format(s)}` : `${nf.format(m)}:${nf.format(s)}`;
}

export function roleLabel(role) {
  return role ? t(`role_${role}`) : '';
}
