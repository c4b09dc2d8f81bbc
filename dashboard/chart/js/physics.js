// The exact full-batch path, computed in the browser. On the mean squared error of a line the loss and its
// gradient depend on the points only through their moments (schema.py: Moments), so a whole run of gradient
// descent, heavy-ball or Nesterov momentum costs a few multiplications a step, with no pass over the points.
// The same updates as the trainer (linreg_core.trainer, optimizers): record t holds the weights and the loss
// after update t. Computed in float64; the trainer's float32 run agrees to its own rounding.

// The loss and its gradient at (w0, w1): with r = w0·mean_x + w1 − mean_y (the mean residual),
// L = r² + var_x·w0² − 2·cov_xy·w0 + var_y and ∇L = (2·(var_x·w0 − cov_xy + mean_x·r), 2·r).
export function loss(m, w0, w1) {
  const r = w0 * m.mean_x + w1 - m.mean_y;
  return r * r + w0 * (m.var_x * w0 - 2 * m.cov_xy) + m.var_y;
}

export function gradient(m, w0, w1) {
  const r = w0 * m.mean_x + w1 - m.mean_y;
  return [2 * (m.var_x * w0 - m.cov_xy + m.mean_x * r), 2 * r];
}

// The direction each rule steps along (w -= lr·direction), from the gradient and its velocity (optimizers.py).
const RULES = {
  gd: (g) => g,
  momentum: (g, v) => v,
  nesterov: (g, v, beta) => g + beta * v,
};

export function knows(rule) {
  return Object.hasOwn(RULES, rule);
}

// `updates` updates from `start` (trained coordinates): { w0, w1, loss, dw0, dw1 } per record, Float64Arrays,
// where dw is the gradient each update used. Stops early (shorter arrays) once the weights leave the finite
// numbers: a diverging rate.
export function path(m, { rule, beta: velocityBeta = 0 }, start, lr, updates) {
  const direction = RULES[rule];
  if (!direction) throw new Error(`no exact path for the rule ${rule}`);
  const beta = rule === "gd" ? 0 : velocityBeta;
  const out = { w0: new Float64Array(updates), w1: new Float64Array(updates), loss: new Float64Array(updates),
    dw0: new Float64Array(updates), dw1: new Float64Array(updates) };
  let [w0, w1] = start;
  let v0 = 0;
  let v1 = 0;
  let t = 0;
  for (; t < updates; t++) {
    const [g0, g1] = gradient(m, w0, w1);
    v0 = beta * v0 + g0;
    v1 = beta * v1 + g1;
    w0 -= lr * direction(g0, v0, beta);
    w1 -= lr * direction(g1, v1, beta);
    if (!Number.isFinite(w0) || !Number.isFinite(w1)) break;
    out.w0[t] = w0;
    out.w1[t] = w1;
    out.dw0[t] = g0;
    out.dw1[t] = g1;
    out.loss[t] = loss(m, w0, w1);
  }
  if (t < updates) for (const k of Object.keys(out)) out[k] = out[k].subarray(0, t);
  return out;
}

// Weights in the trained coordinates (v0, v1) as the line in x's own units: x' = (x − shift)/scale, so
// w0 = v0/scale and w1 = v1 − shift·w0 (schema.py: Landscape.shift, .scale).
export function toData({ shift = 0, scale = 1 }, v0, v1) {
  const w0 = v0 / scale;
  return [w0, v1 - shift * w0];
}
