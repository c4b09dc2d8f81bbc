import pytest

from linreg_core.data import linear_like
from linreg_core.settings import Settings


@pytest.fixture(scope="session")
def blog_settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def blog_data(blog_settings):
    return linear_like(blog_settings)
