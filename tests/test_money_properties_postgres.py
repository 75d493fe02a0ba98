"""The random money walk of `test_money_properties.py`, on PostgreSQL. A file of its own: the suite
hands files to its two processes (`--dist loadfile`), so the two walks (over a minute each) can run
side by side instead of one after the other at the end of the run."""
from __future__ import annotations

import pytest

from tests.test_money_properties import test_random_money_sequences_keep_the_invariants as walk


@pytest.mark.timeout(900)  # hundreds of real transactions; minutes on a busy 2-core machine
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_random_money_sequences_keep_the_invariants_on_postgres(database_url, tmp_path):
    walk(database_url, tmp_path)
