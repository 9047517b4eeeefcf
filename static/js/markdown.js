// A small Markdown preview built only from DOM nodes and textContent (never innerHTML), so
// whatever a person types cannot run. The server's rendering is the one that gets stored.

import { h } from './dom.js';

const INLINE = /(\*\*[^*]+\*\*|__[^_]+__|\*[^*\s][^*]*\*|_[^_\s][^_]*_|`[^`]+`|\[[^\]]+\]\([^)\s]+\))/;

function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const m = rest.match(INLINE);
    if (!m) { out.push(rest); break; }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const tok = m[0];
    if (tok.startsWith('**') || tok.startsWith('__')) out.push(h('strong', {}, inline(tok.slice(2, -2))));
    else if (tok.startsWith('`')) out.push(h('code', { text: tok.slice(1, -1) }));
    else if (tok.startsWith('[')) {
      const lm = tok.match(/^\[([^\]]+)\]\(([^)\s]+)\)$/);
      const href = lm ? lm[2] : '';
      // Only web links become links in the preview; anything else stays text.
      if (/^https?:\/\//i.test(href)) out.push(h('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank', text: lm[1] }));
      else out.push(tok);
    } else out.push(h('em', {}, inline(tok.slice(1, -1))));
    rest = rest.slice(m.index + tok.length);
  }
  return out;
}

/** Render Markdown text into a DocumentFragment for preview. */
export function preview(text) {
  const frag = document.createDocumentFragment();
  const lines = String(text || '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i += 1; continue; }
    if (line.startsWith('```')) {
      const code = [];
      i += 1;
      while (i < lines.length && !lines[i].startsWith('```')) { code.push(lines[i]); i += 1; }
      i += 1;
      frag.appendChild(h('pre', {}, h('code', { text: code.join('\n') })));
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      const level = Math.min(6, heading[1].length + 2); // keep below the page's own headings
      frag.appendChild(h(`h${level}`, {}, inline(heading[2])));
      i += 1;
      continue;
    }
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? 'ol' : 'ul');
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
        list.appendChild(h('li', {}, inline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ''))));
        i += 1;
      }
      frag.appendChild(list);
      continue;
    }
    if (line.startsWith('>')) {
      const quote = [];
      while (i < lines.length && lines[i].startsWith('>')) { quote.push(lines[i].replace(/^>\s?/, '')); i += 1; }
      frag.appendChild(h('blockquote', {}, preview(quote.join('\n'))));
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|```|>|\s*([-*+]|\d+[.)])\s)/.test(lines[i])) {
      para.push(lines[i]);
      i += 1;
    }
    const p = h('p');
    para.forEach((l, idx) => {
      if (idx) p.appendChild(h('br'));
      for (const node of inline(l)) p.append(node);
    });
    frag.appendChild(p);
  }
  return frag;
}
