// Building the chart's own elements. Text always goes in as text (textContent), never as markup.

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  children.forEach((c) => e.append(c)); // strings become text nodes
  return e;
}

// One row of a table, header cell first.
export function tableRow(key, cells) {
  return el("tr", { "data-row": key }, el("th", { scope: "row", text: cells[0] }), ...cells.slice(1).map((c) => el("td", { text: c })));
}
