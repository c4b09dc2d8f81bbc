"""The server's one training service, started by its first visit before the page's own imports, so that
TensorFlow loads in the worker while the server imports the page and the browser draws its first elements."""

from __future__ import annotations

import streamlit as st

from .training import TrainingService


@st.cache_resource(show_spinner=False)
def training_service() -> TrainingService:
    """One training worker per server (thread-safe, holds no visitor's data)."""
    return TrainingService()
