// The workshop report (#/report/{slug}), for the space's moderators: build the draft from
// the record (language, introduction, chapter II's dates, venue, opener and chair,
// presentation threads), edit its Markdown with a live
// preview, save (each save is a revision), download it as DOCX or Markdown, publish it as a
// pinned thread of the space.

import { h, mount, announce, field } from '../dom.js';
import { t } from '../i18n.js';
import { get, post, put } from '../api.js';
import { preview } from '../markdown.js';

const LANGUAGE_NAMES = { en: 'English', fr: 'Français', es: 'Español', ar: 'العربية', ru: 'Русский', zh: '中文' };

export async function render(main, [slug]) {
  const base = `/api/spaces/${encodeURIComponent(slug)}`;
  let report = null;
  try {
    report = await get(`${base}/report`);
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  const language = h('select', { name: 'language' },
    Object.entries(LANGUAGE_NAMES).map(([code, name]) => h('option', { value: code, lang: code, text: name })));
  const intro = h('textarea', { name: 'introduction', rows: 4, dir: 'auto' });
  const presentations = h('input', { name: 'presentations', inputmode: 'numeric' });
  // Chapter II's facts, entered once: the day(s), venue, who opened, who chaired.
  const heldFrom = h('input', { type: 'date', name: 'held_from' });
  const heldTo = h('input', { type: 'date', name: 'held_to' });
  const venue = h('input', { type: 'text', name: 'venue', maxlength: 300, dir: 'auto' });
  const opener = h('input', { type: 'text', name: 'opener', maxlength: 300, dir: 'auto' });
  const chair = h('input', { type: 'text', name: 'chair', maxlength: 300, dir: 'auto' });
  const body = h('textarea', { id: 'report-body', name: 'body', rows: 20, dir: 'auto' });
  const previewBox = h('div', { id: 'report-preview', class: 'card', 'aria-live': 'off' });
  const status = h('p', { role: 'status', id: 'report-status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const downloads = h('p', { class: 'row' });

  function show() {
    if (!report) { mount(previewBox, h('p', { class: 'muted', text: t('report_none') })); return; }
    language.value = report.language;
    intro.value = report.introduction;
    presentations.value = report.presentation_thread_ids.join(', ');
    heldFrom.value = report.held_from || '';
    heldTo.value = report.held_to || '';
    venue.value = report.venue || '';
    opener.value = report.opener || '';
    chair.value = report.chair || '';
    body.value = report.body;
    mount(previewBox, preview(report.body));
    mount(downloads,
      h('a', { href: `${base}/report.docx`, download: '', text: t('report_docx') }), ' ',
      h('a', { href: `${base}/report.md`, download: '', text: t('report_md') }),
      report.published_thread_id ? h('a', { href: `#/thread/${report.published_thread_id}`, text: t('report_published') }) : null);
  }

  async function act(fn) {
    error.textContent = '';
    try { await fn(); } catch (err) { error.textContent = err.detail || t('error_generic'); }
  }

  const buildForm = h('form', {
    onsubmit: (e) => {
      e.preventDefault();
      act(async () => {
        const ids = presentations.value.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
        const settings = { venue: venue.value, opener: opener.value, chair: chair.value };
        if (heldFrom.value) {
          settings.held_from = heldFrom.value;
          if (heldTo.value) settings.held_to = heldTo.value;
        } else {
          settings.clear_dates = true;
        }
        report = await post(`${base}/report`, {
          language: language.value, introduction: intro.value, presentation_thread_ids: ids, ...settings,
        });
        show();
        status.textContent = t('report_saved', { n: report.revision });
        announce(status.textContent);
      });
    },
  }, field(t('report_language'), language), field(t('report_introduction'), intro),
  h('fieldset', { id: 'report-settings' },
    h('legend', { text: t('report_settings') }),
    field(t('report_held_from'), heldFrom, t('report_held_hint')),
    field(t('report_held_to'), heldTo),
    field(t('report_venue'), venue),
    field(t('report_opener'), opener, t('report_opener_hint')),
    field(t('report_chair'), chair)),
  field(t('report_presentations'), presentations),
  h('button', { type: 'submit', text: t('report_build') }));

  body.addEventListener('input', () => mount(previewBox, preview(body.value)));
  const editForm = h('form', {
    onsubmit: (e) => {
      e.preventDefault();
      act(async () => {
        report = await put(`${base}/report`, { body: body.value });
        show();
        status.textContent = t('report_saved', { n: report.revision });
        announce(status.textContent);
      });
    },
  }, field(t('report_body'), body), h('button', { type: 'submit', text: t('report_save') }),
  h('button', {
    type: 'button',
    text: t('report_publish'),
    onclick: () => act(async () => {
      const out = await post(`${base}/report/publish`);
      report = { ...report, published_thread_id: out.thread_id };
      show();
      announce(t('report_published'));
    }),
  }));

  mount(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: t('nav_spaces') }), ' › ', h('a', { href: `#/space/${encodeURIComponent(slug)}`, text: slug })),
    h('h1', { text: t('report_title') }),
    buildForm, status, error, downloads, editForm,
    h('section', { 'aria-labelledby': 'report-preview-h' }, h('h2', { id: 'report-preview-h', text: t('report_preview') }), previewBox));
  show();
}
