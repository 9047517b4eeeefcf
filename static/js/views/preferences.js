// Preferences (#/preferences): your handle and name, the language, your mail settings
// (mails' language, mail for mentions and replies, the digest: PUT /api/me/mail, saved on
// change), how closely you follow each space and each thread you chose a level for.

import { h, mount, field, announce } from '../dom.js';
import { t, lang, setLanguage, LANGUAGES } from '../i18n.js';
import { get, getAll, patch, put } from '../api.js';
import { session, loadMe } from '../session.js';

export const LEVELS = ['watching', 'tracking', 'normal', 'muted'];
const NATIVE = { ar: 'العربية', zh: '中文', en: 'English', fr: 'Français', ru: 'Русский', es: 'Español' };

/** A labelled select of the four levels; `onChange(level)` saves. */
export function levelSelect(label, level, onChange) {
  const select = h('select', { class: 'level-select', onchange: () => onChange(select.value, select) },
    LEVELS.map((l) => h('option', { value: l, selected: l === level, text: t(`level_${l}`) })));
  return field(label, select, t('level_hint'));
}

export async function render(main, _params, ctx) {
  if (!session.user) { ctx.requireSignIn(); return; }
  const [spaces, watching, mail] = await Promise.all([getAll('/api/spaces'), get('/api/me/watching'), get('/api/me/mail')]);
  const spaceLevels = new Map(watching.items.filter((w) => w.kind === 'space').map((w) => [w.space, w.level]));
  const threads = watching.items.filter((w) => w.kind === 'thread');

  const error = h('p', { class: 'error', role: 'alert' });
  const handle = h('input', { name: 'handle', value: session.user.handle || '', autocomplete: 'username', required: true, dir: 'ltr' });
  const name = h('input', { name: 'display_name', value: session.user.display_name, autocomplete: 'name', required: true, dir: 'auto' });
  const profile = h('form', { class: 'card stack', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await patch('/api/me', { handle: handle.value.trim(), display_name: name.value.trim() });
      await loadMe();
      handle.value = session.user.handle;
      announce(t('saved'));
    } catch (err) { error.textContent = err.detail || t('error_generic'); }
  } },
  h('h2', { text: t('profile') }),
  field(t('handle'), handle, t('handle_hint')),
  field(t('display_name'), name),
  h('div', { class: 'row' }, h('button', { type: 'submit', text: t('save') })),
  error);

  const langSelect = h('select', { name: 'language', onchange: async () => {
    await setLanguage(langSelect.value, { remember: true });
    document.getElementById('lang-select').value = langSelect.value;
    render(main, _params, ctx);
  } }, LANGUAGES.map((code) => h('option', { value: code, lang: code, selected: code === lang(), text: NATIVE[code] })));

  const saveMail = async (body, select) => {
    try { await put('/api/me/mail', body); announce(t('saved')); } catch (err) { announce(err.detail || t('error_generic')); select.focus(); }
  };
  const mailLanguage = h('select', { name: 'mail_language', onchange: () => saveMail({ language: mailLanguage.value }, mailLanguage) },
    LANGUAGES.map((code) => h('option', { value: code, lang: code, selected: code === mail.language, text: NATIVE[code] })));
  const immediate = h('select', { name: 'immediate', onchange: () => saveMail({ immediate: immediate.value === 'on' }, immediate) },
    [['on', 'email_on'], ['off', 'email_off']].map(([v, key]) => h('option', { value: v, selected: (v === 'on') === mail.immediate, text: t(key) })));
  const digest = h('select', { name: 'digest', onchange: () => saveMail({ digest: digest.value }, digest) },
    [['off', 'email_off'], ['daily', 'digest_daily'], ['weekly', 'digest_weekly']].map(([v, key]) => h('option', { value: v, selected: v === mail.digest, text: t(key) })));

  const saveLevel = async (path, level, select) => {
    try { await put(path, { level }); announce(t('saved')); } catch (err) { announce(err.detail || t('error_generic')); select.focus(); }
  };

  mount(main,
    h('h1', { tabindex: '-1', text: t('preferences') }),
    profile,
    h('section', { class: 'card stack', 'aria-labelledby': 'pref-lang' },
      h('h2', { id: 'pref-lang', text: t('language') }),
      field(t('language'), langSelect)),
    h('section', { class: 'card stack', 'aria-labelledby': 'pref-email' },
      h('h2', { id: 'pref-email', text: t('email_notifications') }),
      mail.mail_enabled ? null : h('p', { class: 'muted', text: t('email_coming') }),
      field(t('mail_language'), mailLanguage),
      field(t('email_on_notification'), immediate),
      field(t('digest'), digest)),
    h('section', { class: 'card stack', 'aria-labelledby': 'pref-spaces' },
      h('h2', { id: 'pref-spaces', text: t('watching_spaces') }),
      h('p', { class: 'muted small', text: t('watching_spaces_hint') }),
      spaces.map((s) => levelSelect(s.title || s.slug, spaceLevels.get(s.slug) || 'normal',
        (level, select) => saveLevel(`/api/spaces/${encodeURIComponent(s.slug)}/watch`, level, select)))),
    h('section', { class: 'card stack', 'aria-labelledby': 'pref-threads' },
      h('h2', { id: 'pref-threads', text: t('watching_threads') }),
      threads.length ? threads.map((w) => h('div', { class: 'row' },
        levelSelect(w.title, w.level, (level, select) => saveLevel(`/api/threads/${w.thread_id}/watch`, level, select)),
        h('a', { href: `#/thread/${w.thread_id}`, class: 'small', text: t('open_thread') })))
        : h('p', { class: 'muted', text: t('no_thread_levels') })),
  );
}
