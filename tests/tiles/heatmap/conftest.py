import pytest

from tiles.heatmap.store import STORE


@pytest.fixture(autouse=True)
def fresh_store():
    """Every test starts with no points in this process's store, and leaves none (nor a
    refresh thread still running)."""
    STORE.forget()
    yield
    assert STORE.wait(30)
    STORE.forget()
