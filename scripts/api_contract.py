"""Check that the API matches its description: schemathesis --checks all against the sample area.

    .venv/bin/python scripts/api_contract.py              # the full run (make bench runs it)
    .venv/bin/python scripts/api_contract.py --max-examples 20

Serves the sample area from a throw-away SQLite database on a free local port, runs
`schemathesis run` against /api/openapi.json (the /api/ and /oruk/ routes it describes), and
exits with schemathesis's status: 0 only when no check failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
sys.path.insert(0, str(REPO))


def serve_sample(folder: str):
    """Start the sample area on a free port; return (server, base URL)."""
    from webmap import create_app
    from webmap.cli import init_database
    from webmap.imports.sample import load_sample

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder}/contract.sqlite",
            "TILES_URL": "",
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "contract-test",
        }
    )
    with app.app_context():
        init_database()
        load_sample()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=200, help="cases per operation (default 200)")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run exactly")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="webmap-contract-") as folder:
        server, base = serve_sample(folder)
        try:
            command = [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(CONFIG),
                "run",
                f"{base}/api/openapi.json",
                "--url",
                base,
                "--checks",
                "all",
                "--max-examples",
                str(args.max_examples),
                "--no-color",
            ]
            if args.seed is not None:
                command += ["--seed", str(args.seed)]
            return subprocess.call(command)
        finally:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
