"""``make eval-recs DATA=<dir>``: the shipped model (``models/recs/v2``) on a later period
``<dir>/online_retail_lines.csv``, with the issue's protocol, popularity beside, and the
per-user scoring latency at the shipped catalogue size and on a synthetic 100,000-item
catalogue. Reads only DATA, the dev data (the training histories) and the model; never
trains or tunes.

When DATA is not after the shipped model's training period (most of its purchases are at or
before the model's last training purchase: e.g. DATA is the dev data itself, so there is no
later period and no target), it says so in one line and prints the **dev split** instead:
the model's dev-holdout companion (``<model>/dev-holdout/``, the same recipe fitted before
its recorded cutoff by ``make train-recs``) on DATA split at that cutoff (histories and
popularity from DATA before it, targets from it on); the previous model's companion beside
when it has one. The latency lines are the shipped model's in both cases.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from chalicelib.recommendations.ranking import RecsModel
from ml.recs import protocol
from ml.recs.data import Line, read_lines, split_at
from ml.recs.train import DEFAULT_DATA, HOLDOUT, HOLDOUT_FILE, ROOT


def main(argv: Sequence[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
    later = read_lines(args.data)
    model = RecsModel(args.model)
    end = training_end(model)
    if end is not None and overlaps(later, end):
        after = [line for line in later if line.at > end]
        if not after:
            return _dev_split(args, later, model, end)
        # DATA is the whole series (the training period, then a later one): the later
        # period is what the protocol scores; the model was trained on the rest
        print(
            f"note: DATA also holds {len(later) - len(after)} clean lines up to {model.version}'s"
            f" training end ({end:%Y-%m-%d}): left out; scoring the {len(after)} after it"
        )
        later = after
    train = read_lines(args.train_data)
    rankers = {"model": protocol.model_ranker(model, train)}
    if args.previous.is_dir() and args.previous.resolve() != args.model.resolve():
        previous = RecsModel(args.previous)
        rankers[f"previous {previous.version}"] = protocol.model_ranker(previous, train)
    rankers["popularity"] = protocol.popularity_ranker(train)
    report = protocol.evaluate(rankers, train, later)
    print(f"recommendations {model.version} on {args.data} (train: {args.train_data})")
    print(protocol.table(report, list(rankers)))
    print_latency(model)
    return 0


def training_end(model: RecsModel) -> datetime | None:
    """The last purchase the model was trained on (its manifest), naive like the lines."""
    end = model.manifest.get("training", {}).get("end")
    return datetime.fromisoformat(end).replace(tzinfo=None) if end else None


def overlaps(data: Sequence[Line], end: datetime) -> bool:
    """DATA is not a later period: most of its purchases are not after ``end``."""
    return bool(data) and 2 * sum(line.at <= end for line in data) > len(data)


def _dev_split(args: argparse.Namespace, data: list[Line], model: RecsModel, end: datetime) -> int:
    first, last = min(line.at for line in data), max(line.at for line in data)
    companion_dir = args.model / HOLDOUT
    print(
        f"note: DATA ({first:%Y-%m-%d}..{last:%Y-%m-%d}) is not after {model.version}'s training"
        f" period (to {end:%Y-%m-%d}): no later period to score, so this is the dev split"
        f" ({model.version}'s recipe fitted before its cutoff: {companion_dir})"
    )
    if not (companion_dir / HOLDOUT_FILE).is_file():
        print(f"no dev-holdout companion in {companion_dir}: run make train-recs")
        return 2
    cut = datetime.fromisoformat(json.loads((companion_dir / HOLDOUT_FILE).read_text())["cutoff"])
    train, later = split_at(data, cut)
    companion = RecsModel(companion_dir)
    rankers = {"model": protocol.model_ranker(companion, train)}
    previous_dir = args.previous / HOLDOUT
    if (previous_dir / HOLDOUT_FILE).is_file() and args.previous.resolve() != args.model.resolve():
        previous = RecsModel(previous_dir)
        rankers[f"previous {args.previous.name}"] = protocol.model_ranker(previous, train)
    rankers["popularity"] = protocol.popularity_ranker(train)
    report = protocol.evaluate(rankers, train, later)
    print(
        f"recommendations {model.version} dev split on {args.data}: fit before {cut:%Y-%m-%d}"
        f" ({companion.version}), evaluate {cut:%Y-%m-%d}..{last:%Y-%m-%d}"
    )
    print(protocol.table(report, list(rankers)))
    print_latency(model)
    return 0


def print_latency(model: RecsModel) -> None:
    """Per-user scoring latency of ``model`` and of a synthetic 100,000-item model."""
    dev = protocol.latency(model)
    with tempfile.TemporaryDirectory() as tmp:
        big = protocol.latency(RecsModel(protocol.synthetic(Path(tmp))))
    print("per-user scoring latency (onnxruntime, 1 thread, 20-item history, top 10):")
    for row in (dev, big):
        print(f"  {row['items']:>7} items: p50 {row['p50_ms']:.3f} ms, p95 {row['p95_ms']:.3f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
