"""The run chart: its Streamlit components (component.py), the messages they carry (schema.py), and the
browser's side (js/, chart.css), published for the browser by assets.py."""
