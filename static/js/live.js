// Live delivery: one websocket for every subscription, the last seq seen per topic,
// resubscribe with `after` on reconnect, exponential backoff with jitter, keepalive pings.

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30000;
const PING_EVERY_MS = 25000;
const PONG_TIMEOUT_MS = 10000;

class LiveClient {
  constructor() {
    this.ws = null;
    this.status = 'idle'; // idle | connecting | online | offline
    this.topics = new Map(); // topic -> {seq: number|null, handlers: Set, subscribed: bool}
    this.statusListeners = new Set();
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.wanted = false;
    window.addEventListener('online', () => { if (this.wanted) this.reconnectNow(); });
    window.addEventListener('offline', () => {
      // The browser knows the network is gone: say so now instead of waiting for a timeout.
      if (this.ws) this.ws.close(4000, 'offline');
      this.setStatus('offline');
    });
  }

  start() {
    this.wanted = true;
    if (!this.ws) this.connect();
  }

  /** Reconnect with fresh credentials (after sign-in or sign-out). */
  restart() {
    this.wanted = true;
    if (this.ws) {
      const old = this.ws;
      this.ws = null;
      this.detach(old);
      old.close(1000, 'restart');
    }
    for (const entry of this.topics.values()) entry.subscribed = false;
    this.connect();
  }

  onStatus(fn) { this.statusListeners.add(fn); fn(this.status); return () => this.statusListeners.delete(fn); }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    for (const fn of this.statusListeners) fn(status);
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/ws`;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.status !== 'offline') this.setStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.setStatus('online');
      for (const [topic, entry] of this.topics) this.sendSubscribe(topic, entry);
      this.startPing();
    };
    ws.onmessage = (ev) => { if (this.ws === ws) this.handleFrame(ev.data); };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      for (const entry of this.topics.values()) entry.subscribed = false;
      this.setStatus('offline');
      this.scheduleReconnect();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  detach(ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    this.stopPing();
  }

  scheduleReconnect() {
    if (!this.wanted || this.retryTimer) return;
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = Math.round(cap / 2 + Math.random() * (cap / 2)); // jitter: between half and all of the cap
    this.attempt = Math.min(this.attempt + 1, 10);
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.connect(); }, delay);
  }

  reconnectNow() {
    if (this.ws && this.ws.readyState <= 1) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt = 0;
    this.connect();
  }

  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== 1) return;
      this.rawSend({ op: 'ping' });
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => { if (this.ws) this.ws.close(4001, 'no pong'); }, PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  rawSend(frame) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  sendSubscribe(topic, entry) {
    const frame = { op: 'subscribe', topic };
    if (typeof entry.seq === 'number') frame.after = entry.seq;
    entry.subscribed = this.rawSend(frame);
  }

  /**
   * Listen to a topic. handler(event) receives {type, seq, data} for events, and
   * {type: 'resync'} when the client may have missed something and should reload.
   * `after`: the seq already known (omit to start from now). Returns an unsubscribe function.
   */
  subscribe(topic, handler, after) {
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = { seq: typeof after === 'number' ? after : null, handlers: new Set(), subscribed: false };
      this.topics.set(topic, entry);
    }
    entry.handlers.add(handler);
    if (!entry.subscribed && this.ws && this.ws.readyState === 1) this.sendSubscribe(topic, entry);
    this.start();
    return () => {
      entry.handlers.delete(handler);
      if (entry.handlers.size === 0 && this.topics.get(topic) === entry) {
        this.topics.delete(topic);
        this.rawSend({ op: 'unsubscribe', topic });
      }
    };
  }

  lastSeq(topic) {
    const entry = this.topics.get(topic);
    return entry ? entry.seq : null;
  }

  dispatch(entry, event) {
    for (const fn of [...entry.handlers]) {
      try { fn(event); } catch (err) { console.error(err); }
    }
  }

  handleFrame(raw) {
    let frame;
    try { frame = JSON.parse(raw); } catch { return; }
    if (!frame || typeof frame !== 'object') return;
    if (frame.op === 'pong') { clearTimeout(this.pongTimer); return; }
    const entry = frame.topic ? this.topics.get(frame.topic) : null;
    switch (frame.op) {
      case 'subscribed':
        if (entry && entry.seq === null && typeof frame.seq === 'number') entry.seq = frame.seq;
        if (entry) this.dispatch(entry, { type: 'subscribed', seq: frame.seq });
        break;
      case 'event': {
        if (!entry) return;
        const seq = frame.seq;
        if (typeof seq === 'number') {
          if (typeof entry.seq === 'number' && seq <= entry.seq) return; // already applied
          if (typeof entry.seq === 'number' && seq > entry.seq + 1) this.dispatch(entry, { type: 'resync' });
          entry.seq = seq;
        }
        this.dispatch(entry, { type: frame.type, seq, data: frame.data || {} });
        break;
      }
      case 'error': {
        const target = frame.ref ? this.topics.get(frame.ref) : null;
        if (target) this.dispatch(target, { type: 'error', code: frame.code, detail: frame.detail });
        break;
      }
      default:
        // An explicit "cannot replay" signal or any unknown frame naming a topic: reload it.
        if (entry && /reset|gap|resync|lost/i.test(String(frame.op))) {
          entry.seq = typeof frame.seq === 'number' ? frame.seq : entry.seq;
          this.dispatch(entry, { type: 'resync' });
        }
    }
  }
}

export const live = new LiveClient();
