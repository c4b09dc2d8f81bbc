"""The page's controls and the URL, both derived from the settings declaration (linreg_core/settings.py).

Each declared setting becomes one widget keyed by its name, with its label, range and help; a setting added
to the declaration appears here with no code of its own (in the sidebar, under its group's heading, unless
the page gives it a place of its own). The URL holds the run: on a visitor's first
script run its query parameters fill the widgets (leniently, with a notice for anything not usable as
given); afterwards the address follows the widgets, and when the address changes under the page (Back,
Forward) the page follows the address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from linreg_core.settings import Knob, Notice, Settings, format_value, from_query, knobs

URL_READ = "url-read"  # session flag: this visitor's address has been read into the widgets
NOTICES = "url-notices"
URL_KEPT = "url-kept"  # the address's parameters that are the page's, not settings (its pins), as read
ADDRESS_CHECK = "address-check"
ADDRESS = "address"  # the address as the page last read or wrote it: {name: [values]}
DRAWN = "address-drawn"  # the settings' widget values as the page last drew them
# Streamlit reads no query at all when it has over 1,000 parameters or 512 KiB: the browser, which has the
# address, says when that happened (once per page), so the page can say so and clean the address.
_ADDRESS_JS = """
export default function ({ parentElement, setTriggerValue }) {
  const query = window.location.search.slice(1);
  if (!query || parentElement.dataset.checked) return;
  parentElement.dataset.checked = "1";
  const fields = query.split("&").length;
  if (fields > 1000 || query.length > 512 * 1024) setTriggerValue("dropped", { fields, length: query.length });
}
"""
_address = st.components.v2.component("gradienttape_lab.address", js=_ADDRESS_JS, isolate_styles=False)


def with_value(options: tuple, value: Any) -> list:
    """A grid's stops, plus `value` in order if it is not one of them (from a link, or a quick choice)."""
    return list(options) if value in options else sorted([*options, value])


def _label_of(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else format_value(value)


def widget(
    name: str, kind: type, k: Knob, where: Any, title: Callable[[Any], str] | None = None,
    stops: tuple | None = None, on_change: Callable[[], None] | None = None,
) -> Any:  # fmt: skip
    """Draw one setting's widget in `where` (it keeps its value in st.session_state[name]). `title` names a
    choice's or a grid's values for people (the setting's values stay short, for the URL and the command
    line); `stops` replaces a grid's declared stops (the batch size's, capped at the data's size)."""
    common = {"key": name, "help": k.help, "on_change": on_change}
    if k.widget == "choice":
        names = {"format_func": title} if title else {}
        if len(k.choices) <= 3:
            return where.radio(k.label, k.choices, horizontal=True, **names, **common)
        return where.selectbox(k.label, k.choices, **names, **common)
    if k.widget == "toggle" or kind is bool:
        return where.toggle(k.label, **common)
    if k.widget == "grid":
        options = with_value(tuple(kind(v) for v in (k.stops if stops is None else stops)), st.session_state[name])
        return where.select_slider(k.label, options, format_func=title or _label_of, **common)
    if k.widget == "number":
        return where.number_input(k.label, kind(k.lo), kind(k.hi), step=kind(k.step), **common)
    return where.slider(k.label, kind(k.lo), kind(k.hi), step=kind(k.step), **common)


def read_url(settings_type: type = Settings, keep: tuple[str, ...] = ()) -> None:
    """The address's settings into the widgets' state, notices kept to show, and the parameters named in
    `keep` (the page's own) kept as given in st.session_state[URL_KEPT]: on a visitor's first run, and
    whenever the address is not the one the page last wrote while no widget changed (Back or Forward; a
    visitor's input wins over an address that has not caught up with it yet). Streamlit (1.66 and 1.67)
    reruns the page on Back and Forward with the address they went to, and with the widgets' values as
    they were: so an address that changed while no widget did is the visitor's navigation."""
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    if st.session_state.get(URL_READ):
        if params == st.session_state.get(ADDRESS):
            return
        drawn = st.session_state.get(DRAWN, {})
        if any(name in st.session_state and st.session_state[name] != v for name, v in drawn.items()):
            return
    st.session_state[ADDRESS] = {key: list(values) for key, values in params.items()}
    params = dict(params)
    st.session_state[URL_KEPT] = {key: params.pop(key) for key in keep if key in params}
    settings, notices = from_query(params, settings_type)
    for name, *_ in knobs(settings_type):
        st.session_state[name] = getattr(settings, name)
    st.session_state[NOTICES] = notices
    st.session_state[URL_READ] = True


def dropped_address() -> None:
    """A notice for an address Streamlit ignored whole (its query too long), and a clean address: the page
    runs the defaults, and the address bar no longer claims otherwise."""
    dropped = _address(key=ADDRESS_CHECK, on_dropped_change=lambda: None).dropped
    if dropped:
        said = f"{dropped['fields']:,} parameters" if dropped["fields"] > 1000 else f"{dropped['length']:,} characters"
        notice = Notice(
            "This link", f"has {said}, more than Streamlit reads (1,000 parameters, 512 KiB): none of its settings "
            "could be used, so the page shows the defaults, and the address was cleaned.",
        )  # fmt: skip
        st.session_state[NOTICES] = [*st.session_state.get(NOTICES, []), notice]
        st.query_params.clear()


def write_url(settings: Settings, kept: dict[str, list[str]] | None = None) -> None:
    """The address follows the controls (only what differs from the defaults is written), then the page's
    own parameters (`kept`: each a list of values, repeated in the address, none written when empty)."""
    wanted: dict[str, str | list[str]] = {**settings.to_query(), **{k: v for k, v in (kept or {}).items() if v}}
    have = {key: st.query_params.get_all(key) for key in st.query_params}
    st.session_state[ADDRESS] = {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}
    if have != st.session_state[ADDRESS]:
        st.query_params.from_dict(wanted)


def draw(
    settings_type: type = Settings,
    *,
    places: dict[str, Any] | None = None,
    keep: tuple[str, ...] = (),
    after: dict[str, Callable[[Any, dict[str, Any]], None]] | None = None,
    titles: dict[str, Callable[[Any], str]] | None = None,
    grids: dict[str, Callable[[dict[str, Any]], tuple[tuple, Callable[[Any], str]] | None]] | None = None,
    changed: dict[str, Callable[[], None]] | None = None,
) -> Settings:
    """Every declared setting as a widget, grouped under its heading in the sidebar; returns the chosen Settings.

    `places[name]` is a container of the page's for a setting drawn outside the sidebar (the run's own
    controls, above the chart). Settings are drawn in their declared order wherever they are placed, so
    each one's `when` and extras see the values declared before it. `keep`: the address's parameters
    that are the page's own (see read_url).
    `after[name](container, values_so_far)` draws extra things right under a setting's widget (the
    learning rate's note and quick choices). `titles[name]` names a choice's options. `grids[name](values_so_far)`
    gives a grid's stops and their names for these values (or None for the declared ones). `changed[name]`
    runs when the visitor changes that widget, before the rerun. Settings whose
    `when` does not hold (e.g. the generator's noise with a real data set) are not drawn.
    """
    read_url(settings_type, keep)
    values: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    for name, kind, default, k in knobs(settings_type):
        st.session_state.setdefault(name, default)
        if name in (places or {}):
            where = places[name]
        else:
            if k.group not in groups:
                groups[k.group] = _group(k.group)
            where = groups[k.group]
        if k.when is not None and values.get(k.when[0], st.session_state.get(k.when[0])) not in k.when[1]:
            values[name] = st.session_state[name]
            continue
        shaped = (grids or {}).get(name)
        stops, title = (shaped(values) if shaped else None) or (None, None)
        values[name] = widget(name, kind, k, where, title or (titles or {}).get(name), stops, (changed or {}).get(name))
        if after and name in after:
            after[name](where, values)
    st.session_state[DRAWN] = dict(values)
    return settings_type.from_mapping(values)


def _group(title: str) -> Any:
    if title == "Starting weights":  # rarely changed: folded away
        return st.sidebar.expander(title)
    container = st.sidebar.container()
    container.subheader(title)
    return container


def notices_text(notices: list[Notice]) -> str:
    """The URL's notices as Markdown-safe text: parameter names and values come from a stranger's link, so
    every character Markdown or HTML could read as markup is escaped."""
    return "  \n".join(escape_markdown(f"{n.param} {n.text}") for n in notices)


_MARKDOWN_SPECIAL = set("\\`*_{}[]()<>#+-.!|~$:&\"'=")


def escape_markdown(text: str) -> str:
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)
