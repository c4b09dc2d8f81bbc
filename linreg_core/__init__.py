"""GradientTape Lab's engine: data, the GradientTape trainer, reference math and figures.

TensorFlow loads only when `linreg_core.trainer` is imported, so the page can draw before it does.
"""

from .settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError"]
