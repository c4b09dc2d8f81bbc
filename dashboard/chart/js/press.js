// Press, drag and release on an element that previews while the button is down and commits on release (the
// rate strip, the rate map): `at(e)` is the value under the pointer, `choose(value)` previews it, `commit()`
// runs on release, `cancel()` when the browser takes the pointer away; nothing happens while `ready()` is false.

export function pressToChoose(root, { ready, at, choose, commit, cancel }) {
  let pointer = null;
  root.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || !ready()) return;
    e.preventDefault();
    root.setPointerCapture(e.pointerId);
    pointer = e.pointerId;
    choose(at(e));
  });
  root.addEventListener("pointermove", (e) => e.pointerId === pointer && choose(at(e)));
  root.addEventListener("pointerup", (e) => {
    if (e.pointerId !== pointer) return;
    pointer = null;
    commit();
  });
  root.addEventListener("pointercancel", () => {
    pointer = null;
    cancel();
  });
}
