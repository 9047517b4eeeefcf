// Problem answers (problem+json) worded in the reader's language. The server keeps an
// English `detail` and says the same in codes (docs/errors.md): `reason` (the exact
// cause), `errors` (each bad field with its code and bound) and `code` (the kind). A
// known reason is translated in every language (it carries the wait of Retry-After and
// dates in the reader's locale); bad fields are translated, except in English, where the
// server's detail already names them best; otherwise the translated kind, with the
// English detail after it for what only it says.

import { t, has, lang, formatDate, formatNumber } from './i18n.js';

/** The label of a field (`tables[0].topic` reads as the topic's label), else its name. */
export function fieldLabel(field) {
  const base = String(field || '').split('.').pop().replace(/\[\d+\]$/, '');
  return base && has(base) ? t(base) : String(field || '');
}

/** The fields a problem names, for aria-invalid. */
export function problemFields(problem) {
  if (!problem || typeof problem !== 'object') return [];
  const out = Array.isArray(problem.errors) ? problem.errors.map((e) => e && e.field).filter(Boolean) : [];
  if (problem.field && !out.includes(problem.field)) out.unshift(problem.field);
  return out;
}

/** The problem in the reader's words, or null when only the server's detail says it. */
export function describeProblem(problem, retryAfter = null) {
  if (!problem || typeof problem !== 'object') return null;
  const detail = typeof problem.detail === 'string' ? problem.detail : '';
  if (problem.reason && has(`problem_reason_${problem.reason}`)) {
    return t(`problem_reason_${problem.reason}`, {
      seconds: formatNumber(retryAfter == null ? 1 : retryAfter),
      until: problem.until ? formatDate(problem.until) : '',
    });
  }
  const items = Array.isArray(problem.errors) ? problem.errors.filter(Boolean) : [];
  const worded = items.length > 0 && items.every((e) => e.code !== 'invalid' && has(`problem_field_${e.code}`));
  if (worded && (lang() !== 'en' || !detail)) {
    return items.map((e) => t(`problem_field_${e.code}`, {
      field: fieldLabel(e.field),
      limit: e.limit == null ? '' : formatNumber(e.limit),
    })).join(' ');
  }
  if (lang() !== 'en' && problem.code && has(`problem_code_${problem.code}`)) {
    const kind = t(`problem_code_${problem.code}`);
    return detail ? `${kind} (${detail})` : kind;
  }
  return null;
}
