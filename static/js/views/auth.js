// Sign-in and registration forms (#/login, #/register); errors from the server are shown
// next to the form in the reader's language, and the fields they name are marked
// aria-invalid and described by the message. The password's rule (its least length) is
// the server's, read from GET /api/auth/rules: the hint and minlength say what it applies.

import { h, mount, field, announce } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { get } from '../api.js';
import { problemFields } from '../problems.js';
import { login, register, session } from '../session.js';

let rulesAsked = null;

/** The registration rules, asked once per page load (null while the server cannot say). */
async function rules() {
  if (!rulesAsked) rulesAsked = get('/api/auth/rules').catch(() => { rulesAsked = null; return null; });
  return rulesAsked;
}

const ERROR_ID = 'auth-error';

function markInvalid(control, invalid) {
  const ids = (control.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== ERROR_ID);
  if (invalid) {
    control.setAttribute('aria-invalid', 'true');
    ids.push(ERROR_ID);
  } else {
    control.removeAttribute('aria-invalid');
  }
  if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
  else control.removeAttribute('aria-describedby');
}

function returnTo() {
  let target = '#/';
  try { target = sessionStorage.getItem('forum.returnTo') || '#/'; sessionStorage.removeItem('forum.returnTo'); } catch { /* ignore */ }
  return /^#\/(login|register)/.test(target) ? '#/' : target;
}

export async function render(main, [mode]) {
  const isRegister = mode === 'register';
  const rule = isRegister ? await rules() : null;
  const minLength = rule ? rule.password_min_length : null;
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: isRegister ? 'new-password' : 'current-password', required: true, minlength: minLength });
  const name = isRegister ? h('input', { type: 'text', name: 'display_name', autocomplete: 'name', required: true, maxlength: 80 }) : null;
  const error = h('p', { class: 'error', role: 'alert', id: ERROR_ID });
  const submit = h('button', { type: 'submit', text: isRegister ? t('register') : t('sign_in') });

  const form = h('form', { class: 'stack card', novalidate: true, 'aria-describedby': 'auth-error', onsubmit: onSubmit },
    isRegister ? field(t('display_name'), name, t('display_name_hint')) : null,
    field(t('email'), email),
    field(t('password'), password, minLength ? t('password_hint_min', { n: formatNumber(minLength) }) : null),
    error,
    h('div', { class: 'row' }, submit),
  );

  async function onSubmit(e) {
    e.preventDefault();
    error.textContent = '';
    for (const control of [email, password, name]) if (control) markInvalid(control, false);
    if (!email.value.trim() || !password.value || (name && !name.value.trim())) {
      error.textContent = t('error_fill_all');
      return;
    }
    submit.disabled = true;
    try {
      if (isRegister) await register(email.value.trim(), password.value, name.value.trim());
      else await login(email.value.trim(), password.value);
      announce(t('signed_in_as', { name: session.user ? session.user.display_name : '' }));
      location.hash = returnTo();
    } catch (err) {
      error.textContent = err.isNetwork ? t('error_network') : (err.detail || t('error_generic'));
      submit.disabled = false;
      const controls = { email, password, display_name: name };
      const named = problemFields(err.problem).map((f) => controls[f]).filter(Boolean);
      // A wrong password names no field (it does not say which of the two is wrong).
      if (!named.length && err.problem && err.problem.reason === 'wrong_credentials') named.push(password);
      for (const control of named) markInvalid(control, true);
      (named[0] || (isRegister ? name : email)).focus();
    }
  }

  mount(main,
    h('h1', { text: isRegister ? t('register_title') : t('sign_in_title') }),
    session.user ? h('p', { class: 'notice', text: t('already_signed_in', { name: session.user.display_name }) }) : null,
    form,
    h('p', {}, isRegister
      ? [t('have_account'), ' ', h('a', { href: '#/login', text: t('sign_in') })]
      : [t('no_account'), ' ', h('a', { href: '#/register', text: t('register') })]),
  );
}
