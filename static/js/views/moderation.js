// The moderators' page (#/moderation): the queue of pending and flagged posts with approve,
// reject (with a reason) and hide, and the audit log of every moderator action.

import { h, mount, append, setServerHtml, announce, field, uid } from '../dom.js';
import { t, formatDate } from '../i18n.js';
import { get, post, getAll, itemsOf } from '../api.js';
import { session } from '../session.js';
import { personBadge, nameOf } from '../people.js';

function describe(value) {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  if (value.display_name) return value.display_name;
  if (value.type && value.id !== undefined) return `${value.type} ${value.id}`;
  if (value.title) return value.title;
  if (value.id !== undefined) return `#${value.id}`;
  return JSON.stringify(value);
}

export async function render(main, params, ctx) {
  if (!session.user) { ctx.requireSignIn(); return; }
  const queueBox = h('div');
  const logBox = h('div');
  mount(main,
    h('h1', { text: t('moderation_title') }),
    h('section', { 'aria-labelledby': 'queue-h' }, h('h2', { id: 'queue-h', text: t('queue_title') }), queueBox),
    h('section', { 'aria-labelledby': 'log-h' }, h('h2', { id: 'log-h', text: t('log_title') }), logBox),
  );

  async function loadQueue() {
    let items;
    try { items = itemsOf(await get('/api/moderation/queue?limit=100')); } catch (err) {
      mount(queueBox, h('p', { class: 'error', role: 'alert', text: err.status === 403 ? t('not_a_moderator') : err.detail }));
      return;
    }
    mount(queueBox, items.length ? h('ul', { class: 'posts' }, items.map(queueItem)) : h('p', { class: 'muted', text: t('queue_empty') }));
  }

  function queueItem(item) {
    const p = item.post || item;
    const flags = Array.isArray(item.flags) ? item.flags : [];
    const error = h('p', { class: 'error', role: 'alert' });
    const reasonId = uid('reason');
    const reason = h('input', { type: 'text', id: reasonId, name: 'reason', maxlength: 500 });
    const body = h('div', { class: 'body', dir: 'auto' });
    if (p.html) setServerHtml(body, p.html); else body.textContent = p.body || '';
    const li = h('li', { class: `post${p.status === 'pending' ? ' is-pending' : ''}`, dataset: { id: String(p.id) } });
    const act = async (action, needsReason) => {
      error.textContent = '';
      if (needsReason && !reason.value.trim()) { error.textContent = t('reason_required'); reason.focus(); return; }
      try {
        await post(`/api/posts/${p.id}/${action}`, needsReason ? { reason: reason.value.trim() } : {});
        announce(t(`done_${action}`));
        const next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        (next && next.querySelector('button')) ? next.querySelector('button').focus() : main.querySelector('h2')?.focus();
        if (!queueBox.querySelector('li')) mount(queueBox, h('p', { class: 'muted', text: t('queue_empty') }));
        loadLog();
      } catch (err) { error.textContent = err.detail || t('error_generic'); }
    };
    append(li, [
      h('header', {}, personBadge(p.author),
        p.status === 'pending' ? h('span', { class: 'badge pending', text: t('pending_badge') }) : null,
        flags.length || item.flag_count ? h('span', { class: 'badge hidden', text: t('flagged_n', { n: flags.length || item.flag_count }) }) : null,
        h('time', { class: 'muted small', datetime: p.created_at || '', text: formatDate(p.created_at) })),
      h('p', { class: 'small' }, h('a', { href: `#/thread/${p.thread_id}`, text: item.thread_title || (item.thread && item.thread.title) || t('open_thread_n', { id: p.thread_id }) }),
        item.space ? h('span', { class: 'muted', text: ` · ${describe(item.space)}` }) : null),
      body,
      flags.length ? h('ul', { class: 'small' }, flags.map((f) => h('li', { text: `${t(`flag_${f.reason}`)}${f.note ? `: ${f.note}` : ''}${f.user || f.reporter ? ` (${nameOf(f.user || f.reporter)})` : ''}` }))) : null,
      field(t('reason'), reason, t('reason_hint')),
      h('div', { class: 'actions' },
        p.status === 'pending' ? h('button', { type: 'button', class: 'small', text: t('approve'), onclick: () => act('approve', false) }) : null,
        p.status === 'pending' ? h('button', { type: 'button', class: 'danger small', text: t('reject'), onclick: () => act('reject', true) }) : null,
        p.status !== 'hidden' ? h('button', { type: 'button', class: 'danger small', text: t('hide'), onclick: () => act('hide', true) }) : null),
      error]);
    return li;
  }

  async function loadLog() {
    let items;
    try { items = await getAll('/api/moderation/log?limit=100', 200); } catch (err) {
      mount(logBox, h('p', { class: 'error', role: 'alert', text: err.detail }));
      return;
    }
    if (!items.length) { mount(logBox, h('p', { class: 'muted', text: t('log_empty') })); return; }
    mount(logBox, h('table', { class: 'log' },
      h('caption', { class: 'visually-hidden', text: t('log_title') }),
      h('thead', {}, h('tr', {}, ['log_when', 'log_actor', 'log_action', 'log_target', 'log_reason'].map((k) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, items.map((e) => h('tr', {},
        h('td', {}, h('time', { datetime: e.at || '', text: formatDate(e.at) })),
        h('td', { text: describe(e.actor) }),
        h('td', { text: e.action || '' }),
        h('td', { text: describe(e.target) }),
        h('td', { dir: 'auto', text: e.reason || '' }))))));
  }

  await Promise.all([loadQueue(), loadLog()]);
}
