// A short log of what reached the chart and when (wall-clock ms), for the benchmarks' timelines: a bench
// imports the chart's entry module and reads `timeline`.

export const timeline = [];

export function note(event, run, detail) {
  timeline.push([Date.now(), event, run, detail]);
  if (timeline.length > 2000) timeline.splice(0, 1000);
}
