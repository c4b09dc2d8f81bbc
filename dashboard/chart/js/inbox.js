// Every message from the page (schema.py) lands here, in the order the page sent it: it is kept in the store,
// then each view hears of it.

import { KIND } from "./schema.js";
import { keepBackground, run, state } from "./store.js";
import { note } from "./timeline.js";

export function deliver(message) {
  note(message.kind, message.run || message.key, message.first);
  switch (message.kind) {
    case KIND.BACKGROUND:
      keepBackground(message);
      break;
    case KIND.PINS:
      state.pins = message.pins;
      state.pinsVersion += 1;
      break;
    case KIND.HEADER: {
      state.header = message;
      const s = run(message.run, message.total);
      s.total = message.total;
      s.shape(message.total, message.columns);
      if (message.records) s.add(message.records);
      if (message.status) s.end(message.status);
      break;
    }
    case KIND.FEED:
      run(message.run).add(message);
      break;
    case KIND.END:
      run(message.run).end(message.status);
      break;
    default: // ALIVE: nothing to keep, but the views hear that the page works
  }
  for (const view of state.views) view.onMessage(message);
}
