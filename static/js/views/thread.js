// One thread (#/thread/{id}), chat-style: posts in order, live updates applied in place,
// the composer (reply, preview, queued sends), editing and deleting one's own posts, and
// the moderator's tools (approve, hide, pin, lock, move). Also: "(edited)" opens the post's
// earlier versions, a line on its way shows as "Sending…" in the timeline, and the tab's
// title counts the live posts the reader has not seen yet.

import { h, mount, setServerHtml, announce, field } from '../dom.js';
import { t, tn, formatDate } from '../i18n.js';
import { get, patch, post, put, del, getAll, getNumbered } from '../api.js';
import { session, canModerate, userId, noteModerator } from '../session.js';
import { live } from '../live.js';
import { personBadge, nameOf, remember } from '../people.js';
import { createComposer } from '../composer.js';
import { slugOf } from './space.js';
import { levelSelect } from './preferences.js';
import { renderArchive } from '../archive.js';

export async function render(main, [idText], ctx) {
  const threadId = Number(idText);
  const topic = `thread:${threadId}`;
  const posts = new Map(); // id -> post
  const elements = new Map(); // id -> <li>
  const editing = new Set();
  let loaded = false;
  let thread = null;
  let space = null;
  let composer = null;

  const list = h('ol', { class: 'posts', 'aria-label': t('posts') });
  const header = h('div');
  const composerBox = h('div');
  const liveError = h('p', { class: 'error', role: 'alert' });
  // attention: "n new posts ↓" while the reader is scrolled up, and their read position.
  let unseen = [];
  const newPostsBtn = h('button', { type: 'button', class: 'new-posts', hidden: true, onclick: showUnseen });
  const levelBox = h('div');
  let readTimer = null;
  let readSent = 0;
  // The tab's title: "(3) Thread title – forum" while live posts wait to be seen.
  let unseenForTitle = 0;
  // "(edited)": the revisions shown (post id -> items, or null while they load).
  const revisions = new Map();
  // The composer's line on its way ({client_id, body, reply_to}) and its timeline entry.
  let sendingEl = null;
  let sendingClientId = null;

  // Listen before reading, so nothing said in between is missed.
  const unsubscribe = live.subscribe(topic, onEvent);
  const onScroll = () => { if (atBottom() && !document.hidden) { clearUnseen(); markReadSoon(); } };
  window.addEventListener('scroll', onScroll, { passive: true });
  const onVisibility = () => { if (!document.hidden && atBottom()) { clearUnseen(); markReadSoon(); } };
  document.addEventListener('visibilitychange', onVisibility);
  const cleanup = () => {
    unsubscribe();
    window.removeEventListener('scroll', onScroll);
    document.removeEventListener('visibilitychange', onVisibility);
    document.title = t('app_name');
    if (readTimer) { clearTimeout(readTimer); readTimer = null; sendRead(); }
    if (composer) composer.close();
  };

  // The posts are read beside the thread (not after it), and drawn in the same go as the
  // page around them: the composer does not appear and then jump down (layout shift).
  const firstPosts = getNumbered(`/api/threads/${threadId}/posts`, 0);
  firstPosts.catch(() => {}); // awaited below; a failure is thrown from there
  let initialPosts;
  try {
    thread = await get(`/api/threads/${threadId}`);
    space = await get(`/api/spaces/${encodeURIComponent(slugOf(thread.space))}`).catch(() => null);
    initialPosts = await firstPosts;
  } catch (err) {
    cleanup();
    throw err;
  }
  const moderator = () => canModerate(space || {});
  noteModerator(moderator());
  remember(thread.author);

  mount(main,
    h('p', { class: 'crumbs' },
      h('a', { href: '#/', text: t('nav_spaces') }), ' › ',
      h('a', { href: `#/space/${encodeURIComponent(slugOf(thread.space))}`, text: (space && space.title) || slugOf(thread.space) })),
    header,
    levelBox,
    liveError,
    h('section', { 'aria-labelledby': 'posts-h' }, h('h2', { id: 'posts-h', class: 'visually-hidden', text: t('posts') }), list),
    composerBox,
    newPostsBtn,
  );
  renderHeader();
  renderComposer();
  renderLevel();
  renderTitle();

  for (const p of initialPosts) upsert(p, { quiet: true });
  loaded = true;
  // The whole thread is on screen already: it is read.
  if (atBottom()) markReadSoon();

  function atBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 80;
  }

  function clearUnseen() {
    unseen = [];
    newPostsBtn.hidden = true;
    unseenForTitle = 0;
    renderTitle();
  }

  function noteUnseen(el) {
    unseenForTitle += 1;
    renderTitle();
    if (atBottom()) return; // in view, the tab was hidden: the title alone says it
    unseen.push(el);
    newPostsBtn.textContent = tn('p_new_posts_below', unseen.length);
    newPostsBtn.hidden = false;
  }

  /** The tab's title names the thread, with the count of live posts not seen yet. */
  function renderTitle() {
    if (!ctx.isCurrent() || !thread) return;
    const vars = { title: thread.title, app: t('app_name') };
    document.title = unseenForTitle ? t('tab_title_unread', { ...vars, count: unseenForTitle }) : t('tab_title', vars);
  }

  function showUnseen() {
    const first = unseen.find((el) => el.isConnected);
    clearUnseen();
    if (first) { first.scrollIntoView({ block: 'start' }); first.focus(); }
    markReadSoon();
  }

  /** The reader has seen the end of the thread: tell the server, at most once a second. */
  function markReadSoon() {
    if (!session.user || readTimer) return;
    readTimer = setTimeout(() => { readTimer = null; sendRead(); }, 1000);
  }

  function sendRead() {
    const number = maxNumber();
    if (number > readSent) {
      readSent = number;
      post(`/api/threads/${threadId}/read`, { number }).catch(() => { readSent = 0; });
    }
  }

  async function renderLevel() {
    if (!session.user) { mount(levelBox); return; }
    try {
      const { level } = await get(`/api/threads/${threadId}/watch`);
      mount(levelBox, levelSelect(t('thread_level'), level, async (next, select) => {
        try { await put(`/api/threads/${threadId}/watch`, { level: next }); announce(t('saved')); } catch (err) { liveError.textContent = err.detail || t('error_generic'); select.focus(); }
      }));
    } catch { mount(levelBox); }
  }

  function maxNumber() {
    let max = 0;
    for (const p of posts.values()) if (p.number > max) max = p.number;
    return max;
  }

  async function catchUp(all = false) {
    if (!loaded || !ctx.isCurrent()) return;
    try {
      const fresh = await getNumbered(`/api/threads/${threadId}/posts`, all ? 0 : maxNumber());
      for (const p of fresh) upsert(p);
    } catch { /* the next reconnect will try again */ }
  }

  function onEvent(ev) {
    const data = ev.data || {};
    switch (ev.type) {
      case 'subscribed': catchUp(); break;
      case 'resync':
        catchUp(true);
        get(`/api/threads/${threadId}`).then((th) => { thread = th; renderHeader(); renderComposer(); }).catch(() => {});
        break;
      case 'post.created':
        upsert(data);
        break;
      case 'post.updated':
        upsert(data);
        // An edit while its earlier versions are open: they gain one.
        if (revisions.has(data.id) && posts.has(data.id)) { revisions.delete(data.id); toggleRevisions(posts.get(data.id), { focus: false }); }
        break;
      case 'post.hidden': onHidden(data); break;
      case 'post.deleted': onDeleted(data); break;
      case 'thread.updated':
        if (data && data.id !== undefined) {
          const wasLocked = thread.locked;
          thread = { ...thread, ...data };
          renderHeader();
          if (wasLocked !== thread.locked) { renderComposer(); announce(thread.locked ? t('thread_locked_now') : t('thread_unlocked_now')); }
          if (slugOf(thread.space) !== (space && space.slug)) {
            get(`/api/spaces/${encodeURIComponent(slugOf(thread.space))}`).then((s) => { space = s; renderHeader(); }).catch(() => {});
          }
        }
        break;
      case 'error':
        if (ev.code === 'not_found' || ev.code === 'forbidden') liveError.textContent = ev.detail || t('live_unavailable');
        break;
      default:
    }
  }

  function findPost(data) {
    if (data.id !== undefined && posts.has(data.id)) return posts.get(data.id);
    for (const p of posts.values()) if (data.number !== undefined && p.number === data.number) return p;
    return null;
  }

  function isMine(p) { return p.author && Number(p.author.id) === Number(userId()); }

  function onHidden(data) {
    const existing = findPost(data);
    const merged = { ...(existing || {}), ...data, status: 'hidden' };
    if (moderator() || (existing && isMine(existing))) {
      if (merged.body !== undefined || existing) upsert(merged);
    } else {
      removePost(merged);
    }
  }

  function onDeleted(data) {
    const existing = findPost(data);
    if (!existing) return;
    upsert({ ...existing, ...data, status: 'deleted', body: '', html: '' });
  }

  function removePost(p) {
    const existing = findPost(p);
    const id = existing ? existing.id : p.id;
    posts.delete(id);
    const el = elements.get(id);
    if (el) {
      const hadFocus = el.contains(document.activeElement);
      el.remove();
      elements.delete(id);
      if (hadFocus) main.querySelector('h1')?.focus();
    }
  }

  function visible(p) {
    if (p.status === 'hidden' || p.status === 'pending') return moderator() || isMine(p);
    return true;
  }

  function upsert(p, { quiet = false } = {}) {
    if (!p || p.id === undefined || (p.thread_id !== undefined && Number(p.thread_id) !== threadId)) return;
    if (sendingClientId && p.client_id === sendingClientId && isMine(p)) showSending(null);
    const prev = posts.get(p.id);
    const merged = prev ? { ...prev, ...p } : p;
    if (!visible(merged)) { removePost(merged); return; }
    posts.set(p.id, merged);
    remember(merged.author);
    if (editing.has(p.id)) return; // don't yank the editor away; it refreshes on save/cancel
    const el = renderPost(merged);
    const old = elements.get(p.id);
    if (old) {
      const hadFocus = old.contains(document.activeElement);
      old.replaceWith(el);
      elements.set(p.id, el);
      if (hadFocus) el.focus();
      return;
    }
    elements.set(p.id, el);
    let before = null;
    for (const other of list.children) {
      if (Number(other.dataset.number) > merged.number) { before = other; break; }
    }
    // A line still on its way stays the last entry of the timeline.
    list.insertBefore(el, before || (sendingEl && sendingEl.parentNode === list ? sendingEl : null));
    if (!quiet && !prev) {
      el.classList.add('flash');
      if (!isMine(merged) && merged.status !== 'deleted') {
        announce(t('new_post_by', { name: nameOf(merged.author) }));
        if (atBottom() && !document.hidden) markReadSoon();
        else noteUnseen(el);
      }
    }
  }

  function renderPost(p) {
    const mine = isMine(p);
    const removed = p.status === 'deleted';
    const li = h('li', {
      class: `post${mine ? ' mine' : ''}${p.status === 'pending' ? ' is-pending' : ''}${p.status === 'hidden' ? ' is-hidden' : ''}${removed ? ' is-removed' : ''}`,
      id: `post-${p.number}`, tabindex: '-1', dataset: { number: String(p.number), id: String(p.id), status: p.status || 'published' },
      'aria-labelledby': `post-${p.number}-h`,
    });
    const head = h('header', { id: `post-${p.number}-h` },
      removed ? h('span', { class: 'author', text: t('removed_post') }) : personBadge(p.author),
      h('span', { class: 'num', text: `#${p.number}` }),
      h('time', { class: 'muted small', datetime: p.created_at || '', text: formatDate(p.created_at) }),
      p.edited_at && !removed ? h('button', {
        type: 'button', class: 'link-button small edited', text: t('edited'), 'aria-label': t('edited_open', { number: p.number }),
        'aria-expanded': String(revisions.has(p.id)), 'aria-controls': `post-${p.number}-revisions`, onclick: () => toggleRevisions(p),
      }) : null,
      p.status === 'pending' ? h('span', { class: 'badge pending', text: t('pending_badge') }) : null,
      // A post rejected while it waited was never published: its author reads "Rejected".
      p.status === 'hidden' ? h('span', { class: 'badge hidden', text: t(p.rejected ? 'rejected_badge' : 'hidden_badge') }) : null,
    );
    li.appendChild(head);
    if (p.reply_to && !removed) {
      const target = [...posts.values()].find((x) => x.id === p.reply_to);
      li.appendChild(h('p', { class: 'reply-ref muted' },
        target ? h('button', { type: 'button', class: 'link-button', text: t('in_reply_to', { number: target.number, name: nameOf(target.author) }), onclick: () => focusPost(target.number) })
          : t('in_reply_to_unknown')));
    }
    if (removed) {
      li.appendChild(h('p', { class: 'body', text: t('removed_post_text') }));
      return li;
    }
    const body = h('div', { class: 'body', dir: 'auto' });
    const record = renderArchive(p.archive);
    if (record) body.appendChild(record);
    else if (p.html) setServerHtml(body, p.html);
    else body.appendChild(h('p', { text: p.body || '' }));
    li.appendChild(body);
    if (p.edited_at && revisions.has(p.id)) li.appendChild(revisionsBox(p));
    if (p.status === 'hidden' && p.moderation_reason) {
      li.appendChild(h('p', { class: 'small muted', dir: 'auto', text: t(p.rejected ? 'rejected_reason' : 'moderation_reason', { reason: p.moderation_reason }) }));
    }
    li.appendChild(actions(p, mine));
    return li;
  }

  /** "(edited)" opens (or closes) the post's earlier versions, as the API lets this reader see them. */
  async function toggleRevisions(p, { focus = true } = {}) {
    if (revisions.has(p.id)) {
      revisions.delete(p.id);
      upsert(posts.get(p.id));
      if (focus) elements.get(p.id)?.querySelector('button.edited')?.focus();
      return;
    }
    revisions.set(p.id, null);
    upsert(posts.get(p.id));
    if (focus) elements.get(p.id)?.querySelector('button.edited')?.focus();
    try {
      const res = await get(`/api/posts/${p.id}/revisions`);
      if (!revisions.has(p.id)) return;
      revisions.set(p.id, (res && res.items) || []);
    } catch (err) {
      if (!revisions.has(p.id)) return;
      revisions.set(p.id, { error: err.detail || t('error_generic') });
    }
    const hadFocus = elements.get(p.id)?.contains(document.activeElement);
    upsert(posts.get(p.id));
    if (hadFocus) elements.get(p.id)?.querySelector('button.edited')?.focus();
  }

  function revisionsBox(p) {
    const found = revisions.get(p.id);
    const titleId = `post-${p.number}-revisions-h`;
    let content;
    if (found === null) content = h('p', { class: 'muted small', text: t('loading') });
    else if (found.error) content = h('p', { class: 'error', text: found.error });
    else if (!found.length) content = h('p', { class: 'muted small', text: t('revisions_none') });
    else {
      content = h('ol', { class: 'revision-list' }, found.map((r) => h('li', {},
        h('p', { class: 'muted small' }, h('time', { datetime: r.edited_at || '', text: t('revision_meta', { when: formatDate(r.edited_at), name: nameOf(r.editor) }) })),
        // The earlier text as it was typed (Markdown source), never parsed as HTML.
        h('p', { class: 'revision-body', dir: 'auto', text: r.body || '' }))));
    }
    return h('section', { class: 'revisions', id: `post-${p.number}-revisions`, 'aria-labelledby': titleId },
      h('h3', { id: titleId, class: 'small-heading', text: t('revisions_title', { number: p.number }) }),
      content,
      h('button', { type: 'button', class: 'secondary small', text: t('close_dialog'), onclick: () => toggleRevisions(p) }));
  }

  /** The composer's line on its way, at the end of the timeline, until the server has it. */
  function showSending(item, state) {
    if (!item) {
      sendingClientId = null;
      if (sendingEl) { sendingEl.remove(); sendingEl = null; }
      return;
    }
    // The server may have it already (its live event came first): no second copy.
    for (const other of posts.values()) if (other.client_id === item.client_id && isMine(other)) { showSending(null); return; }
    sendingClientId = item.client_id;
    const el = h('li', { class: 'post mine is-sending', dataset: { clientId: item.client_id }, 'aria-live': 'off' },
      h('header', {}, personBadge(session.user),
        h('span', { class: 'badge sending', text: state === 'queued' ? t('outbox_waiting') : t('outbox_sending') })),
      h('div', { class: 'body', dir: 'auto' }, h('p', { class: 'revision-body', text: item.body || '' })));
    if (sendingEl) sendingEl.replaceWith(el); else list.appendChild(el);
    sendingEl = el;
  }

  function focusPost(number) {
    const el = list.querySelector(`#post-${number}`);
    if (el) { el.scrollIntoView({ block: 'center' }); el.focus(); }
  }

  function actions(p, mine) {
    const row = h('div', { class: 'actions' });
    const signedIn = !!session.user;
    const mayWrite = signedIn && (!thread.locked || moderator());
    const label = (key) => t(key, { number: p.number });
    if (mayWrite && p.status === 'published') {
      row.appendChild(h('button', { type: 'button', class: 'secondary small', text: t('reply'), 'aria-label': label('reply_to_n'), onclick: () => composer && composer.setReply(p) }));
    }
    if (mine || moderator()) {
      row.appendChild(h('button', { type: 'button', class: 'secondary small', text: t('edit'), 'aria-label': label('edit_n'), onclick: () => startEdit(p) }));
      row.appendChild(h('button', { type: 'button', class: 'danger small', text: t('delete'), 'aria-label': label('delete_n'), onclick: () => remove(p) }));
    }
    if (moderator()) {
      if (p.status === 'pending') row.appendChild(h('button', { type: 'button', class: 'small', text: t('approve'), 'aria-label': label('approve_n'), onclick: () => modAction(p, 'approve') }));
      if (p.status === 'hidden') row.appendChild(h('button', { type: 'button', class: 'secondary small', text: t('unhide'), 'aria-label': label('unhide_n'), onclick: () => modAction(p, 'unhide') }));
      else row.appendChild(h('button', { type: 'button', class: 'danger small', text: t('hide'), 'aria-label': label('hide_n'), onclick: () => modAction(p, 'hide') }));
    } else if (signedIn && !mine && p.status === 'published') {
      row.appendChild(h('button', { type: 'button', class: 'secondary small', text: t('flag'), 'aria-label': label('flag_n'), onclick: () => startFlag(p, row) }));
    }
    return row;
  }

  async function modAction(p, action) {
    let body = {};
    if (action === 'hide') {
      const reason = window.prompt(t('hide_reason_prompt'));
      if (reason === null) return;
      body = { reason: reason.trim() || t('hide_default_reason') };
    }
    try {
      const updated = await post(`/api/posts/${p.id}/${action}`, body);
      if (updated && updated.id !== undefined) upsert(updated);
      announce(t(`done_${action}`));
    } catch (err) {
      liveError.textContent = err.detail || t('error_generic');
    }
  }

  function startFlag(p, row) {
    if (row.querySelector('form')) return;
    const reason = h('select', { name: 'reason' }, ['spam', 'off_topic', 'abusive', 'safeguards', 'other'].map((r) => h('option', { value: r, text: t(`flag_${r}`) })));
    const note = h('input', { type: 'text', name: 'note', maxlength: 500 });
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h('form', { class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await post(`/api/posts/${p.id}/flags`, { reason: reason.value, note: note.value.trim() || undefined });
        form.remove();
        announce(t('flag_sent'));
      } catch (err) { error.textContent = err.detail || t('error_generic'); }
    } }, field(t('flag_reason'), reason), field(t('flag_note'), note), error,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'small', text: t('flag_send') }),
      h('button', { type: 'button', class: 'secondary small', text: t('cancel'), onclick: () => form.remove() })));
    row.after(form);
    reason.focus();
  }

  function startEdit(p) {
    const li = elements.get(p.id);
    if (!li || editing.has(p.id)) return;
    editing.add(p.id);
    const textarea = h('textarea', { rows: 5, dir: 'auto', value: p.body || '' });
    const error = h('p', { class: 'error', role: 'alert' });
    const finish = (updated) => {
      editing.delete(p.id);
      const current = updated ? { ...posts.get(p.id), ...updated } : posts.get(p.id);
      const el = elements.get(p.id);
      if (current) {
        posts.set(p.id, current);
        const fresh = renderPost(current);
        el.replaceWith(fresh);
        elements.set(p.id, fresh);
        fresh.focus();
      }
    };
    const form = h('form', { class: 'stack', onsubmit: async (e) => {
      e.preventDefault();
      if (!textarea.value.trim()) { error.textContent = t('error_empty'); return; }
      try {
        const updated = await patch(`/api/posts/${p.id}`, { body: textarea.value.trim() });
        finish(updated);
        announce(t('post_saved'));
      } catch (err) { error.textContent = err.isNetwork ? t('error_network') : err.detail; }
    } },
    field(t('edit_post_n', { number: p.number }), textarea), error,
    h('div', { class: 'row' }, h('button', { type: 'submit', text: t('save') }),
      h('button', { type: 'button', class: 'secondary', text: t('cancel'), onclick: () => finish(null) })));
    const body = li.querySelector('.body');
    const acts = li.querySelector('.actions');
    if (acts) acts.remove();
    body.replaceWith(form);
    textarea.focus();
  }

  async function remove(p) {
    if (!window.confirm(t('confirm_delete', { number: p.number }))) return;
    try {
      await del(`/api/posts/${p.id}`);
      onDeleted(p);
      announce(t('post_deleted'));
    } catch (err) { liveError.textContent = err.detail || t('error_generic'); }
  }

  function renderHeader() {
    renderTitle();
    const mod = moderator();
    const tools = mod ? threadTools() : null;
    mount(header,
      h('h1', { tabindex: '-1' }, h('span', { dir: 'auto', text: thread.title }),
        thread.pinned ? h('span', { class: 'badge pinned', text: t('pinned') }) : null,
        thread.locked ? h('span', { class: 'badge locked', text: t('locked') }) : null),
      h('p', { class: 'muted small', text: t('thread_started_by', { author: nameOf(thread.author), when: formatDate(thread.created_at) }) }),
      tools);
  }

  function threadTools() {
    const error = h('p', { class: 'error', role: 'alert' });
    const change = async (body, doneKey) => {
      error.textContent = '';
      try {
        thread = { ...thread, ...(await patch(`/api/threads/${threadId}`, body)) };
        renderHeader();
        renderComposer();
        announce(t(doneKey));
        header.querySelector(`[data-tool="${Object.keys(body)[0]}"]`)?.focus();
      } catch (err) { error.textContent = err.detail || t('error_generic'); }
    };
    const select = h('select', { name: 'space' });
    const moveForm = h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); if (select.value && select.value !== slugOf(thread.space)) change({ space: select.value }, 'thread_moved'); } },
      field(t('move_to'), select), h('button', { type: 'submit', class: 'secondary small', 'data-tool': 'space', text: t('move') }));
    getAll('/api/spaces').then((spaces) => {
      for (const s of spaces) select.appendChild(h('option', { value: s.slug, selected: s.slug === slugOf(thread.space), text: s.title || s.slug }));
    }).catch(() => {});
    return h('div', { class: 'card', role: 'group', 'aria-label': t('moderator_tools') },
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'secondary small', 'data-tool': 'pinned', text: thread.pinned ? t('unpin') : t('pin'), onclick: () => change({ pinned: !thread.pinned }, thread.pinned ? 'done_unpin' : 'done_pin') }),
        h('button', { type: 'button', class: 'secondary small', 'data-tool': 'locked', text: thread.locked ? t('unlock') : t('lock'), onclick: () => change({ locked: !thread.locked }, thread.locked ? 'done_unlock' : 'done_lock') }),
      ),
      moveForm,
      error);
  }

  function renderComposer() {
    if (!session.user) {
      if (composer) { composer.close(); composer = null; }
      mount(composerBox, h('p', { class: 'notice' }, t('sign_in_to_post'), ' ', h('button', { type: 'button', class: 'link-button', text: t('sign_in'), onclick: ctx.requireSignIn })));
      return;
    }
    if (thread.locked && !moderator()) {
      if (composer) { composer.close(); composer = null; }
      mount(composerBox, h('p', { class: 'notice', text: t('thread_is_locked') }));
      return;
    }
    if (composer) return;
    composer = createComposer({
      key: topic,
      path: `/api/threads/${threadId}/posts`,
      label: t('your_post'),
      withPreview: true,
      submitLabel: t('post_button'),
      onPending: (item, state) => showSending(item, state),
      onSent: (p) => {
        upsert(p, { quiet: true });
        if (p.status === 'pending') announce(t('pending_notice'));
        elements.get(p.id)?.scrollIntoView({ block: 'nearest' });
      },
    });
    mount(composerBox, h('section', { 'aria-labelledby': 'compose-h', class: 'card' }, h('h2', { id: 'compose-h', text: t('write_post') }),
      space && space.moderation === 'pre' && !['admin', 'moderator', 'focal_point', 'lcipp'].includes(session.user.role) && !moderator()
        ? h('p', { class: 'muted small', text: t('premoderated_explain') }) : null,
      composer.el));
  }

  return cleanup;
}
