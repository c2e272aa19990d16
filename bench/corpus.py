#!/usr/bin/env python3
"""Re-create the real-world corpus: well-known Go modules fetched through the Go module proxy.

    python3 bench/corpus.py [--dest DIR]

Downloads each pinned module (its own source only, no dependencies) into a scratch module cache
under DEST (default: ~/.cache/gofixleak-corpus, outside the repository; nothing fetched is
committed) and prints one line per tree:
``name<TAB>directory``. `$(go env GOROOT)/src` is listed first. Used by bench/realworld.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

MODULES = [  # (module, version): different styles of code, pinned for reproducible figures
    ("golang.org/x/net", "v0.62.0"),
    ("golang.org/x/tools", "v0.52.0"),
    ("golang.org/x/sync", "v0.25.0"),
    ("github.com/hashicorp/raft", "v1.8.0"),
    ("github.com/nats-io/nats-server/v2", "v2.15.3"),
    ("go.uber.org/zap", "v1.28.0"),
    ("github.com/redis/go-redis/v9", "v9.23.0"),
    ("google.golang.org/grpc", "v1.85.0"),
    ("github.com/prometheus/client_golang", "v1.25.0"),
    ("github.com/go-kit/kit", "v0.13.0"),
    ("github.com/segmentio/kafka-go", "v0.4.51"),
]

DEFAULT_DEST = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gofixleak-corpus"


def goroot_src() -> Path:
    out = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip()) / "src"


def download(module: str, version: str, cache: Path) -> Path:
    env = {**os.environ, "GOMODCACHE": str(cache), "GOFLAGS": "-modcacherw"}
    result = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    info = json.loads(result.stdout or "{}")
    if result.returncode != 0 or "Dir" not in info:
        raise SystemExit(
            f"corpus: cannot download {module}@{version}: {info.get('Error', result.stderr)}"
        )
    return Path(info["Dir"])


def trees(dest: Path) -> list[tuple[str, Path]]:
    out = [("go/src", goroot_src())]
    for module, version in MODULES:
        out.append((f"{module}@{version}", download(module, version, dest / "modcache")))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args()
    for name, directory in trees(args.dest):
        print(f"{name}\t{directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
