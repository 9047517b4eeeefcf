// Sign-in and registration forms (#/login, #/register); errors from the server are shown
// next to the form.

import { h, mount, field, announce } from '../dom.js';
import { t } from '../i18n.js';
import { login, register, session } from '../session.js';

function returnTo() {
  let target = '#/';
  try { target = sessionStorage.getItem('forum.returnTo') || '#/'; sessionStorage.removeItem('forum.returnTo'); } catch { /* ignore */ }
  return /^#\/(login|register)/.test(target) ? '#/' : target;
}

export async function render(main, [mode]) {
  const isRegister = mode === 'register';
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: isRegister ? 'new-password' : 'current-password', required: true, minlength: isRegister ? 8 : null });
  const name = isRegister ? h('input', { type: 'text', name: 'display_name', autocomplete: 'name', required: true, maxlength: 80 }) : null;
  const error = h('p', { class: 'error', role: 'alert', id: 'auth-error' });
  const submit = h('button', { type: 'submit', text: isRegister ? t('register') : t('sign_in') });

  const form = h('form', { class: 'stack card', novalidate: true, 'aria-describedby': 'auth-error', onsubmit: onSubmit },
    isRegister ? field(t('display_name'), name, t('display_name_hint')) : null,
    field(t('email'), email),
    field(t('password'), password, isRegister ? t('password_hint') : null),
    error,
    h('div', { class: 'row' }, submit),
  );

  async function onSubmit(e) {
    e.preventDefault();
    error.textContent = '';
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
      (isRegister ? name : email).focus();
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
