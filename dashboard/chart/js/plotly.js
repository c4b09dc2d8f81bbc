// Plotly, from the bundle of the `plotly` Python package the page published beside these modules (the same
// version as the Python side), compressed once by the page (assets.py): fetched as it is, decompressed here,
// and run as a script of this page. Its script defines the global `Plotly`, as its documentation says.

let loading = null;

async function load() {
  const url = new URL("./plotly.min.js.gz", import.meta.url).href;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  const code = response.body.pipeThrough(new DecompressionStream("gzip"));
  const src = URL.createObjectURL(await new Response(code, { headers: { "Content-Type": "text/javascript" } }).blob());
  try {
    await new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.addEventListener("load", resolve);
      script.addEventListener("error", () => reject(new Error(`${url} did not run`)));
      document.head.append(script);
    });
  } finally {
    URL.revokeObjectURL(src);
  }
  if (!globalThis.Plotly) throw new Error(`${url} defined no Plotly`);
  return globalThis.Plotly;
}

export function loadPlotly() {
  if (!loading) {
    loading = load().catch((e) => {
      loading = null; // a later call may try again
      throw e;
    });
  }
  return loading;
}
