"""GradientTape Lab's engine: settings -> data -> the GradientTape trainer -> step records, and the math
to check them against. Free of Streamlit.

    from linreg_core import Settings, load, analyse, TrainingRun
    settings = Settings(lr=0.1)
    data = load(settings)
    *_, last = TrainingRun(data, settings)

TensorFlow loads only when the trainer is first used (`linreg_core.TrainingRun` or `linreg_core.trainer`),
so the page can draw, and the command line check its input, before it does.
"""

from .analysis import analyse
from .data import load
from .dataset import DataError, Dataset
from .settings import Settings, SettingsError

__all__ = ["DataError", "Dataset", "Settings", "SettingsError", "Step", "TrainingRun", "analyse", "load"]


def __getattr__(name: str):
    if name in ("TrainingRun", "Step"):
        from . import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
