// One space (#/space/{slug}): its threads (pinned first), a form to start a thread, and for
// a workshop its world cafés and round tables.

import { h, mount, field, announce } from '../dom.js';
import { t, tn, formatDate } from '../i18n.js';
import { get, post, getAll, itemsOf } from '../api.js';
import { session, canModerate, noteModerator } from '../session.js';
import { nameOf } from '../people.js';
import { preview } from '../markdown.js';
import { spaceBadges } from './spaces.js';
import { attachMentions } from '../mentions.js';
import { pollForm } from './pollform.js';

export function slugOf(space) {
  if (space && typeof space === 'object') return space.slug;
  return space;
}

function threadItem(th) {
  return h('li', {},
    h('a', { href: `#/thread/${th.id}`, dir: 'auto', text: th.title }),
    th.pinned ? h('span', { class: 'badge pinned', text: t('pinned') }) : null,
    th.locked ? h('span', { class: 'badge locked', text: t('locked') }) : null,
    // attention: the reader's unread posts of a thread they read or follow.
    th.unread ? h('span', { class: 'badge unread', text: tn('p_unread', th.unread) }) : null,
    h('p', { class: 'muted small' },
      t('thread_meta_counted', {
        author: nameOf(th.author),
        posts: tn('p_posts', th.post_count || 0),
        when: formatDate(th.last_post_at || th.created_at),
      })),
  );
}

function newThreadForm(slug) {
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, dir: 'auto' });
  const body = h('textarea', { name: 'body', rows: 6, required: true, dir: 'auto' });
  const mentionList = attachMentions(body);
  const previewBox = h('div', { class: 'preview', hidden: true, id: 'new-thread-preview', role: 'region', 'aria-label': t('preview'), dir: 'auto' });
  const previewBtn = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-controls': 'new-thread-preview', text: t('preview'), onclick: () => {
    previewBox.hidden = !previewBox.hidden;
    previewBtn.setAttribute('aria-expanded', String(!previewBox.hidden));
    previewBox.replaceChildren(preview(body.value));
  } });
  body.addEventListener('input', () => { if (!previewBox.hidden) previewBox.replaceChildren(preview(body.value)); });
  const error = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', text: t('create_thread') });
  return h('form', { class: 'stack card', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (!title.value.trim() || !body.value.trim()) { error.textContent = t('error_fill_all'); return; }
    submit.disabled = true;
    try {
      const th = await post(`/api/spaces/${encodeURIComponent(slug)}/threads`, { title: title.value.trim(), body: body.value.trim() });
      announce(t('thread_created'));
      location.hash = `#/thread/${th.id}`;
    } catch (err) {
      error.textContent = err.isNetwork ? t('error_network') : err.detail;
      submit.disabled = false;
    }
  } },
  h('h2', { text: t('new_thread') }),
  field(t('thread_title'), title),
  field(t('first_post'), body, t('markdown_hint')),
  mentionList,
  previewBox,
  error,
  h('div', { class: 'row' }, submit, previewBtn));
}

async function cafeSection(slug, space) {
  const openForm = () => {
    const input = h('input', { type: 'number', min: 1, name: 'cafe', inputmode: 'numeric' });
    return h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); if (input.value) location.hash = `#/cafe/${Number(input.value)}`; } },
      field(t('cafe_number'), input), h('button', { type: 'submit', text: t('open_cafe') }));
  };
  let cafes = null;
  try {
    cafes = itemsOf(await get(`/api/spaces/${encodeURIComponent(slug)}/cafes`));
  } catch (err) {
    cafes = null; // the listing is optional: fall back to opening a café by number
  }
  return h('section', { 'aria-labelledby': 'cafes-h', class: 'card' },
    h('h2', { id: 'cafes-h', text: t('cafes_title') }),
    cafes && cafes.length
      ? h('ul', { class: 'plain-list' }, cafes.map((c) => h('li', {},
        h('a', { href: `#/cafe/${c.id}`, dir: 'auto', text: c.title || t('cafe_n', { id: c.id }) }), ' ',
        h('span', { class: 'badge', text: t(`cafe_state_${c.state || 'open'}`) }))))
      : h('p', { class: 'muted', text: cafes ? t('no_cafes') : t('cafes_by_number') }),
    cafes && cafes.length ? null : openForm(),
  );
}

async function roundtableSection(slug, space) {
  let tables = [];
  try { tables = itemsOf(await get(`/api/spaces/${encodeURIComponent(slug)}/roundtables`)); } catch { tables = []; }
  let form = null;
  if (canModerate(space)) {
    const question = h('textarea', { name: 'question', rows: 2, required: true, maxlength: 1000, dir: 'auto' });
    const minutes = h('input', { type: 'number', name: 'turn_minutes', min: 1, max: 30, value: 3, inputmode: 'numeric' });
    const policy = h('select', { name: 'policy' },
      h('option', { value: 'request_order', text: t('rt_policy_request_order') }),
      h('option', { value: 'parties_first', text: t('rt_policy_parties_first') }));
    const error = h('p', { class: 'error', role: 'alert' });
    form = h('form', { class: 'stack', novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      if (!question.value.trim()) { error.textContent = t('error_fill_all'); return; }
      try {
        const rt = await post(`/api/spaces/${encodeURIComponent(slug)}/roundtables`, {
          question: question.value.trim(), turn_seconds: Math.round(Number(minutes.value) * 60), policy: policy.value,
        });
        location.hash = `#/roundtable/${rt.id}`;
      } catch (err) { error.textContent = err.isNetwork ? t('error_network') : err.detail; }
    } },
    h('h3', { text: t('rt_open') }),
    field(t('rt_question'), question),
    field(t('rt_turn_minutes'), minutes),
    field(t('rt_policy'), policy),
    error,
    h('div', {}, h('button', { type: 'submit', text: t('rt_open_button') })));
  }
  return h('section', { 'aria-labelledby': 'roundtables-h', class: 'card' },
    h('h2', { id: 'roundtables-h', text: t('rt_list_title') }),
    tables.length
      ? h('ul', { class: 'plain-list' }, tables.map((rt) => h('li', {},
        h('a', { href: `#/roundtable/${rt.id}`, dir: 'auto', text: rt.question }), ' ',
        h('span', { class: 'badge', text: t(`rt_state_${rt.state}`) }))))
      : h('p', { class: 'muted', text: t('rt_none') }),
    form);
}

async function feedbackSection(slug, space) {
  let polls = [];
  try { polls = itemsOf(await get(`/api/spaces/${encodeURIComponent(slug)}/polls`)); } catch { polls = []; }
  return h('section', { 'aria-labelledby': 'polls-h', class: 'card' },
    h('h2', { id: 'polls-h', text: t('polls_title') }),
    polls.length
      ? h('ul', { class: 'plain-list' }, polls.map((p) => h('li', {},
        h('a', { href: `#/poll/${p.id}`, dir: 'auto', text: p.title }), ' ',
        h('span', { class: 'badge', text: t(`poll_state_${p.state}`) }))))
      : h('p', { class: 'muted', text: t('no_polls') }),
    canModerate(space) ? h('p', {}, h('a', { href: `#/report/${encodeURIComponent(slug)}`, text: t('report_link') })) : null,
    canModerate(space) ? pollForm(slug) : null);
}

export async function render(main, [slug]) {
  const [space, threads] = await Promise.all([
    get(`/api/spaces/${encodeURIComponent(slug)}`),
    getAll(`/api/spaces/${encodeURIComponent(slug)}/threads`),
  ]);
  noteModerator(canModerate(space));
  // Pinned first, then the order the server gave (latest activity).
  const ordered = [...threads.filter((x) => x.pinned), ...threads.filter((x) => !x.pinned)];
  // A workshop's cafés, round tables and polls are read side by side, not one after another.
  const workshop = space.kind === 'workshop';
  const [cafes, roundtables, feedback] = await Promise.all([
    workshop ? cafeSection(slug, space) : null,
    workshop ? roundtableSection(slug, space) : null,
    workshop ? feedbackSection(slug, space) : null,
  ]);

  mount(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: t('nav_spaces') }), ' › ', h('span', { text: t(`kind_${space.kind}`) })),
    h('h1', {}, h('span', { dir: 'auto', text: space.title || space.slug }), spaceBadges(space)),
    space.description ? h('p', { dir: 'auto', text: space.description }) : null,
    space.moderation === 'pre' ? h('p', { class: 'muted small', text: t('premoderated_explain') }) : null,
    cafes,
    roundtables,
    feedback,
    h('section', { 'aria-labelledby': 'threads-h' },
      h('h2', { id: 'threads-h', text: t('threads_title') }),
      ordered.length ? h('ul', { class: 'thread-list' }, ordered.map(threadItem)) : h('p', { class: 'muted', text: t('no_threads') })),
    session.user ? newThreadForm(slug) : h('p', { class: 'notice' }, t('sign_in_to_post'), ' ', h('a', { href: '#/login', onclick: () => { try { sessionStorage.setItem('forum.returnTo', location.hash); } catch { /* ignore */ } }, text: t('sign_in') })),
  );
}
