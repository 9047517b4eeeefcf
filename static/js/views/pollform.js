// Attaching a poll to a workshop space, for its moderators (on the space's page): the title,
// whether answers are anonymous, when it opens (left empty: now) and closes, and 1 to 30
// questions of the three kinds (a single choice with its choices one per line, a rating
// 1-5, a free text). Sent as POST /api/spaces/{slug}/polls; the new poll opens.

import { h, mount, announce, field } from '../dom.js';
import { t } from '../i18n.js';
import { post } from '../api.js';

const KINDS = ['single_choice', 'rating', 'text'];
const MAX_QUESTIONS = 30;

// A datetime-local value is the reader's local time: the Date reads it so, and the server
// gets it with its offset (ISO, UTC).
function isoOf(value) {
  if (!value) return null;
  const when = new Date(value);
  return Number.isNaN(when.getTime()) ? null : when.toISOString();
}

function localValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function questionRow(n, onRemove) {
  const kind = h('select', { name: `kind${n}` },
    KINDS.map((k) => h('option', { value: k, text: t(`poll_kind_${k}`) })));
  const prompt = h('input', { type: 'text', name: `prompt${n}`, maxlength: 1000, dir: 'auto' });
  const choices = h('textarea', { name: `choices${n}`, rows: 3, dir: 'auto' });
  const choicesField = field(t('poll_new_choices'), choices, t('poll_new_choices_hint'));
  const legend = h('legend', {});
  const remove = h('button', { type: 'button', class: 'secondary', onclick: onRemove });
  const row = h('fieldset', { class: 'card poll-question' }, legend,
    field(t('poll_new_kind'), kind), field(t('poll_new_prompt'), prompt), choicesField, h('div', {}, remove));
  const sync = () => { choicesField.hidden = kind.value !== 'single_choice'; };
  kind.addEventListener('change', sync);
  sync();
  return {
    row,
    number(i) {
      legend.textContent = t('poll_new_question_n', { n: i });
      remove.textContent = t('poll_new_remove_n', { n: i });
    },
    value() {
      const q = { kind: kind.value, prompt: prompt.value.trim() };
      if (kind.value === 'single_choice') {
        q.choices = choices.value.split('\n').map((c) => c.trim()).filter(Boolean);
      }
      return q;
    },
    setRemovable(yes) { remove.hidden = !yes; },
  };
}

export function pollForm(slug) {
  const title = h('input', { type: 'text', name: 'poll_title', maxlength: 300, dir: 'auto' });
  const anonymous = h('input', { type: 'checkbox', name: 'anonymous', checked: true });
  const opensAt = h('input', { type: 'datetime-local', name: 'opens_at' });
  const closesAt = h('input', { type: 'datetime-local', name: 'closes_at' });
  closesAt.value = localValue(new Date(Date.now() + 24 * 3600 * 1000));
  const list = h('div', { id: 'poll-new-questions' });
  const error = h('p', { class: 'error', role: 'alert' });
  const rows = [];
  const addButton = h('button', { type: 'button', class: 'secondary', text: t('poll_new_add') });

  function redraw() {
    rows.forEach((r, i) => { r.number(i + 1); r.setRemovable(rows.length > 1); });
    addButton.hidden = rows.length >= MAX_QUESTIONS;
    mount(list, rows.map((r) => r.row));
  }
  function add() {
    const row = questionRow(rows.length + 1, () => {
      rows.splice(rows.indexOf(row), 1);
      redraw();
      announce(t('poll_new_removed'));
    });
    rows.push(row);
    redraw();
  }
  addButton.addEventListener('click', () => { add(); rows[rows.length - 1].row.querySelector('input').focus(); });
  add();

  const form = h('form', { id: 'poll-new', class: 'stack', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    const questions = rows.map((r) => r.value());
    if (!title.value.trim() || !closesAt.value || questions.some((q) => !q.prompt)) {
      error.textContent = t('error_fill_all');
      return;
    }
    const body = { title: title.value.trim(), questions, anonymous: anonymous.checked, closes_at: isoOf(closesAt.value) };
    const opens = isoOf(opensAt.value);
    if (opens) body.opens_at = opens;
    try {
      const poll = await post(`/api/spaces/${encodeURIComponent(slug)}/polls`, body);
      announce(t('poll_new_created'));
      location.hash = `#/poll/${poll.id}`;
    } catch (err) { error.textContent = err.isNetwork ? t('error_network') : (err.detail || t('error_generic')); }
  } },
  h('h3', { text: t('poll_new') }),
  field(t('poll_new_title'), title),
  h('div', { class: 'field' }, h('label', {}, anonymous, ' ', t('poll_new_anonymous'))),
  field(t('poll_new_opens'), opensAt, t('poll_new_opens_hint')),
  field(t('poll_new_closes'), closesAt),
  list,
  h('div', { class: 'row' }, addButton, h('button', { type: 'submit', text: t('poll_new_submit') })),
  error);
  return form;
}
