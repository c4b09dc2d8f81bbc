// Whether the page still works on the run shown, and what to do when its connection comes back.
//
// The page shows it is alive (schema.py: a heartbeat at least every HEARTBEAT_MS while a run streams or waits
// for the worker, and one at the top of every script run). A run that is not over and hears nothing for
// STALL_MS has stopped: the chart asks the server for a tiny file of its own to tell a stopped run (the
// server answers: Streamlit's Stop) from a lost connection (it does not). A run cut short (not over, or over
// with a code in RETRY_CODES) is asked for again once the server, having been away, answers again: a rerun
// every RETRY_EVERY_MS until a new header arrives, for at most RETRY_FOR_MS. The file asked for is the one of
// the server that sent the run (its header names it): "not found" means another server answers in its place,
// restarted since, however briefly it was away (Streamlit's tab reconnects to it but reruns nothing).

import { CODE, RETRY_CODES, STALL_MS, RETRY_EVERY_MS, RETRY_FOR_MS, SERVER_PREFIX } from "./schema.js";

const TICK_MS = 500;
const PROBE_EVERY_MS = 2000; // while waiting for a lost server to come back
const PROBE_TIMEOUT_MS = 3000;
// What a probe learns: the run's server answers; another one does (a restart); none does.
export const ANSWER = Object.freeze({ SAME: "same", OTHER: "other", NONE: "none" });

export class Watchdog {
  // view: { store, header, interrupt(kind | null), retry(n) }; probeUrl: a file every server of this app
  // serves (asked for when the header names no server)
  constructor(view, probeUrl) {
    this.view = view;
    this.probeUrl = probeUrl;
    this.heardAt = performance.now();
    this.probing = false;
    this.probedAt = -Infinity;
    this.away = false; // the server did not answer since the run was cut short
    this.backAt = null; // when it answered again
    this.retries = 0;
    this.lastRetry = -Infinity;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop() {
    clearInterval(this.timer);
  }

  // Any message from the page: it is alive. One about the run shown says the run is, too (a busy browser
  // may hear the page late).
  heard(message) {
    this.heardAt = performance.now();
    if (message.run && message.run === this.view.runId && this.view.interrupted) this.view.interrupt(null);
  }

  // A new run shown: nothing to wait for on its account yet.
  newRun() {
    this.backAt = null;
    this.retries = 0;
    this.lastRetry = -Infinity;
    this.away = false;
  }

  cutShort() {
    const s = this.view.store;
    if (!s) return false;
    if (!s.done) return true;
    return !!s.status && RETRY_CODES.includes(s.status.code);
  }

  tick() {
    const now = performance.now();
    const s = this.view.store;
    if (!s || !this.cutShort()) return;
    if (!s.done && now - this.heardAt > STALL_MS && !this.view.interrupted) {
      this.probe((answer) => {
        if (this.view.store === s && !s.done && performance.now() - this.heardAt > STALL_MS) {
          this.away = answer !== ANSWER.SAME;
          if (answer === ANSWER.OTHER) this.backAt = performance.now();
          this.view.interrupt(answer === ANSWER.SAME ? "stopped" : "lost");
        }
      });
      return;
    }
    const waiting = this.view.interrupted === "lost" || (s.done && s.status.code !== CODE.STOPPED) || this.away;
    if (this.backAt === null && waiting && now - this.probedAt > PROBE_EVERY_MS) {
      this.probe((answer) => {
        if (answer === ANSWER.NONE) this.away = true;
        else if (answer === ANSWER.OTHER || this.away) {
          this.away = true;
          this.backAt = performance.now();
        }
      });
    }
    if (this.backAt !== null && now - this.backAt < RETRY_FOR_MS && now - this.lastRetry >= RETRY_EVERY_MS) {
      this.lastRetry = now;
      this.retries += 1;
      this.view.retry(this.retries);
    }
  }

  // The file of the run's server (or the app's probe, when the header names none): found, not found (another
  // server answers), or no answer at all.
  probe(then) {
    if (this.probing) return;
    this.probing = true;
    this.probedAt = performance.now();
    const server = this.view.header && this.view.header.server;
    const url = server ? new URL(`../${SERVER_PREFIX}${server}.txt`, this.probeUrl).href : this.probeUrl;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), PROBE_TIMEOUT_MS);
    fetch(url, { cache: "no-store", signal: abort.signal })
      .then(
        (r) => (r.ok ? ANSWER.SAME : r.status === 404 && server ? ANSWER.OTHER : ANSWER.NONE),
        () => ANSWER.NONE,
      )
      .then((answer) => {
        clearTimeout(timer);
        this.probing = false;
        then(answer);
      });
  }
}
