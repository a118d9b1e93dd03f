"""The load benchmark's pure helpers (scripts/bench_load.py): p95, click order, the server's process tree."""

from __future__ import annotations

import random
from itertools import pairwise

from scripts.bench_load import click_order, descendants, p95, parent_pid


def test_p95_is_the_nearest_rank():
    assert p95([3.0]) == 3.0
    assert p95([float(n) for n in range(1, 101)]) == 95.0
    assert p95([float(n) for n in range(20, 0, -1)]) == 19.0
    assert p95([1.0, 2.0]) == 2.0


def test_click_order_never_clicks_the_page_it_is_on():
    keys = ["a", "b", "c"]
    for seed in range(50):
        order = click_order(keys, 4, random.Random(seed), start="a")
        assert len(order) == 12
        assert all(sorted(order[i : i + 3]) == keys for i in range(0, 12, 3))
        clicks = ["a", *order]
        assert all(here != there for here, there in pairwise(clicks))


def test_click_order_is_seeded():
    keys = [str(n) for n in range(10)]
    assert click_order(keys, 3, random.Random(7), start="0") == click_order(
        keys, 3, random.Random(7), start="0"
    )


def test_server_tree_from_proc_stat():
    assert parent_pid("4242 (python3 -m (x) y) S 17 4242 4242 0 -1") == 17
    parents = {2: 1, 3: 2, 4: 3, 5: 1, 6: 5}
    assert descendants(2, parents) == {2, 3, 4}
    assert descendants(9, parents) == {9}
