// The run chart: one view that animates a run while it trains and replays it after.
//
// It draws the run of the latest header, on the background that header names, so neither a late block of an
// earlier run nor another run's background is ever painted. One playhead drives everything a person reads:
// the fit line, the curves and their markers, the title, the numbers table and the scrubber.

import { build } from "./skeleton.js";
import { FrameClock, nextLive, playPosition } from "./clock.js";
import { drawLegend, PIN_COLORS } from "./legend.js";
import { layout } from "./layers.js";
import { fill, fmt, logRange, MIN_LOG } from "./numbers.js";
import { ORDER, PANELS, pinSeries } from "./panels.js";
import { loadPlotly } from "./plotly.js";
import { forgetOtherRuns, run, state } from "./store.js";
import { colors, readTheme } from "./theme.js";
import { note } from "./timeline.js";
import { Watchdog } from "./watch.js";
import { Microscope } from "./microscope.js";
import { StartDrag } from "./drag.js";
import { RateStrip } from "./ratestrip.js";
import { RateMap } from "./ratemap.js";
import { drawStatus, drawText, widerAxes } from "./readout.js";
import { KIND } from "./schema.js";

const MAX_PINS = PIN_COLORS.length;
// The pins each panel draws, for its legend (kept in their places, so each keeps its colour): the loss panel
// draws every pin, the landscape and the gap only those trained on the data shown; each as a band (panels.js).
const PINS_DRAWN = { loss: "all", landscape: "same", gap: "same" };
const pinsIn = (name, pins) => (PINS_DRAWN[name] === "all" ? pins : PINS_DRAWN[name] ? pins.map((p) => (p.same ? p : null)) : []);

export class RunView {
  constructor(host, { words, retry, probeUrl }) {
    this.host = host;
    this.words = words;
    this.retryWith = retry;
    this.runId = null;
    this.header = null;
    this.store = null;
    this.shown = -2; // index drawn last (-1: the start, before any update; -2: nothing yet)
    this.want = -1; // index to draw
    this.mode = "live"; // live (following the run), paused, playing, done
    this.logY = true;
    this.clock = new FrameClock();
    this.ghostRows = -1;
    this.raf = 0;
    this.plotly = null;
    this.ranges = {};
    this.interrupted = null; // "stopped" or "lost" while a run that is not over hears nothing
    // Panels scrolled out of sight skip the frames of a moving run (live or playing); what they missed is
    // kept and drawn on the frame they come back into sight. A resting run (paused, done) draws them all.
    this.inSight = new Set();
    this.missed = {};
    this.toDraw = []; // panels of the page's first picture still to draw, one a frame
    Object.assign(this, build(this));
    this.drag = new StartDrag(this, this.panels.landscape.over.parentElement);
    this.strip = new RateStrip(this, this.drag);
    this.previewNote.before(this.strip.root);
    this.rateMap = new RateMap(this, this.drag);
    this.previewNote.before(this.rateMap.root);
    this.microscope = new Microscope(this);
    this.numbers.closest("figure").after(this.microscope.root);
    host.append(this.root);
    state.views.add(this);
    this.watch = new Watchdog(this, probeUrl);
    loadPlotly().then((P) => {
      this.plotly = P;
      this.kick();
    }, (e) => this.fail(e));
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    this.watch.stop();
    this.resizer.disconnect();
    this.sight.disconnect();
    state.views.delete(this);
    this.root.remove();
    this.dead = true;
  }

  last() {
    return this.store ? this.store.rows - 1 : -1;
  }

  // ---- messages ----

  // The latest header, on its background, once both have arrived.
  follow() {
    const h = state.header;
    const bg = h && state.backgrounds.get(h.background);
    if (bg) this.show({ ...bg, ...h });
  }

  onMessage(message) {
    this.watch.heard(message);
    if (message.kind === KIND.PINS) this.kick();
    else if (message.kind === KIND.HEADER || message.kind === KIND.BACKGROUND) this.follow();
    else if (message.run === this.runId && message.kind !== KIND.ALIVE) this.onStore();
  }

  show(h) {
    if (h.run !== this.runId) {
      this.runId = h.run;
      this.store = run(h.run, h.total);
      this.store.total = h.total;
      this.store.shape(h.total, h.columns);
      forgetOtherRuns();
      this.mode = "live";
      this.want = -1;
      this.shown = -2;
      this.ghostRows = -1;
      this.missed = {};
      // the new run's identity and state go up at once, so nothing reads the old run's state under the new id
      Object.assign(this.root.dataset, { run: h.run, state: "live", step: "", paints: "0" });
      // the same points, lines and axes (a new learning rate, say) keep their drawing: only the run moves
      if (h.background !== this.backgroundKey) this.backgroundDrawn = false;
      else this.axesToReset = true;
      this.interrupted = null;
      this.watch.newRun();
      this.drag.clear(); // a new run: the trained run has the last word over any prediction
    }
    this.drag.heard(); // a start dropped: whatever the page answered, its prediction has had its time
    this.header = h;
    this.strip.show(h);
    this.rateMap.show(h);
    this.scrubber.reset(h);
    if (h.status && !this.backgroundDrawn) {
      // a finished run shown anew (a rerun that did not retrain): straight to its last step
      this.mode = "done";
      this.want = this.last();
    }
    this.readTheme();
    if (this.c) this.c = this.context(); // the panels' next frames read the new run's header
    this.kick();
  }

  onStore() {
    if (this.mode === "live" || this.mode === "done") this.kick();
    else this.drawStatus();
  }

  interrupt(kind) {
    this.interrupted = kind;
    this.drawStatus();
  }

  retry(n) {
    this.trigger("retry", n);
  }

  trigger(name, value) {
    if (this.retryWith) this.retryWith(name, value);
  }

  // ---- time ----

  kick() {
    if (!this.raf && !this.dead) this.raf = requestAnimationFrame((t) => this.tick(t));
  }

  tick(now) {
    this.raf = 0;
    if (!this.header) return; // nothing to draw before a run's header (pins may arrive first)
    if (!this.plotly) return this.drawStatus(); // the words at once; the plots once Plotly has loaded
    if (!this.backgroundDrawn) this.drawBackground();
    else if (this.toDraw.length) this.drawPanel(this.toDraw.shift());
    else if (this.axesToReset) this.resetAxes();
    if (this.toDraw.length) return this.kick(); // the first picture is still being drawn
    this.drawExtras();
    let again = false;
    const last = this.last();
    if (this.mode === "live") {
      if (!this.clock.due(now)) {
        again = true;
      } else {
        this.want = nextLive(this.header.steps.live, this.shown, last, this.store.done);
        if (this.store.done && this.want >= last) this.mode = "done";
        again = this.mode === "live";
      }
    } else if (this.mode === "playing") {
      if (this.clock.due(now)) {
        const end = this.scrubber.end(last);
        const dt = this.playFrom === null ? 0 : (now - this.playFrom) / 1000;
        const pos = Math.min(end, playPosition(this.playStart, dt, this.scrubber.positions()));
        this.want = this.scrubber.stepAt(pos);
        if (this.playFrom === null) this.playFrom = now;
        if (pos >= end) {
          this.want = last;
          this.mode = this.store.done ? "done" : "live";
          this.setPlayLabel();
        }
      }
      again = this.mode === "playing";
    }
    if (this.want !== this.shown || this.ghostRows !== this.store.rows) this.draw(Math.min(this.want, last));
    this.catchUp();
    this.drawStatus();
    if (again) this.kick();
  }

  startPlay() {
    const last = this.last();
    if (last < 0) return;
    this.playStart = this.shown >= last ? 0 : this.scrubber.positionOf(this.shown); // at the end: from the start
    this.playFrom = null;
    this.mode = "playing";
    this.setPlayLabel();
    this.kick();
  }

  pause() {
    this.mode = "paused";
    this.setPlayLabel();
    this.drawStatus();
  }

  togglePlay() {
    if (this.mode === "playing") this.pause();
    else this.startPlay();
  }

  scrubbed() {
    this.mode = "paused";
    this.setPlayLabel();
    this.want = this.scrubber.step(this.last());
    this.kick();
  }

  // Show record i (-1: the start) and rest there: the microscope's step buttons.
  stepTo(i) {
    this.mode = "paused";
    this.setPlayLabel();
    this.want = i;
    this.scrubber.input.value = String(this.scrubber.positionOf(Math.max(i, 0)));
    this.kick();
  }

  setPlayLabel() {
    const playing = this.mode === "playing";
    this.play.textContent = playing ? "❚❚ Pause" : "▶ Play";
    this.play.setAttribute("aria-label", playing ? "Pause" : "Play the run");
    this.play.setAttribute("aria-pressed", playing ? "true" : "false");
  }

  // A run that moves each frame (live or playing), as against one at rest (paused, done).
  moving() {
    return this.mode === "live" || this.mode === "playing";
  }

  // ---- drawing ----

  readTheme() {
    const theme = readTheme(this.host);
    const changed = !this.theme || this.theme.text !== theme.text || this.theme.dark !== theme.dark;
    this.theme = theme;
    this.root.classList.toggle("gtl-dark", theme.dark);
    if (changed) this.redrawAll();
  }

  // Everything drawn again at the step shown (a new theme, a new loss axis type).
  redrawAll() {
    const keep = this.shown;
    this.backgroundDrawn = false;
    this.ghostRows = -1;
    this.missed = {};
    this.shown = -2;
    if (keep >= -1 && this.mode !== "live") this.want = keep;
    this.kick();
  }

  // What every panel's drawing needs of this run and this view (see panels.js).
  context() {
    const h = this.header;
    const logY = this.logY;
    const startGap = Math.max(h.start_loss - h.loss_star, 1e-30);
    const gapFloor = Math.max(1e-7 * Math.max(h.loss_star, 1e-30), startGap * 1e-14);
    const { shift = 0, scale = 1 } = h.landscape;
    const logX = this.scrubber.log();
    return {
      h, logY, logX, gapFloor, theme: this.theme, colors: colors(this.root),
      sx: (k) => (logX ? k + 1 : k),
      lossY: (v) => (logY ? Math.max(v, MIN_LOG) : v),
      gap: (v) => Math.max(v - h.loss_star, gapFloor),
      land: (w0, w1) => [w0 * scale, w1 + w0 * shift],
      lossRange: (lo, hi) => (logY ? logRange(lo, hi) : [0, hi > 0 ? hi * 1.06 : 1]),
    };
  }

  drawBackground() {
    const c = (this.c = this.context());
    const pins = this.pinned();
    for (const name of ORDER) {
      const panel = this.panels[name];
      panel.set(PANELS[name].scene(c));
      if (PANELS[name].extras) panel.setUnder(PANELS[name].extras(c, pins));
      this.ranges[name] = PANELS[name].range(c);
    }
    if (this.backgroundKey === undefined) {
      // the page's first picture: one panel a frame, the data first, so it shows while the others are drawn
      // (nothing older is on screen yet to mix with; a later background is drawn whole, in one frame)
      this.drawPanel(ORDER[0]);
      this.toDraw = ORDER.slice(1);
    } else {
      ORDER.forEach((name) => this.drawPanel(name));
      this.toDraw = [];
    }
    this.backgroundKey = this.header.background;
    this.axesToReset = false;
    this.extrasFor = this.extrasWanted(["loss", "landscape", "gap", "theory"]);
    const { shown, n } = this.header.points;
    this.note.textContent = shown < n ? fill(this.words.sampled, { shown: fmt.int(shown), n: fmt.int(n) }) : "";
    this.backgroundDrawn = true;
  }

  layoutOf(name) {
    return (panel, visible) => layout(this.theme, panel.scene.axes, this.ranges[name], this.plotHeight(), visible);
  }

  drawPanel(name) {
    this.panels[name].draw(this.plotly, this.layoutOf(name));
  }

  plotHeight() {
    return this.panels.fit.over.clientHeight || 300; // set by the stylesheet, smaller in a narrow chart
  }

  setRange(name, range) {
    this.ranges[name] = range;
    return this.panels[name].setRange(this.plotly, range);
  }

  pinned() {
    return pinSeries(state.pins.slice(0, MAX_PINS), this.header.background);
  }

  // What each part drawn by drawExtras shows: the pins (on this background), theory, captions and legends
  // (this run). `only` leaves the other parts as they are.
  extrasWanted(only) {
    const h = this.header;
    const onData = `${h.background}|${state.pinsVersion}`;
    const want = { loss: onData, landscape: onData, gap: onData, theory: h.run, words: `${h.run}|${state.pinsVersion}` };
    const out = { ...(this.extrasFor || {}) };
    for (const part of only || Object.keys(want)) out[part] = want[part];
    return out;
  }

  // What belongs to the run and the visitor's pins rather than to the data, drawn when either changes.
  drawExtras() {
    const want = this.extrasWanted();
    const changed = Object.keys(want).filter((part) => this.extrasFor[part] !== want[part]);
    if (!changed.length) return;
    this.extrasFor = want;
    const h = this.header;
    const pins = this.pinned();
    if (changed.includes("words")) {
      for (const name of ORDER) {
        this.captions[name].textContent = (h.captions || {})[name] || "";
        drawLegend(this.legends[name], (h.legends || {})[name], pinsIn(name, pins), this.words);
      }
      this.root.dataset.pins = String(pins.length);
    }
    for (const name of ["loss", "landscape", "gap"].filter((part) => changed.includes(part))) {
      this.panels[name].setUnder(PANELS[name].extras(this.c, pins));
      this.panels[name].drawUnder(this.plotly, this.layoutOf(name));
    }
    // a new run on the same axes: only the theory curve moves (a whole redraw of the layer takes ~20 ms)
    if (changed.includes("theory") && !changed.includes("gap")) this.panels.gap.moveUnder(this.plotly, PANELS.gap.theory(this.c));
  }

  // A new run on the drawn background: axes that the last run widened (a diverging run) shrink back.
  // A new run on the same background: the data panel's and the step charts' axes as its own start and rate
  // call for (a start moved within the view keeps the background, not its loss, weights or starting line).
  resetAxes() {
    this.axesToReset = false;
    for (const name of ["fit", "loss", "weights", "gap"]) {
      const range = PANELS[name].range(this.c);
      if (JSON.stringify(this.ranges[name]) !== JSON.stringify(range)) this.setRange(name, range);
    }
  }

  // Draw record i (-1: the starting line, before any update) and the whole run so far, faintly.
  draw(i) {
    const h = this.header;
    const s = this.store;
    const steps = [];
    for (const k of h.steps.curve) {
      if (k > i) break;
      steps.push(k);
    }
    if (i >= 0 && steps[steps.length - 1] !== i) steps.push(i);
    const frame = { i, steps, store: s, ghost: null, w0: i >= 0 ? s.get("w0", i) : h.init[0], w1: i >= 0 ? s.get("w1", i) : h.init[1] };
    let wide = null;
    if (this.ghostRows !== s.rows) { // the whole run so far, faintly: only when records have arrived
      const ghost = h.steps.curve.filter((k) => k < s.rows);
      if (s.rows > 0 && ghost[ghost.length - 1] !== s.rows - 1) ghost.push(s.rows - 1);
      frame.ghost = ghost;
      this.ghostRows = s.rows;
      wide = widerAxes(this, s.at("loss", ghost), s.at("w0", ghost).concat(s.at("w1", ghost)));
    }
    // an axis that no longer holds a curve (a diverging run) is widened first, then the curve drawn
    for (const name of ORDER) {
      const changes = PANELS[name].frame(this.c, frame);
      const range = wide && wide[name];
      if (this.moving() && !this.inSight.has(name)) {
        // out of sight: keep the latest of each trace for when it comes back; axes change at once
        this.missed[name] = Object.assign(this.missed[name] || {}, changes);
        if (range) this.setRange(name, range);
        continue;
      }
      const all = Object.assign(this.missed[name] || {}, changes);
      delete this.missed[name];
      if (range) this.setRange(name, range).then(() => this.panels[name].move(this.plotly, all));
      else this.panels[name].move(this.plotly, all);
    }
    if (this.shown < 0 && i >= 0) note("first-step", this.runId, i);
    this.shown = i;
    const d = this.root.dataset;
    d.step = i >= 0 ? String(i) : "start";
    d.paints = String(+d.paints + 1);
    this.drawText(i, frame.w0, frame.w1);
    if (this.mode !== "paused") this.scrubber.sync(this.shown, this.last());
  }

  // Panels back in sight (or a run come to rest) draw the frames they skipped: the step shown now.
  catchUp() {
    for (const [name, changes] of Object.entries(this.missed)) {
      if (this.moving() && !this.inSight.has(name)) continue;
      delete this.missed[name];
      this.panels[name].move(this.plotly, changes);
    }
  }

  drawText(i, w0, w1) {
    drawText(this, i, w0, w1);
    this.microscope.draw(i);
  }

  drawStatus() {
    drawStatus(this);
  }

  fail(error) {
    this.failed = true;
    this.status.textContent = fill(this.words.no_plotly, { error: error && error.message ? error.message : String(error) });
    this.status.dataset.kind = "error";
  }
}
