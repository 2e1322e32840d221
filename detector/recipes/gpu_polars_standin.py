"""Stand-in for polars on the GPU machine (packed as polars/__init__.py in gpu/usite.tar.xz with
ultralytics 8.4.190): ultralytics only reads its own results.csv with it there."""

import csv
import io


class _Frame:
    def __init__(self, rows):
        self.rows = rows

    def to_dict(self, as_series=False):
        keys = list(self.rows[0]) if self.rows else []
        out = {k: [] for k in keys}
        for r in self.rows:
            for k in keys:
                try:
                    out[k].append(float(r[k]))
                except (TypeError, ValueError):
                    out[k].append(r[k])
        return out


def read_csv(data, **_):
    text = data.decode() if isinstance(data, bytes) else open(data).read()
    return _Frame([{k.strip(): v for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))])


def DataFrame(*a, **k):  # noqa: N802
    raise RuntimeError("polars stand-in: no DataFrame")
