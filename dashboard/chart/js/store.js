// What this tab has heard from the page, kept as this module's own state (one instance per tab: every loader
// imports the chart by the same address): each run's records, the latest backgrounds, pins and header.

import { decode } from "./numbers.js";

const BACKGROUNDS_KEPT = 4;

// One run's records, column by column, filled in order as its blocks arrive (in any order).
export class RunStore {
  constructor(id, total) {
    this.id = id;
    this.columns = null;
    this.total = total;
    this.rows = 0;
    this.table = null;
    this.early = new Map(); // blocks that arrived before their predecessors (or before the header)
    this.status = null;
    this.done = false;
  }

  // The table's size and columns, once both are known (from the header, or a feed that came before it).
  shape(total, columns) {
    if (this.columns) return;
    columns = columns || (Array.from(this.early.values()).find((b) => b.columns) || {}).columns;
    if (!total || !columns) return;
    this.total = total;
    this.columns = columns;
    this.table = Object.fromEntries(columns.map((c) => [c, new Float32Array(Math.max(total, 1))]));
    const early = Array.from(this.early.values());
    this.early.clear();
    early.forEach((b) => this.add(b));
  }

  add(block) {
    if (block.columns) this.shape(this.total, block.columns); // waits for the header's total if none yet
    if (!this.columns || block.first > this.rows) {
      this.early.set(block.first, block);
      return;
    }
    const v = decode(block.values);
    const width = this.columns.length;
    for (let r = 0; r < block.rows; r++) {
      const step = block.first + r;
      if (step < this.rows || step >= this.total) continue;
      this.columns.forEach((c, j) => (this.table[c][step] = v[r * width + j]));
      this.rows = step + 1;
    }
    const next = this.early.get(this.rows);
    if (next) {
      this.early.delete(this.rows);
      this.add(next);
    }
  }

  end(status) {
    this.done = true;
    this.status = status;
  }

  has(column) {
    return !!this.columns && this.columns.includes(column);
  }

  get(column, i) {
    return this.table[column][i];
  }

  // A column's values at the given record indices.
  at(column, indices) {
    if (!indices.length) return [];
    const col = this.table[column];
    return indices.map((k) => col[k]);
  }
}

export const state = {
  runs: new Map(),
  backgrounds: new Map(), // key -> background, the newest last
  header: null, // the latest run header
  pins: [],
  pinsVersion: 0,
  views: new Set(),
};

export function run(id, total = 0) {
  let s = state.runs.get(id);
  if (!s) {
    s = new RunStore(id, total);
    state.runs.set(id, s);
  }
  return s;
}

export function keepBackground(message) {
  state.backgrounds.delete(message.key); // re-inserted last: the newest are kept
  state.backgrounds.set(message.key, message);
  while (state.backgrounds.size > BACKGROUNDS_KEPT) state.backgrounds.delete(state.backgrounds.keys().next().value);
}

// Runs no view shows any more (their memory goes back).
export function forgetOtherRuns() {
  const shown = new Set(Array.from(state.views, (v) => v.runId));
  for (const id of state.runs.keys()) if (!shown.has(id)) state.runs.delete(id);
}
