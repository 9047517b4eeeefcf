// DOM helpers: build elements from data without ever parsing untrusted text as HTML.

/**
 * h('a', {href: '#/', class: 'x', onclick: fn}, 'text', childNode, [more])
 * Strings become text nodes. Attributes named on* with a function become listeners.
 * `text` sets textContent; `dataset`, `aria` and boolean attributes are handled.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value') el.value = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Append children to el, skipping null, undefined and false (Element.append would print them). */
export function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace the children of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * Insert HTML that the server has already rendered and sanitized (the `html` field of
 * posts and messages). Never call this with text typed by a person.
 */
export function setServerHtml(el, html) {
  el.innerHTML = typeof html === 'string' ? html : '';
  // Links in posts open safely and outside the app's router.
  for (const a of el.querySelectorAll('a[href]')) {
    // A mention (`<a class="mention" href="/u/ana">`) opens the person's page in the app.
    if (a.classList.contains('mention')) { a.setAttribute('href', `#${a.getAttribute('href')}`); continue; }
    const href = a.getAttribute('href') || '';
    if (!href.startsWith('#')) { a.setAttribute('rel', 'noopener noreferrer nofollow'); a.setAttribute('target', '_blank'); }
  }
  return el;
}

/** Say something to screen-reader users through the polite live region. */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  const p = document.createElement('p');
  p.textContent = message;
  region.appendChild(p);
  while (region.childNodes.length > 5) region.removeChild(region.firstChild);
}

/** A unique id for label/aria wiring. */
let counter = 0;
export function uid(prefix = 'f') { counter += 1; return `${prefix}-${counter}`; }

/** A labelled form field (input, textarea or select). */
export function field(label, control, hint) {
  const id = control.id || uid('field');
  control.id = id;
  const wrap = h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
  if (hint) {
    const hintId = `${id}-hint`;
    wrap.appendChild(h('span', { id: hintId, class: 'muted small', text: hint }));
    control.setAttribute('aria-describedby', hintId);
  }
  return wrap;
}
