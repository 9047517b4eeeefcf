// Sends that must not be lost: each carries a client_id, is kept in localStorage until the
// server has it, and is retried with the same client_id after a network failure.

import { api, newClientId } from './api.js';
import { live } from './live.js';

const PREFIX = 'forum.outbox.';

function load(key) {
  try { return JSON.parse(localStorage.getItem(PREFIX + key) || 'null'); } catch { return null; }
}
function save(key, value) {
  try {
    if (value) localStorage.setItem(PREFIX + key, JSON.stringify(value));
    else localStorage.removeItem(PREFIX + key);
  } catch { /* storage full or disabled: the in-memory copy still retries */ }
}

/**
 * One pending send per key (e.g. "thread:42" or "table:7").
 * onChange(state) is told: 'idle' | 'sending' | 'queued' | 'failed', with the error.
 */
export class Outbox {
  constructor(key, path, onChange) {
    this.key = key;
    this.path = path;
    this.onChange = onChange;
    this.item = load(key);
    this.busy = false;
    this.retryTimer = null;
    this.stopStatus = live.onStatus((status) => { if (status === 'online') this.flush(); });
    this.onOnline = () => this.flush();
    window.addEventListener('online', this.onOnline);
  }

  /** The text waiting to go, if any (restored after a reload). */
  pending() { return this.item; }

  /** Queue a new send and try it now. Extra fields (reply_to) go in the body. */
  send(body, extra = {}) {
    if (!this.item) {
      this.item = { client_id: newClientId(), body, ...extra };
      save(this.key, this.item);
    }
    return this.flush();
  }

  /** Give up the pending send (the person wants to edit it again). */
  cancel() {
    this.item = null;
    save(this.key, null);
    clearTimeout(this.retryTimer);
    this.onChange('idle');
  }

  async flush() {
    if (!this.item || this.busy) return null;
    this.busy = true;
    clearTimeout(this.retryTimer);
    const item = this.item;
    this.onChange('sending');
    try {
      const result = await api('POST', this.path, item);
      if (this.item === item) { this.item = null; save(this.key, null); }
      this.onChange('idle', null, result, item);
      return result;
    } catch (err) {
      if (err.isNetwork || err.status >= 500 || err.status === 429) {
        this.onChange('queued', err);
        const wait = err.retryAfter ? err.retryAfter * 1000 : 5000 + Math.random() * 5000;
        this.retryTimer = setTimeout(() => this.flush(), wait);
      } else {
        // The server refused it (locked thread, too long, …): give it back to the person.
        if (this.item === item) { this.item = null; save(this.key, null); }
        this.onChange('failed', err, null, item);
      }
      return null;
    } finally {
      this.busy = false;
    }
  }

  close() {
    clearTimeout(this.retryTimer);
    this.stopStatus();
    window.removeEventListener('online', this.onOnline);
  }
}
