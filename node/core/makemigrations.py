"""`python -m node.makemigrations`: write a migration for model changes (Tortoise's autodetector)."""

from __future__ import annotations

import sys
import tempfile

from tortoise.cli import cli

from node.core.db import MIGRATIONS_MODULE, MODELS_MODULES

if __name__ == "__main__":
    scratch = tempfile.NamedTemporaryFile(suffix=".sqlite3")
    config = {
        "connections": {"default": f"sqlite://{scratch.name}"},
        "apps": {"models": {"models": list(MODELS_MODULES), "default_connection": "default", "migrations": MIGRATIONS_MODULE}},
    }
    setattr(sys.modules[__name__], "TORTOISE_ORM", config)  # the Tortoise CLI reads the config by path
    sys.argv = ["tortoise", "-c", f"{__name__}.TORTOISE_ORM", "makemigrations"]
    cli.main()
