// A poll (#/poll/{id}): its questions as a form (radio groups for a choice and for a rating
// 1-5, a text box), the caller's own answers filled in, and the results: live for the
// space's moderators (each `poll.answered` event on `poll:{id}` carries them), for everyone
// else once the poll has closed.

import { h, mount, announce, field } from '../dom.js';
import { t, tn, formatNumber } from '../i18n.js';
import { get, put } from '../api.js';
import { session } from '../session.js';
import { live } from '../live.js';

function questionControl(q, i, mine) {
  const name = `q${i}`;
  const legend = h('legend', { dir: 'auto', text: q.prompt });
  if (q.kind === 'text') {
    const area = h('textarea', { name, rows: 3, maxlength: 5000, dir: 'auto' });
    area.value = typeof mine === 'string' ? mine : '';
    return h('fieldset', {}, legend, field(q.prompt, area));
  }
  const options = q.kind === 'rating' ? [1, 2, 3, 4, 5].map((v) => [v, String(v)]) : q.choices.map((c, k) => [k, c]);
  return h('fieldset', { class: 'row' }, legend, options.map(([value, label]) => {
    const input = h('input', { type: 'radio', name, value: String(value) });
    if (mine === value) input.checked = true;
    return h('label', {}, input, ' ', h('span', { dir: 'auto', text: label }));
  }));
}

function answersOf(form, poll) {
  return poll.questions.map((q, i) => {
    if (q.kind === 'text') {
      const v = form.elements[`q${i}`].value.trim();
      return v ? v : null;
    }
    const checked = form.querySelector(`input[name=q${i}]:checked`);
    return checked ? Number(checked.value) : null;
  });
}

function resultsView(poll, results) {
  return h('div', { id: 'poll-results' },
    h('p', { text: tn('p_responses', results.responses) }),
    results.questions.map((r, i) => h('div', { class: 'card' },
      h('h3', { dir: 'auto', text: r.prompt }),
      r.kind === 'rating' && r.mean !== null ? h('p', { text: t('poll_mean', { mean: r.mean }) }) : null,
      r.kind === 'single_choice'
        ? h('ul', {}, poll.questions[i].choices.map((c, k) => h('li', { dir: 'auto', text: `${c}: ${formatNumber(r.counts[k])}` })))
        : null,
      r.kind === 'text' ? h('ul', {}, r.texts.map((x) => h('li', { dir: 'auto', text: x.author ? `${x.text} (${x.author.display_name})` : x.text }))) : null)));
}

export async function render(main, [idText]) {
  const pollId = Number(idText);
  let poll = await get(`/api/polls/${pollId}`);
  const resultsBox = h('section', { 'aria-labelledby': 'poll-results-h', class: 'card' });
  const error = h('p', { class: 'error', role: 'alert' });

  async function drawResults(results) {
    const body = poll.results_visible
      ? resultsView(poll, results || await get(`/api/polls/${pollId}/results`))
      : h('p', { class: 'muted', text: t('poll_results_later') });
    mount(resultsBox, h('h2', { id: 'poll-results-h', text: t('poll_results') }), body);
  }

  let form = null;
  if (poll.state === 'open' && session.user) {
    form = h('form', {
      id: 'poll-form',
      onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = '';
        try {
          poll = await put(`/api/polls/${pollId}/response`, { answers: answersOf(form, poll) });
          announce(t('poll_saved'));
          if (poll.results_visible) await drawResults();
        } catch (err) { error.textContent = err.detail || t('error_generic'); }
      },
    }, poll.questions.map((q, i) => questionControl(q, i, poll.my_answers ? poll.my_answers[i] : undefined)),
    h('button', { type: 'submit', text: t('poll_submit') }));
  }

  mount(main,
    h('h1', { dir: 'auto', text: poll.title }),
    h('p', {}, h('span', { class: 'badge', text: t(`poll_state_${poll.state}`) }), ' ',
      h('span', { class: 'muted', text: poll.anonymous ? t('poll_anonymous') : t('poll_named') })),
    form || (poll.state === 'open' ? h('p', { class: 'notice', text: t('poll_sign_in') }) : null),
    error,
    resultsBox);
  await drawResults();
  // Moderators receive the results with every answer; others only the count.
  return live.subscribe(`poll:${pollId}`, (ev) => { if (ev.data && ev.data.results) drawResults(ev.data.results); });
}
