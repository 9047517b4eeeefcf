// The mention autocomplete of the composer: typing `@an` offers the people whose handle or
// name begins so (GET /api/users?prefix=); arrows move, Enter or Tab picks, Escape closes.
// The textarea keeps its own role; the list is tied to it with aria-controls and
// aria-activedescendant, and the number of suggestions is spoken through the live region.

import { h, uid, announce } from './dom.js';
import { t, tn } from './i18n.js';
import { get } from './api.js';

const BEFORE_CARET = /(^|[^\w@/.])@([A-Za-z0-9][A-Za-z0-9_.-]{0,29})$/;
const WAIT_MS = 150;

export function attachMentions(textarea) {
  const id = uid('mentions');
  const list = h('ul', { id, class: 'mention-list', role: 'listbox', 'aria-label': t('mention_suggestions'), hidden: true });
  textarea.setAttribute('aria-autocomplete', 'list');
  let users = [];
  let active = -1;
  let timer = null;
  let asked = '';

  function close() {
    list.hidden = true;
    list.replaceChildren();
    users = [];
    active = -1;
    textarea.removeAttribute('aria-controls');
    textarea.removeAttribute('aria-activedescendant');
  }

  function current() {
    const m = textarea.value.slice(0, textarea.selectionStart).match(BEFORE_CARET);
    return m ? m[2] : null;
  }

  function paint() {
    list.replaceChildren(...users.map((u, i) => h('li', {
      id: `${id}-${i}`, role: 'option', class: i === active ? 'active' : null, 'aria-selected': String(i === active),
      onmousedown: (e) => { e.preventDefault(); pick(i); },
    }, h('span', { dir: 'ltr', text: `@${u.handle}` }), ' ', h('span', { class: 'muted small', dir: 'auto', text: u.display_name }))));
    list.hidden = !users.length;
    if (users.length) textarea.setAttribute('aria-controls', id);
    if (active >= 0) textarea.setAttribute('aria-activedescendant', `${id}-${active}`);
    else textarea.removeAttribute('aria-activedescendant');
  }

  async function lookUp(prefix) {
    asked = prefix;
    try {
      const found = await get(`/api/users?prefix=${encodeURIComponent(prefix)}`);
      if (asked !== prefix || current() !== prefix) return;
      users = found;
      active = found.length ? 0 : -1;
      paint();
      announce(found.length ? tn('mention_count', found.length) : t('mention_none'));
    } catch { close(); }
  }

  function pick(i) {
    const u = users[i];
    if (!u) return;
    const caret = textarea.selectionStart;
    const before = textarea.value.slice(0, caret).replace(/@[A-Za-z0-9_.-]*$/, `@${u.handle} `);
    textarea.value = before + textarea.value.slice(caret);
    textarea.selectionStart = textarea.selectionEnd = before.length;
    close();
    textarea.dispatchEvent(new Event('input'));
    textarea.focus();
  }

  textarea.addEventListener('input', () => {
    const prefix = current();
    clearTimeout(timer);
    if (!prefix) { close(); return; }
    timer = setTimeout(() => lookUp(prefix), WAIT_MS);
  });
  textarea.addEventListener('keydown', (e) => {
    if (list.hidden || !users.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : users.length - 1)) % users.length;
      paint();
    } else if ((e.key === 'Enter' && !e.ctrlKey && !e.metaKey) || e.key === 'Tab') {
      e.preventDefault();
      e.stopImmediatePropagation();
      pick(active < 0 ? 0 : active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  textarea.addEventListener('blur', () => setTimeout(close, 100));
  return list;
}
