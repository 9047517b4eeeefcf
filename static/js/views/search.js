// Search (#/search?q=…&kind=…): the words, the filters, and the hits page by page. A hit's
// snippet is HTML whose only markup is <mark>; it is rebuilt here from text nodes and <mark>
// elements, never inserted as HTML.

import { h, mount, field, announce } from '../dom.js';
import { t, tn, formatDate } from '../i18n.js';
import { get, getAll } from '../api.js';
import { nameOf } from '../people.js';

const KINDS = ['threads', 'posts', 'messages', 'harvests'];
const ROLES = ['admin', 'moderator', 'focal_point', 'lcipp', 'observer'];
const FILTERS = ['kind', 'space', 'role', 'party', 'since', 'until', 'order'];
const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'", '&#39;': "'" };

/** The search's parameters, from the part of the address after '?'. */
export function searchParams() {
  const raw = location.hash.replace(/^#/, '');
  const at = raw.indexOf('?');
  return new URLSearchParams(at >= 0 ? raw.slice(at + 1) : '');
}

/** The address of a search. */
export function searchHash(params) {
  const kept = new URLSearchParams();
  for (const [key, value] of params) if (value) kept.set(key, value);
  return `#/search?${kept.toString()}`;
}

/** The snippet's text, with the words found in <mark>: DOM nodes only. */
export function snippetNodes(snippet) {
  const nodes = [];
  let inMark = false;
  for (const part of String(snippet || '').split(/(<mark>|<\/mark>)/)) {
    if (part === '<mark>') { inMark = true; continue; }
    if (part === '</mark>') { inMark = false; continue; }
    if (!part) continue;
    const text = part.replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, (m) => ENTITIES[m]);
    nodes.push(inMark ? h('mark', { text }) : document.createTextNode(text));
  }
  return nodes;
}

function hitLink(hit) {
  if (hit.thread) return { href: `#/thread/${hit.thread.id}`, text: hit.thread.title };
  if (hit.table) return { href: `#/cafe/${hit.table.cafe_id}`, text: `${hit.table.cafe_title}: ${hit.table.topic}` };
  return { href: `#/space/${encodeURIComponent(hit.space.slug)}`, text: hit.space.title };
}

function hitItem(hit) {
  const link = hitLink(hit);
  return h('li', { class: 'search-hit' },
    h('p', { class: 'small' },
      h('span', { class: 'badge', text: t(`search_kind_${hit.kind}s`) }), ' ',
      h('a', { href: link.href, dir: 'auto', text: link.text })),
    h('p', { class: 'snippet', dir: 'auto' }, snippetNodes(hit.snippet)),
    h('p', { class: 'muted small' }, t('search_hit_meta', {
      author: nameOf(hit.author), when: formatDate(hit.created_at), space: hit.space.title,
    })),
  );
}

function select(name, options, value) {
  return h('select', { name }, options.map(([v, label]) => h('option', { value: v, text: label, selected: v === value })));
}

export async function render(main) {
  const params = searchParams();
  const q = (params.get('q') || '').trim();
  let spaces = [];
  try { spaces = await getAll('/api/spaces'); } catch (err) { if (err.isNetwork) throw err; }
  const words = h('input', { type: 'search', name: 'q', value: q, maxlength: 200, dir: 'auto', autocomplete: 'off' });
  const controls = {
    kind: select('kind', [['', t('search_any')], ...KINDS.map((k) => [k, t(`search_kind_${k}`)])], params.get('kind') || ''),
    space: select('space', [['', t('search_any')], ...spaces.map((s) => [s.slug, s.title || s.slug])], params.get('space') || ''),
    role: select('role', [['', t('search_any')], ...ROLES.map((r) => [r, t(`role_${r}`)])], params.get('role') || ''),
    party: h('input', { type: 'text', name: 'party', value: params.get('party') || '', maxlength: 3, size: 4, autocomplete: 'off', pattern: '[A-Za-z]{3}' }),
    since: h('input', { type: 'date', name: 'since', value: params.get('since') || '' }),
    until: h('input', { type: 'date', name: 'until', value: params.get('until') || '' }),
    order: select('order', [['', t('search_order_relevance')], ['newest', t('search_order_newest')]], params.get('order') || ''),
  };
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'stack card', role: 'search', 'aria-label': t('search_label'), novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    if (!words.value.trim()) { error.textContent = t('search_enter_words'); words.focus(); return; }
    const next = new URLSearchParams({ q: words.value.trim() });
    for (const name of FILTERS) next.set(name, name === 'party' ? controls.party.value.trim().toUpperCase() : controls[name].value);
    location.hash = searchHash(next);
  } },
  field(t('search_words'), words, t('search_words_hint')),
  h('fieldset', { class: 'row wrap' },
    h('legend', { text: t('search_filters') }),
    field(t('search_kind'), controls.kind),
    field(t('search_space'), controls.space),
    field(t('search_role'), controls.role),
    field(t('search_party'), controls.party),
    field(t('search_since'), controls.since),
    field(t('search_until'), controls.until),
    field(t('search_order'), controls.order)),
  error,
  h('div', { class: 'row' }, h('button', { type: 'submit', text: t('search_button') })));

  const results = h('section', { 'aria-labelledby': 'search-results-h' });
  mount(main, h('h1', { text: t('search_title') }), form, results);
  if (!q) return;

  const query = new URLSearchParams({ q });
  for (const name of FILTERS) {
    let value = params.get(name);
    if (!value) continue;
    // A date is the whole day: from its first moment, until its last.
    if (name === 'since' && /^\d{4}-\d{2}-\d{2}$/.test(value)) value = `${value}T00:00:00Z`;
    if (name === 'until' && /^\d{4}-\d{2}-\d{2}$/.test(value)) value = `${value}T23:59:59.999Z`;
    query.set(name, value);
  }
  const list = h('ol', { class: 'plain-list search-hits' });
  const more = h('button', { type: 'button', class: 'secondary', text: t('search_more'), hidden: true });
  let cursor = null;
  let shown = 0;
  const load = async () => {
    if (cursor) query.set('cursor', cursor);
    more.disabled = true;
    try {
      const page = await get(`/api/search?${query.toString()}`);
      const first = list.children.length;
      for (const hit of page.items) list.appendChild(hitItem(hit));
      shown += page.items.length;
      cursor = page.next;
      more.hidden = !cursor;
      announce(shown ? tn('p_search_shown', shown) : t('search_no_results'));
      // Keyboard users land on the first new hit after "More".
      const firstNew = list.children[first];
      if (first && firstNew) { const a = firstNew.querySelector('a'); if (a) a.focus(); }
      if (!shown) mount(list, h('li', { text: t('search_no_results') }));
    } catch (err) {
      if (err.isNetwork) { error.textContent = t('error_network'); return; }
      error.textContent = err.detail || t('error_generic');
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', load);
  mount(results, h('h2', { id: 'search-results-h', text: t('search_results') }), list, more);
  await load();
}
