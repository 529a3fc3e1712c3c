"""Creating a node's database: every migration replayed (what a database created by an older release
went through) against the models' schema made in one transaction (node/core/db.create_fresh, what
`agora init` and the first `agora serve` do now), on SQLite and, with --postgres, on the PostgreSQL of
tests/scale (a database made and dropped per round). Wall time and this process's CPU time of each, the
median of --rounds, measured in the same run.

    .venv/bin/python tests/bench/migrate.py [--rounds 3] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from node.core.db import run_migrations  # noqa: E402
from node.core.settings import AssociationSettings, Settings  # noqa: E402
from tests.scale.cluster import check_postgres, create_database, drop_database  # noqa: E402


def settings_for(folder: Path, url: str | None) -> Settings:
    return Settings(base_url="http://bench.test", data_dir=str(folder), secret_key="bench-secret",
                    database_url=url or f"sqlite://{folder}/agora.sqlite3",
                    association=AssociationSettings(handle="asso", name="Bench"))


async def one(replay: bool, postgres: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="agora-bench-migrate-") as tmp:
        name = await create_database() if postgres else None
        url = f"postgres://postgres@127.0.0.1:5432/{name}" if name else None
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            await run_migrations(settings_for(Path(tmp), url), replay=replay)
            return time.perf_counter() - wall, time.process_time() - cpu
        finally:
            if name:
                await drop_database(name)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--postgres", action="store_true", help="also on PostgreSQL (127.0.0.1:5432, user postgres)")
    args = p.parse_args()
    engines = [("SQLite", False)] + ([("PostgreSQL", True)] if args.postgres else [])
    if args.postgres:
        await check_postgres()
    await one(False, False)  # imports and first-use costs out of the figures
    for engine, postgres in engines:
        figures = {}
        for replay in (True, False):
            runs = [await one(replay, postgres) for _ in range(args.rounds)]
            figures[replay] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        (rw, rc), (fw, fc) = figures[True], figures[False]
        print(f"{engine}: every migration replayed {rw:.2f} s ({rc:.2f} s CPU); created from the models "
              f"{fw:.2f} s ({fc:.2f} s CPU); {rw / fw:.0f}x faster")


if __name__ == "__main__":
    asyncio.run(main())
