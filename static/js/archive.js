// The posts the service writes from a record (a closed café's table, a closed round
// table) carry that record as data (`post.archive`, docs/cafes.md#the-archive): this
// module words their headings in the reader's language and their times in the reader's
// locale and time zone. Their Markdown `body` says the same in English, for search and
// for clients that read only it. Content (topics, harvests, messages, summaries) stays in
// the language it was written in; its HTML was sanitized by the server.

import { h, setServerHtml } from './dom.js';
import { t, formatDate, formatNumber, lang } from './i18n.js';

function serverHtml(tag, cls, html) {
  const el = h(tag, { class: cls, dir: 'auto' });
  setServerHtml(el, html);
  return el;
}

function cafeTable(a) {
  const messages = Array.isArray(a.messages) ? a.messages : [];
  const table = a.table || {};
  return h('section', { class: 'archive archive-cafe', dataset: { archive: 'cafe_table' } },
    h('h2', { class: 'archive-title', dir: 'auto', text: t('archive_table', { n: formatNumber(table.position || 0), topic: table.topic || '' }) }),
    h('p', { class: 'archive-host', dir: 'auto', text: t('archive_host', { name: (a.host && a.host.display_name) || '' }) }),
    h('h3', { text: t('archive_harvest') }),
    a.harvest_html ? serverHtml('div', 'archive-harvest', a.harvest_html) : h('p', { class: 'muted', text: t('archive_no_harvest') }),
    h('h3', { text: t('archive_transcript') }),
    h('p', { class: 'muted small archive-count', text: t('archive_message_count', { count: formatNumber(messages.length) }) }),
    messages.length
      ? h('ol', { class: 'archive-messages' }, messages.map((m) => h('li', { class: 'archive-message' },
        h('p', { class: 'archive-meta small' },
          h('strong', { dir: 'auto', text: (m.author && m.author.display_name) || '' }), ' · ',
          h('time', { datetime: m.created_at || '', text: formatDate(m.created_at) }), ' · ',
          h('span', { class: 'muted', text: `#${formatNumber(m.number)}` })),
        m.hidden ? h('p', { class: 'muted', text: t('archive_hidden_message') }) : serverHtml('blockquote', 'archive-quote', m.html || ''))))
      : h('p', { class: 'muted', text: t('archive_nothing_written') }),
  );
}

function duration(seconds) {
  if (seconds == null) return t('archive_time_unknown');
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m ? t('archive_min_s', { m: formatNumber(m), s: formatNumber(s) }) : t('archive_s', { s: formatNumber(s) });
}

function regionName(alpha2, fallback) {
  try {
    const names = new Intl.DisplayNames([lang()], { type: 'region' });
    return (alpha2 && names.of(alpha2)) || fallback;
  } catch { return fallback; }
}

function speaker(item) {
  const who = item.attribution || {};
  if (who.anonymous) return t('archive_rt_anonymous');
  if (who.kind === 'party') return t('archive_rt_party', { party: regionName(who.region, who.name || who.code || '') });
  if (who.kind === 'lcipp') return t('archive_rt_lcipp');
  if (who.kind === 'fwg') return t('archive_rt_fwg');
  if (who.kind === 'secretariat') return t('archive_rt_secretariat');
  return who.code ? t('archive_rt_organisation', { name: who.code }) : t('archive_rt_observer');
}

function roundtable(a) {
  const rt = a.roundtable || {};
  const items = Array.isArray(a.interventions) ? a.interventions : [];
  return h('section', { class: 'archive archive-roundtable', dataset: { archive: 'roundtable' } },
    a.first ? h('p', { dir: 'auto' }, h('strong', { text: t('archive_rt_question') }), ' ', rt.question || '') : null,
    a.first ? h('p', { class: 'muted', text: t('archive_rt_summary', { turn: duration(rt.turn_seconds), count: formatNumber(rt.interventions || 0) }) }) : null,
    a.first && !items.length ? h('p', { class: 'muted', text: t('archive_rt_nobody') }) : null,
    ...items.map((item) => h('div', { class: 'archive-intervention' },
      h('h3', { dir: 'auto', text: `${formatNumber(item.number)}. ${speaker(item)} (${duration(item.duration_seconds)})` }),
      item.summary_html ? serverHtml('div', 'archive-summary', item.summary_html) : h('p', { class: 'muted', text: t('archive_rt_no_summary') }))),
  );
}

/** The post's record, worded for the reader; null for a kind this client does not know
 * (the caller then shows the post's HTML). */
export function renderArchive(archive) {
  if (!archive || typeof archive !== 'object') return null;
  if (archive.kind === 'cafe_table') return cafeTable(archive);
  if (archive.kind === 'roundtable') return roundtable(archive);
  return null;
}
