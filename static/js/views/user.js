// A person (#/u/{handle}), where a mention links: their name, handle and role.

import { h, mount } from '../dom.js';
import { t, roleLabel } from '../i18n.js';
import { get } from '../api.js';

export async function render(main, [handle]) {
  const found = (await get(`/api/users?prefix=${encodeURIComponent(handle)}`)).find((u) => u.handle === handle.toLowerCase());
  if (!found) {
    mount(main, h('h1', { tabindex: '-1', text: t('not_found_title') }), h('p', { text: t('not_found_text') }));
    return;
  }
  mount(main,
    h('h1', { tabindex: '-1', dir: 'auto', text: found.display_name }),
    h('p', {}, h('span', { dir: 'ltr', text: `@${found.handle}` }), ' · ', roleLabel(found.role)));
}
