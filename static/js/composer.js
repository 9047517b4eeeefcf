// The message composer shared by threads and café tables: a labelled textarea, a safe
// preview, a send button, reply-to, and an outbox that keeps unsent text through outages.

import { h, uid, announce } from './dom.js';
import { t } from './i18n.js';
import { preview } from './markdown.js';
import { Outbox } from './outbox.js';
import { attachMentions } from './mentions.js';

const DRAFT = 'forum.draft.';

function loadDraft(key) { try { return localStorage.getItem(DRAFT + key) || ''; } catch { return ''; } }
function saveDraft(key, text) {
  try { if (text) localStorage.setItem(DRAFT + key, text); else localStorage.removeItem(DRAFT + key); } catch { /* ignore */ }
}

/**
 * options: {key, path, label, withPreview, onSent(result), submitLabel, onPending(item|null, state)}
 * Returns {el, focus(), setReply(post|null), retarget(key, path), close()}.
 */
export function createComposer(options) {
  const id = uid('composer');
  let { key, path } = options;
  let replyTo = null;
  const orphans = new Set();

  const textarea = h('textarea', { id, name: 'body', rows: 4, required: true, dir: 'auto', 'aria-describedby': `${id}-status` });
  // attention: `@` offers people to mention (its key handler goes before the send shortcut).
  const mentionList = attachMentions(textarea);
  const status = h('p', { id: `${id}-status`, class: 'small muted', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const replying = h('p', { class: 'replying', hidden: true });
  const sendBtn = h('button', { type: 'submit', text: options.submitLabel || t('send') });
  const retryBtn = h('button', { type: 'button', class: 'secondary', text: t('retry_now'), hidden: true, onclick: () => outbox.flush() });
  const editBtn = h('button', { type: 'button', class: 'secondary', text: t('edit_again'), hidden: true, onclick: () => { outbox.cancel(); textarea.focus(); } });
  const previewBox = h('div', { class: 'preview', id: `${id}-preview`, hidden: true, role: 'region', 'aria-label': t('preview'), dir: 'auto' });
  const previewBtn = options.withPreview
    ? h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-controls': `${id}-preview`, text: t('preview'), onclick: togglePreview })
    : null;

  const form = h('form', { class: 'composer stack', novalidate: true, onsubmit: (e) => { e.preventDefault(); submit(); } },
    replying,
    h('label', { for: id, text: options.label || t('your_message') }),
    textarea,
    mentionList,
    previewBox,
    h('div', { class: 'row' }, sendBtn, previewBtn, retryBtn, editBtn, h('span', { class: 'small muted', text: t('markdown_hint') })),
    status,
    error,
  );

  textarea.addEventListener('input', () => {
    saveDraft(key, textarea.value);
    if (!previewBox.hidden) renderPreview();
  });
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
  });

  function togglePreview() {
    const show = previewBox.hidden;
    previewBox.hidden = !show;
    previewBtn.setAttribute('aria-expanded', String(show));
    if (show) renderPreview();
  }
  function renderPreview() {
    previewBox.replaceChildren(textarea.value.trim() ? preview(textarea.value) : h('p', { class: 'muted', text: t('nothing_to_preview') }));
  }

  function onChange(state, err, result, item) {
    error.textContent = '';
    retryBtn.hidden = editBtn.hidden = true;
    if (state === 'sending') {
      textarea.readOnly = true;
      sendBtn.disabled = true;
      status.textContent = t('sending');
    } else if (state === 'queued') {
      textarea.readOnly = true;
      sendBtn.disabled = true;
      retryBtn.hidden = editBtn.hidden = false;
      status.textContent = t('queued_offline');
    } else if (state === 'failed') {
      textarea.readOnly = false;
      sendBtn.disabled = false;
      status.textContent = '';
      if (item && !textarea.value) textarea.value = item.body;
      error.textContent = err ? err.detail : t('error_generic');
    } else {
      textarea.readOnly = false;
      sendBtn.disabled = false;
      status.textContent = '';
      if (item) {
        if (textarea.value === item.body) textarea.value = '';
        saveDraft(key, textarea.value);
        setReply(null);
        // Sent: the preview of what was sent closes with it (issue 13).
        if (previewBtn && !previewBox.hidden) togglePreview();
        announce(t('sent'));
      }
      if (result && options.onSent) options.onSent(result);
    }
    // The line on its way, for the timeline to show as "Sending…" until the server has it.
    if (options.onPending) options.onPending(state === 'sending' || state === 'queued' ? outbox.pending() : null, state);
  }

  let outbox = new Outbox(key, path, onChange);

  function restore() {
    const pending = outbox.pending();
    if (pending) {
      textarea.value = pending.body;
      if (pending.reply_to) replyTo = { number: null, id: pending.reply_to };
      outbox.flush();
    } else {
      textarea.value = loadDraft(key);
    }
  }

  function submit() {
    if (outbox.pending()) { outbox.flush(); return; }
    const body = textarea.value.trim();
    if (!body) { error.textContent = t('error_empty'); textarea.focus(); return; }
    const extra = replyTo && replyTo.id ? { reply_to: replyTo.id } : {};
    outbox.send(body, extra);
    textarea.value = body;
  }

  function setReply(post) {
    replyTo = post;
    if (!post) { replying.hidden = true; replying.replaceChildren(); return; }
    replying.hidden = false;
    replying.replaceChildren(
      t('replying_to', { number: post.number, name: (post.author && post.author.display_name) || '' }), ' ',
      h('button', { type: 'button', class: 'link-button', text: t('cancel_reply'), onclick: () => { setReply(null); textarea.focus(); } }),
    );
    textarea.focus();
  }

  /** Point the composer at another target (a new café table) without losing typed text. */
  function retarget(newKey, newPath) {
    if (newKey === key) return;
    const typed = outbox.pending() ? '' : textarea.value;
    if (outbox.pending()) {
      // A queued line still belongs to the old table: let it finish there in the background.
      const old = outbox;
      old.onChange = (state) => { if (state === 'idle' || state === 'failed') { old.close(); orphans.delete(old); } };
      orphans.add(old);
    } else {
      outbox.close();
    }
    saveDraft(key, '');
    key = newKey;
    path = newPath;
    outbox = new Outbox(key, path, onChange);
    onChange('idle');
    restore();
    if (!outbox.pending() && typed) { textarea.value = typed; saveDraft(key, typed); }
  }

  restore();

  return {
    el: form,
    textarea,
    focus: () => textarea.focus(),
    setReply,
    retarget,
    close: () => { outbox.close(); for (const o of orphans) o.close(); },
  };
}
