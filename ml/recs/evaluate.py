"""``make eval-recs DATA=<dir>``: the shipped model (``models/recs/v2``) on a later period
``<dir>/online_retail_lines.csv``, with the issue's protocol, popularity beside, and the
per-user scoring latency at the shipped catalogue size and on a synthetic 100,000-item
catalogue. Reads only DATA, the dev data (the training histories) and the model; never
trains or tunes.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from chalicelib.recommendations.ranking import RecsModel
from ml.recs import protocol
from ml.recs.data import read_lines
from ml.recs.train import DEFAULT_DATA, ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="a folder with online_retail_lines.csv")
    parser.add_argument("--train-data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "recs" / "v2")
    parser.add_argument(
        "--previous",
        type=Path,
        default=ROOT / "models" / "recs" / "v1",
        help="an earlier shipped model printed beside (skipped when absent)",
    )
    args = parser.parse_args()
    train = read_lines(args.train_data)
    later = read_lines(args.data)
    model = RecsModel(args.model)
    rankers = {"model": protocol.model_ranker(model, train)}
    if args.previous.is_dir() and args.previous.resolve() != args.model.resolve():
        previous = RecsModel(args.previous)
        rankers[f"previous {previous.version}"] = protocol.model_ranker(previous, train)
    rankers["popularity"] = protocol.popularity_ranker(train)
    report = protocol.evaluate(rankers, train, later)
    print(f"recommendations {model.version} on {args.data} (train: {args.train_data})")
    print(protocol.table(report, list(rankers)))
    dev = protocol.latency(model)
    with tempfile.TemporaryDirectory() as tmp:
        big = protocol.latency(RecsModel(protocol.synthetic(Path(tmp))))
    print("per-user scoring latency (onnxruntime, 1 thread, 20-item history, top 10):")
    for row in (dev, big):
        print(f"  {row['items']:>7} items: p50 {row['p50_ms']:.3f} ms, p95 {row['p95_ms']:.3f} ms")


if __name__ == "__main__":
    main()
