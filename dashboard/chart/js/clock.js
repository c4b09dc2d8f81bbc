// When frames are drawn, and which step each one shows.
//
// While a run trains the playhead follows it: first through the header's live steps (log-spaced, so the fast
// early steps are seen), at most FPS frames a second, then the newest trained step. Afterwards Play moves it
// evenly along the scrubber's scale over PLAY_SECONDS.

export const FPS = 30;
const PLAY_SECONDS = 4;

// Frames are due every 1000/FPS ms on a fixed schedule: animation frames arrive with jitter (30 to 50 ms
// apart at 30 per second here), and waiting a full interval after each late one would lose frames.
export class FrameClock {
  constructor() {
    this.next = 0;
  }

  due(now) {
    const interval = 1000 / FPS;
    if (now < this.next - interval / 4) return false;
    this.next = Math.max(this.next + interval, now + interval / 2);
    return true;
  }
}

// The step a live frame shows after `shown`: the next live step once trained; else, when training is behind
// the schedule (large n), half the way to the newest step, so each frame shows a newer step than the last
// even between two blocks; the last step once the run has ended.
export function nextLive(targets, shown, last, done) {
  const next = targets.find((t) => t > shown);
  if (next !== undefined && next <= last) return next;
  if (last > shown) return done ? last : shown + Math.ceil((last - shown) / 2);
  return shown;
}

// Playing: the scrubber position `dt` seconds after starting from position `from`, out of `positions`.
export function playPosition(from, dt, positions) {
  return Math.round(from + (dt * (positions - 1)) / PLAY_SECONDS);
}
