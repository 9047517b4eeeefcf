// Start-up and the hash router: language, who is signed in, the header, the connection
// banner, and which view fills <main> for #/, #/space/…, #/thread/…, #/cafe/…, #/roundtable/…,
// #/poll/…, #/report/…, #/moderation, #/search?q=…, #/login.

import { h, mount, announce } from './dom.js';
import { t, setLanguage, preferredLanguage, lang, onLanguageChange } from './i18n.js';
import { session, loadMe, logout, onUserChange, isGlobalModerator } from './session.js';
import { live } from './live.js';
import { bell, followInbox } from './attention.js';
import { queueBadge, followQueue } from './modqueue.js';

const ROUTES = [
  { pattern: /^\/?$/, view: () => import('./views/spaces.js'), nav: 'spaces' },
  { pattern: /^\/space\/([^/]+)$/, view: () => import('./views/space.js'), nav: 'spaces' },
  { pattern: /^\/thread\/(\d+)$/, view: () => import('./views/thread.js'), nav: 'spaces' },
  { pattern: /^\/cafe\/(\d+)$/, view: () => import('./views/cafe.js'), nav: 'spaces' },
  { pattern: /^\/roundtable\/(\d+)$/, view: () => import('./views/roundtable.js'), nav: 'spaces' },
  { pattern: /^\/poll\/(\d+)$/, view: () => import('./views/poll.js'), nav: 'spaces' },
  { pattern: /^\/report\/([^/]+)$/, view: () => import('./views/report.js'), nav: 'spaces' },
  { pattern: /^\/moderation$/, view: () => import('./views/moderation.js'), nav: 'moderation' },
  { pattern: /^\/search$/, view: () => import('./views/search.js'), nav: 'search' },
  { pattern: /^\/preferences$/, view: () => import('./views/preferences.js'), nav: 'preferences' },
  { pattern: /^\/u\/([a-z0-9_.-]+)$/, view: () => import('./views/user.js'), nav: '' },
  { pattern: /^\/login$/, view: () => import('./views/auth.js'), nav: 'login', params: ['login'] },
  { pattern: /^\/register$/, view: () => import('./views/auth.js'), nav: 'login', params: ['register'] },
];

const main = document.getElementById('main');
let cleanup = null;
let renderToken = 0;
let currentNav = '';

function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, '') || '/');
  const [path] = raw.split('?');
  for (const route of ROUTES) {
    const m = path.match(route.pattern);
    if (m) return { route, params: route.params || m.slice(1) };
  }
  return null;
}

/** Send the person to sign in, and back here afterwards. */
export function requireSignIn() {
  try { sessionStorage.setItem('forum.returnTo', location.hash || '#/'); } catch { /* ignore */ }
  location.hash = '#/login';
}

async function render({ keepFocus = false } = {}) {
  const token = ++renderToken;
  if (cleanup) { try { cleanup(); } catch (err) { console.error(err); } cleanup = null; }
  const match = parseHash();
  if (!match) {
    currentNav = '';
    renderNav();
    mount(main, h('h1', { tabindex: '-1', text: t('not_found_title') }), h('p', {}, h('a', { href: '#/', text: t('back_to_spaces') })));
    focusHeading();
    return;
  }
  currentNav = match.route.nav;
  renderNav();
  let module;
  try {
    module = await match.route.view();
  } catch (err) {
    mount(main, h('p', { class: 'error', role: 'alert', text: t('error_generic') }));
    return;
  }
  if (token !== renderToken) return;
  const ctx = { isCurrent: () => token === renderToken, requireSignIn };
  // Each view draws into its own container: a slow view that was left behind writes into a
  // detached element and never over the page that replaced it.
  const root = h('div', { class: 'view' }, h('p', { class: 'loading muted', text: t('loading') }));
  mount(main, root);
  try {
    const result = await module.render(root, match.params, ctx);
    if (token !== renderToken) { if (typeof result === 'function') result(); return; }
    cleanup = typeof result === 'function' ? result : null;
  } catch (err) {
    if (token !== renderToken) return;
    if (err.isNetwork) {
      // No connection while opening a page: say so, and open it again once the link is back.
      mount(root, h('h1', { tabindex: '-1', text: t('error_title') }),
        h('p', { class: 'notice', role: 'status', text: t('waiting_for_connection') }),
        h('p', {}, h('button', { type: 'button', text: t('retry_now'), onclick: () => render() })));
      let armed = false;
      let stop = () => {};
      const again = () => {
        window.removeEventListener('online', again);
        stop();
        if (token === renderToken) render({ keepFocus: true });
      };
      stop = live.onStatus((status) => { if (armed && status === 'online') again(); });
      armed = true;
      window.addEventListener('online', again);
      cleanup = () => { window.removeEventListener('online', again); stop(); };
      return;
    }
    console.error(err);
    mount(root, h('h1', { tabindex: '-1', text: err.status === 404 ? t('not_found_title') : t('error_title') }),
      h('p', { class: 'error', role: 'alert', text: err.status === 404 ? t('not_found_text') : (err.detail || t('error_generic')) }),
      h('p', {}, h('a', { href: '#/', text: t('back_to_spaces') })));
  }
  if (!keepFocus) focusHeading();
}

function focusHeading() {
  const heading = main.querySelector('h1');
  if (heading) {
    if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
}

function renderNav() {
  const nav = document.getElementById('site-nav');
  const link = (href, key, name) => h('a', { href, text: t(key), 'aria-current': currentNav === name ? 'page' : null });
  const items = [link('#/', 'nav_spaces', 'spaces'), link('#/search', 'nav_search', 'search')];
  if (session.user && (isGlobalModerator() || session.moderatesSomething)) {
    // The queue's count rides on the link (modqueue.js keeps it live).
    const modLink = link('#/moderation', 'nav_moderation', 'moderation');
    modLink.append(queueBadge());
    items.push(modLink);
  }
  if (session.user) items.push(link('#/preferences', 'preferences', 'preferences'));
  mount(nav, items);
  const box = document.getElementById('user-box');
  if (session.user) {
    mount(box,
      bell(),
      h('span', { class: 'small', text: t('signed_in_as', { name: session.user.display_name }) }),
      h('button', { type: 'button', class: 'link-button', text: t('sign_out'), onclick: onSignOut }));
  } else {
    mount(box, h('a', { href: '#/login', text: t('sign_in') }), h('a', { href: '#/register', text: t('register') }));
  }
}

async function onSignOut() {
  try { await logout(); } catch (err) { announce(err.detail || t('error_generic')); }
  announce(t('signed_out'));
  if (location.hash === '#/' || location.hash === '') render();
  else location.hash = '#/';
}

function renderConnection(status) {
  const el = document.getElementById('conn');
  document.documentElement.dataset.live = status;
  if (status === 'offline') {
    el.hidden = false;
    el.textContent = t('offline');
  } else if (status === 'connecting' && el.dataset.was === 'offline') {
    el.hidden = false;
    el.textContent = t('reconnecting');
    return;
  } else {
    if (el.dataset.was === 'offline' || el.dataset.was === 'connecting') {
      if (!el.hidden) announce(t('back_online'));
    }
    el.hidden = true;
    el.textContent = '';
  }
  el.dataset.was = status;
}

async function start() {
  // The skip link must not change the hash (that would be a route).
  document.querySelector('.skip-link').addEventListener('click', (e) => { e.preventDefault(); main.focus(); });
  const select = document.getElementById('lang-select');
  // The first view's module, the translation and who is signed in are fetched side by
  // side rather than one after the other (each is a round trip on a phone's network).
  const first = parseHash();
  if (first) first.route.view().catch(() => {});
  const signedIn = loadMe();
  await setLanguage(preferredLanguage());
  select.value = lang();
  select.addEventListener('change', async () => {
    await setLanguage(select.value, { remember: true });
    render({ keepFocus: true });
    select.focus();
  });
  onLanguageChange(() => { renderNav(); renderConnection(live.status); });
  await signedIn;
  followInbox();
  followQueue();
  onUserChange(() => { followInbox(); followQueue(); renderNav(); });
  live.onStatus(renderConnection);
  live.start();
  window.addEventListener('hashchange', () => render());
  await render({ keepFocus: true });
  document.body.dataset.ready = 'true';
}

start();
