"""One ``roadcam process`` batch with the oracle detector, in its own process (for concurrency tests).

    python tests/pipeline/batch_worker.py DATABASE_URL TMP_DIR VIDEO... [--hold-s S]

``--hold-s`` waits S seconds after the batch has read the stored defects it merges
into, before it writes: it widens the window in which a second batch could read
the same defects, so a missing merge lock shows up every time, not by luck.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sample_oracle import process_with_oracle

import store.defects


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("database")
    p.add_argument("tmp", type=Path)
    p.add_argument("videos", nargs="+", type=Path)
    p.add_argument("--hold-s", type=float, default=0.0)
    args = p.parse_args()
    if args.hold_s > 0:
        read = store.defects.stored_defect_candidates

        def read_then_hold(*a, **kw):
            out = read(*a, **kw)
            time.sleep(args.hold_s)
            return out

        store.defects.stored_defect_candidates = read_then_hold
    args.tmp.mkdir(parents=True, exist_ok=True)
    return process_with_oracle(args.videos, args.database, args.tmp)


if __name__ == "__main__":
    sys.exit(main())
