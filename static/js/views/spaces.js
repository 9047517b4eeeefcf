// The home page (#/): the spaces the person may see, grouped by kind (NMA, workshop, general).

import { h, mount } from '../dom.js';
import { t, tn, formatDate } from '../i18n.js';
import { get, getAll } from '../api.js';
import { session, mayOpenModeration, noteModerator } from '../session.js';

const KINDS = ['nma', 'workshop', 'general'];

export function spaceBadges(space) {
  return [
    space.visibility === 'restricted' ? h('span', { class: 'badge', text: t('restricted') }) : null,
    space.moderation === 'pre' ? h('span', { class: 'badge', text: t('premoderated') }) : null,
  ];
}

/** "New since your last visit": the unread posts of the threads one follows, by thread. */
function sinceLastVisit(unread) {
  if (!unread || !unread.threads.length) return null;
  return h('section', { class: 'card', 'aria-labelledby': 'since-h' },
    h('h2', { id: 'since-h', text: t('new_since_last_visit') }),
    h('ul', { class: 'plain-list' }, unread.threads.map((th) => h('li', {},
      h('a', { href: `#/thread/${th.thread_id}`, dir: 'auto', text: th.title }), ' ',
      h('span', { class: 'badge unread', text: tn('p_unread', th.unread) })))));
}

/** What is going on in a space: its threads and posts, the latest post, a café running now. */
function activity(space) {
  if (space.post_count === undefined || space.post_count === null) return null;
  const line = space.post_count
    ? t('space_activity', { threads: tn('p_threads', space.thread_count || 0), posts: tn('p_posts', space.post_count), when: formatDate(space.last_post_at) })
    : t('space_no_posts');
  return h('p', { class: 'muted small space-activity' },
    h('span', { text: line }),
    space.running_cafe_id ? [' ', h('a', { class: 'badge live', href: `#/cafe/${space.running_cafe_id}`, text: t('cafe_running_now') })] : null);
}

export async function render(main) {
  const [spaces, unread] = await Promise.all([
    getAll('/api/spaces'),
    session.user ? get('/api/me/unread').catch(() => null) : null,
  ]);
  const unreadBySpace = new Map(((unread && unread.spaces) || []).map((s) => [s.space, s.unread]));
  noteModerator(mayOpenModeration(spaces));
  const groups = KINDS.map((kind) => ({ kind, items: spaces.filter((s) => s.kind === kind) }));
  const other = spaces.filter((s) => !KINDS.includes(s.kind));
  if (other.length) groups.push({ kind: 'other', items: other });

  mount(main,
    h('h1', { text: t('spaces_title') }),
    h('p', { class: 'muted', text: t('spaces_intro') }),
    session.user ? null : h('p', { class: 'notice' }, t('signed_out_notice'), ' ', h('a', { href: '#/login', text: t('sign_in') })),
    spaces.length ? null : h('p', { text: t('no_spaces') }),
    sinceLastVisit(unread),
    groups.filter((g) => g.items.length).map((g) => h('section', { 'aria-labelledby': `kind-${g.kind}` },
      h('h2', { id: `kind-${g.kind}`, text: t(`kind_${g.kind}`) }),
      h('ul', { class: 'space-list' }, g.items.map((s) => h('li', {},
        h('a', { href: `#/space/${encodeURIComponent(s.slug)}`, dir: 'auto', text: s.title || s.slug }),
        spaceBadges(s),
        unreadBySpace.get(s.slug) ? h('span', { class: 'badge unread', text: tn('p_unread', unreadBySpace.get(s.slug)) }) : null,
        s.description ? h('p', { class: 'muted small', dir: 'auto', text: s.description }) : null,
        activity(s),
      ))),
    )),
  );
}
