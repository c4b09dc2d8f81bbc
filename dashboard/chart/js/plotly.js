// Plotly, from the bundle of the `plotly` Python package the page published beside these modules (the same
// version as the Python side). Its script defines the global `Plotly`, as its documentation says.

let loading = null;

export function loadPlotly() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL("./plotly.min.js", import.meta.url).href;
      script.async = true;
      script.addEventListener("load", () => (globalThis.Plotly ? resolve(globalThis.Plotly) : reject(new Error("no Plotly"))));
      script.addEventListener("error", () => reject(new Error(`${script.src} did not load`)));
      document.head.append(script);
    }).catch((e) => {
      loading = null; // a later call may try again
      throw e;
    });
  }
  return loading;
}
