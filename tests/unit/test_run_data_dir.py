"""`make run` twice in one folder: the local broker kept nothing, so Redis must not keep anything either."""

from __future__ import annotations

from pathlib import Path

from brobygger.run import fresh_data_dir


def test_a_previous_runs_redis_data_is_removed_so_the_catalogue_is_published_again(tmp_path: Path) -> None:
    """Found by restarting `make run`: the demo catalogue's idempotency keys were still in Redis, the
    broker's topics were empty, and every citizen registered after the restart got no proposal."""
    data = tmp_path / "data"
    assert not fresh_data_dir(data), "nothing there on a first run"
    data.mkdir()
    assert not fresh_data_dir(data), "an empty folder is left alone"
    (data / "appendonlydir").mkdir()
    (data / "appendonlydir" / "appendonly.aof.1.incr.aof").write_bytes(b"*2\r\n$6\r\nSELECT\r\n")
    (data / "redis.log").write_text("ready\n")
    assert fresh_data_dir(data)
    assert not data.exists()
