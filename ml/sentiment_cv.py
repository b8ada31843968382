"""Cross-validation of the sentiment recipe on the dev data (TRAIN + VALIDATION; never TEST).

``python -m ml.sentiment_cv finetune --name v1recipe`` (training venv): the dev rows are cut
into K folds by a hash of their text (a duplicated text stays in one fold); for each fold the
encoder is fine-tuned on the other folds with the train command's own loop and scores the
fold: after every epoch (float32 logits) and, after the last one, through its int8 ONNX
export, as the runtime would. The out-of-fold (OOF) scores go to ``--out``/``<name>/fold<k>.npz``
(one file per fold: ``--folds k`` runs one fold, so folds can run as parallel processes).

``python -m ml.sentiment_cv analyse`` reads those and compares, by the same folds, what can
be chosen on top of them (a neutral bias, a stack with TF-IDF + LR, length features); every
choice is made on the other folds only (nested), so the numbers are honest CV estimates.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ml import data

K = 3
OUT = Path("/tmp/bazaar-sentiment-cv")  # noqa: S108  (experiments, not the repository)


def fold_of(text: str, k: int = K) -> int:
    """The fold of a dev text (hash of its normalised, lower-cased words; other bytes of
    the digest than the TEST split's)."""
    digest = hashlib.sha256(data.normalise(text).lower().encode()).digest()
    return int.from_bytes(digest[4:8], "big") % k


def dev_rows(directory: Path) -> list[data.Row]:
    """The rows the model may learn and choose on: TRAIN + VALIDATION (TEST left out)."""
    parts = data.split(data.load(directory))
    return parts[data.Part.TRAIN] + parts[data.Part.VALIDATION]


def finetune(args: argparse.Namespace) -> None:
    import torch

    from chalicelib.reviews.sentiment import SentimentModel
    from ml.sentiment_train import (
        MAX_LENGTH,
        ORDINAL_CUTS,
        Classifier,
        _logits,
        _seed_everything,
        encoder_and_tokenizer,
        export_int8,
        fine_tune,
        ordinal_targets,
    )

    torch.set_num_threads(args.threads)
    encoder_dir, tokenizer = encoder_and_tokenizer()
    rows = dev_rows(Path(args.data))
    if args.smoke:
        rows = rows[: args.smoke]
    folds = np.asarray([fold_of(r.text, args.k) for r in rows])
    labels = np.asarray([data.LABELS.index(r.label) for r in rows])
    ordinal = args.ordinal_weight > 0
    width = len(data.LABELS) + (len(ORDINAL_CUTS) if ordinal else 0)
    ordinal_y = torch.tensor(ordinal_targets(rows))
    # Per epoch the raw logits of every head (3-way, then the ordinal head's four).
    oof = np.full((args.epochs, len(rows), width), np.nan, dtype=np.float32)
    oof_int8 = np.full((len(rows), len(data.LABELS)), np.nan, dtype=np.float32)
    oof_int8_raw = np.full((len(rows), width), np.nan, dtype=np.float32)
    started = time.time()
    for fold in args.folds or range(args.k):
        _seed_everything(args.seed + fold)
        train_idx = np.flatnonzero(folds != fold)
        test_idx = np.flatnonzero(folds == fold)
        net = Classifier.build(encoder_dir, ordinal=ordinal)
        texts = [rows[i].text for i in test_idx]

        def on_epoch(
            epoch: int, progress: Any, net: Any = net, idx: Any = test_idx, fold: int = fold
        ) -> None:
            oof[epoch - 1, idx] = _logits(net, tokenizer, [rows[i].text for i in idx])
            net.train()
            progress.write(f"fold {fold} epoch {epoch} done ({time.time() - started:.0f} s)")

        fine_tune(
            net,
            tokenizer,
            [rows[i].text for i in train_idx],
            torch.tensor(labels[train_idx]),
            args,
            on_epoch,
            ordinal_y[train_idx] if ordinal else None,
        )
        net.eval()
        net.aux = True
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            export_int8(net, tokenizer, directory / "model.onnx")
            (directory / "tokenizer.json").write_bytes(
                (encoder_dir / "tokenizer.json").read_bytes()
            )
            manifest = {"version": f"fold{fold}", "max_length": MAX_LENGTH}
            (directory / "manifest.json").write_text(json.dumps(manifest))
            model = SentimentModel(directory)
            for i, text in zip(test_idx, texts, strict=True):
                ids, mask = model.encode(text)
                probabilities, raw = model.session.run(
                    ["probabilities", "aux"], {"input_ids": ids, "attention_mask": mask}
                )
                oof_int8[i], oof_int8_raw[i] = probabilities[0], raw[0]
        (args.out / args.name).mkdir(parents=True, exist_ok=True)
        np.savez(
            args.out / args.name / f"fold{fold}.npz",
            oof=oof,
            oof_int8=oof_int8,
            oof_int8_raw=oof_int8_raw,
            folds=folds,
            labels=labels,
            sources=np.asarray([r.source for r in rows]),
            tokens=np.asarray([len(tokenizer.encode(r.text).ids) for r in rows]),
            config=json.dumps(
                {k: v for k, v in vars(args).items() if k not in ("out", "func", "folds")}
            ),
        )
        print(f"fold {fold} saved ({time.time() - started:.0f} s)")


def member(args: argparse.Namespace) -> None:
    """Fine-tune one ensemble member with a CV'd recipe on every dev row (TRAIN+VALIDATION)
    and export it (int8, no neutral bias: the ensemble's bias is chosen by CV) to
    ``--out``/``<name>/member.onnx``; scores nothing (TEST stays for the one evaluation)."""
    import torch

    from ml.sentiment_train import (
        Classifier,
        _seed_everything,
        encoder_and_tokenizer,
        export_int8,
        fine_tune,
    )

    torch.set_num_threads(args.threads)
    encoder_dir, tokenizer = encoder_and_tokenizer()
    rows = dev_rows(Path(args.data))
    if args.smoke:
        rows = rows[: args.smoke]
    _seed_everything(args.seed)
    net = Classifier.build(encoder_dir)
    labels = torch.tensor([data.LABELS.index(r.label) for r in rows])
    fine_tune(net, tokenizer, [r.text for r in rows], labels, args, lambda *_: None)
    net.eval()
    target = args.out / args.name / "member.onnx"
    target.parent.mkdir(parents=True, exist_ok=True)
    export_int8(net, tokenizer, target)
    config = {k: v for k, v in vars(args).items() if k not in ("out", "func", "folds")}
    (target.parent / "member.json").write_text(json.dumps({**config, "rows": len(rows)}))
    print(f"member {args.name}: {len(rows)} rows -> {target}")


Array = npt.NDArray[Any]
BIASES = np.arange(-2.0, 3.01, 0.25)


def _macro_f1(gold: Array, predicted: Array) -> float:
    f1s = []
    for c in range(len(data.LABELS)):
        tp = np.sum((gold == c) & (predicted == c))
        if not np.any(gold == c):
            continue
        precision = tp / max(1, np.sum(predicted == c))
        recall = tp / np.sum(gold == c)
        f1s.append(2 * precision * recall / (precision + recall) if tp else 0.0)
    return float(np.mean(f1s))


def _bias(scores: Array, gold: Array) -> float:
    """The neutral-score shift with the best macro-F1 on (scores, gold); ties: smaller."""
    best = (0.0, -1.0)
    for bias in sorted(BIASES, key=abs):
        shifted = scores.copy()
        shifted[:, 1] += bias
        f1 = _macro_f1(gold, shifted.argmax(1))
        if f1 > best[1] + 1e-9:
            best = (float(bias), f1)
    return best[0]


def _log(p: Array) -> Array:
    return np.asarray(np.log(np.clip(p, 1e-7, 1.0)))


def _meta(features: Array, gold: Array, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000).fit(features, gold)


def _stack_oof(features: Array, gold: Array, folds: Array, c: float, biased: bool) -> Array:
    """Out-of-fold log-probabilities of a meta LR on ``features``: for each fold, fit on the
    other folds (and pick the neutral bias by an inner CV over those folds)."""
    out = np.zeros((len(gold), len(data.LABELS)))
    for fold in np.unique(folds):
        rest = folds != fold
        meta = _meta(features[rest], gold[rest], c)
        scores = meta.predict_log_proba(features[folds == fold])
        if biased:
            inner = np.zeros((int(rest.sum()), len(data.LABELS)))
            rest_folds = folds[rest]
            for other in np.unique(rest_folds):
                part = rest_folds == other
                inner[part] = _meta(features[rest][~part], gold[rest][~part], c).predict_log_proba(
                    features[rest][part]
                )
            scores[:, 1] += _bias(inner, gold[rest])
        out[folds == fold] = scores
    return out


def _biased_oof(scores: Array, gold: Array, folds: Array) -> Array:
    """``scores`` with a neutral bias per fold chosen on the other folds' OOF scores."""
    out = scores.copy()
    for fold in np.unique(folds):
        rest = folds != fold
        out[folds == fold, 1] += _bias(scores[rest], gold[rest])
    return out


def _tfidf_oof(texts: list[str], gold: Array, folds: Array, c: float) -> Array:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    out = np.zeros((len(gold), len(data.LABELS)))
    for fold in np.unique(folds):
        rest = np.flatnonzero(folds != fold)
        held = np.flatnonzero(folds == fold)
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        x = vectorizer.fit_transform([texts[i] for i in rest])
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=13)
        model.fit(x, gold[rest])
        out[held] = model.predict_proba(vectorizer.transform([texts[i] for i in held]))
    return out


def _summary(name: str, scores: Array, gold: Array, folds: Array, sources: Array) -> dict[str, Any]:
    predicted = scores.argmax(1)
    per_fold = [_macro_f1(gold[folds == f], predicted[folds == f]) for f in np.unique(folds)]
    neutral_tp = np.sum((gold == 1) & (predicted == 1))
    neutral_f1 = 2 * neutral_tp / max(1, np.sum(gold == 1) + np.sum(predicted == 1))
    files = {
        str(s)[:8]: round(_macro_f1(gold[sources == s], predicted[sources == s]), 3)
        for s in sorted(set(sources.tolist()))
    }
    return {
        "method": name,
        "accuracy": round(float(np.mean(predicted == gold)), 4),
        "macro_f1": round(_macro_f1(gold, predicted), 4),
        "macro_f1_folds": [round(f, 3) for f in per_fold],
        "neutral_f1": round(float(neutral_f1), 3),
        "per_file": files,
    }


def _merged(directory: Path) -> dict[str, Array]:
    """The OOF scores of a run's folds (one file per fold process) as one."""
    merged: dict[str, Array] = {}
    for path in sorted(directory.glob("fold*.npz")):
        run = np.load(path)
        if not merged:
            merged = {key: run[key].copy() for key in run.files}
            continue
        for key in ("oof", "oof_int8", "oof_int8_raw"):
            if key not in run.files:
                continue
            done = ~np.isnan(run[key])
            merged[key][done] = run[key][done]
    return merged


def analyse(args: argparse.Namespace) -> None:
    results = []
    rows = dev_rows(Path(args.data))
    for path in args.runs or sorted(p for p in args.out.iterdir() if p.is_dir()):
        run = _merged(path)
        gold, folds, sources = run["labels"], run["folds"], run["sources"]
        assert len(gold) <= len(rows), "the run was made on other rows"
        texts = [r.text for r in rows[: len(gold)]]  # all of them (fewer: a --smoke run)
        done = ~np.isnan(run["oof_int8"][:, 0])
        if not done.all():
            print(f"{path.name}: only {done.sum()} of {len(done)} rows scored; skipped")
            continue
        name = path.name
        for epoch, logits in enumerate(run["oof"], start=1):
            if np.isnan(logits).any():
                continue
            results.append(
                _summary(f"{name} fp32 epoch {epoch} argmax", logits, gold, folds, sources)
            )
            results.append(
                _summary(
                    f"{name} fp32 epoch {epoch} +neutral bias",
                    _biased_oof(logits, gold, folds),
                    gold,
                    folds,
                    sources,
                )
            )
        enc = _log(run["oof_int8"])
        results.append(_summary(f"{name} int8 argmax", enc, gold, folds, sources))
        results.append(
            _summary(
                f"{name} int8 +neutral bias (v1-style)",
                _biased_oof(enc, gold, folds),
                gold,
                folds,
                sources,
            )
        )
        tfidf = _log(_tfidf_oof(texts, gold, folds, 4.0))
        results.append(_summary("tfidf+LR argmax", tfidf, gold, folds, sources))
        results.append(
            _summary(
                "tfidf+LR +neutral bias", _biased_oof(tfidf, gold, folds), gold, folds, sources
            )
        )
        length = np.log1p(run["tokens"].astype(float))[:, None]
        candidates = {
            "stack enc": enc,
            "stack enc+tfidf": np.hstack([enc, tfidf]),
            "stack enc+tfidf+len": np.hstack([enc, tfidf, length]),
            "stack enc+len": np.hstack([enc, length]),
        }
        for label, features in candidates.items():
            for c in (0.1, 1.0):
                scores = _stack_oof(features, gold, folds, c, biased=True)
                results.append(
                    _summary(f"{name} {label} C={c} +bias", scores, gold, folds, sources)
                )
    for r in results:
        print(json.dumps(r))
    (args.out / "analysis.json").write_text(json.dumps(results, indent=1) + "\n")


def _frozen_embeddings(rows: list[data.Row], cache: Path) -> Array:
    """Mean-pooled, unit-length sentence embeddings of the pretrained (not fine-tuned)
    all-MiniLM-L6-v2, cached at ``cache``."""
    if cache.is_file():
        return np.asarray(np.load(cache))
    import torch
    from transformers import AutoModel

    from ml.sentiment_train import _batches, encoder_and_tokenizer

    torch.set_num_threads(1)
    encoder_dir, tokenizer = encoder_and_tokenizer()
    encoder = AutoModel.from_pretrained(str(encoder_dir)).eval()
    out = np.zeros((len(rows), encoder.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for ids, mask, chunk in _batches(tokenizer, [r.text for r in rows], 64):
            hidden = encoder(
                input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
            ).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            out[chunk] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, out)
    return out


def _lr_oof(features: Array, gold: Array, folds: Array, c: float) -> Array:
    """Out-of-fold probabilities of a class-balanced LR on ``features`` (same folds)."""
    from sklearn.linear_model import LogisticRegression

    out = np.zeros((len(gold), len(data.LABELS)))
    for fold in np.unique(folds):
        rest = folds != fold
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        out[folds == fold] = model.fit(features[rest], gold[rest]).predict_proba(
            features[folds == fold]
        )
    return out


def _combinations(raw: Array) -> dict[str, Array]:
    """The 3-class log-scores that can be read from a model's raw head logits (3-way, then
    the ordinal head's four), as the exported graph computes them (``Classifier.combine``)."""
    from ml.sentiment_train import ordinal_log_probabilities

    raw = raw.astype(np.float64)
    three = raw[:, :3] - np.log(np.exp(raw[:, :3]).sum(1, keepdims=True))
    if raw.shape[1] == 3:
        return {"head": three}
    ordinal = ordinal_log_probabilities(raw[:, 3:])
    return {"head": three, "ordinal": ordinal, "mean": (three + ordinal) / 2}


def heads(args: argparse.Namespace) -> None:
    """CV of what can be read from the runs' heads and of stacks with cheap frozen features:
    the 3-way head, the ordinal head collapsed to 3 classes, their mean (each with a
    nested neutral bias), frozen MiniLM embeddings + LR, TF-IDF + LR, and meta-LR stacks of
    those with a run's int8 scores (nested: every choice on the other folds)."""

    rows = dev_rows(Path(args.data))
    results = []

    def add(name: str, scores: Array, run: dict[str, Array]) -> None:
        gold, folds, sources = run["labels"], run["folds"], run["sources"]
        results.append(_summary(f"{name} argmax", scores, gold, folds, sources))
        biased = _summary(
            f"{name} +neutral bias", _biased_oof(scores, gold, folds), gold, folds, sources
        )
        biased["neutral_bias_on_all_folds"] = _bias(scores, gold)
        results.append(biased)
        print(json.dumps(biased))

    base = None
    for name in args.runs:
        run = _merged(args.out / name)
        if np.isnan(run["oof_int8"]).any():
            print(f"{name}: not every fold is scored; skipped")
            continue
        base = base or run
        views = {"int8": run.get("oof_int8_raw", _log(run["oof_int8"]))}
        for epoch, logits in enumerate(run["oof"], start=1):
            views[f"fp32 epoch {epoch}"] = logits
        for view, raw in views.items():
            for combine, scores in _combinations(raw).items():
                add(f"{name} {view} {combine}", scores, run)
    assert base is not None
    gold, folds = base["labels"], base["folds"]
    texts = [r.text for r in rows[: len(gold)]]
    frozen = _frozen_embeddings(rows[: len(gold)], args.out / "frozen" / "embeddings.npy")
    for c in (1.0, 10.0):
        add(f"frozen MiniLM + LR C={c}", _log(_lr_oof(frozen, gold, folds, c)), base)
    frozen_lr = _log(_lr_oof(frozen, gold, folds, 10.0))
    tfidf = _log(_tfidf_oof(texts, gold, folds, 4.0))
    for name in args.runs:
        run = _merged(args.out / name)
        enc = _log(run["oof_int8"])
        for label, features in {
            "enc+frozen": np.hstack([enc, frozen_lr]),
            "enc+frozen+tfidf": np.hstack([enc, frozen_lr, tfidf]),
        }.items():
            for c in (0.1, 1.0):
                scores = _stack_oof(features, gold, folds, c, biased=True)
                results.append(
                    _summary(
                        f"{name} stack {label} C={c} +bias", scores, gold, folds, base["sources"]
                    )
                )
                print(json.dumps(results[-1]))
    (args.out / "heads.json").write_text(json.dumps(results, indent=1) + "\n")


def release(args: argparse.Namespace) -> None:
    """Write ``models/sentiment/<version>/``: the recipe of CV run ``--run`` fine-tuned on
    every dev row (TRAIN+VALIDATION), its probabilities read as ``--combine`` says, with
    the neutral bias of the best pooled out-of-fold macro-F1 of that run's int8 fold models
    (the same combination), exported int8; then the one evaluation on the TEST rows."""
    import shutil

    import torch

    from ml.sentiment_train import (
        ROOT,
        Classifier,
        _seed_everything,
        encoder_and_tokenizer,
        export_int8,
        fine_tune,
        manifest_head,
        ordinal_targets,
    )

    run = _merged(args.out / args.run)
    if np.isnan(run["oof_int8"]).any():
        raise SystemExit(f"{args.run}: not every fold is scored")
    recipe = json.loads(str(np.load(args.out / args.run / "fold0.npz")["config"]))
    gold, folds, sources = run["labels"], run["folds"], run["sources"]
    scores = _combinations(run.get("oof_int8_raw", _log(run["oof_int8"])))[args.combine]
    chosen = _bias(scores, gold)
    nested = _summary(
        f"{args.run} int8 {args.combine} +neutral bias (nested CV)",
        _biased_oof(scores, gold, folds),
        gold,
        folds,
        sources,
    )
    print(f"neutral bias by CV: {chosen}\n{json.dumps(nested)}")

    recipe.update(threads=args.threads)
    settings = argparse.Namespace(**recipe)
    torch.set_num_threads(settings.threads)
    encoder_dir, tokenizer = encoder_and_tokenizer()
    rows = dev_rows(Path(args.data))[: args.smoke or None]
    _seed_everything(settings.seed)
    ordinal = float(recipe.get("ordinal_weight", 0.0)) > 0
    net = Classifier.build(encoder_dir, ordinal=ordinal)
    labels = torch.tensor([data.LABELS.index(r.label) for r in rows])
    fine_tune(
        net,
        tokenizer,
        [r.text for r in rows],
        labels,
        settings,
        lambda *_: None,
        torch.tensor(ordinal_targets(rows)) if ordinal else None,
    )
    net.eval()
    net.combine = args.combine
    with torch.no_grad():
        net.shift[data.LABELS.index("neutral")] = chosen
    out = ROOT / "models" / "sentiment" / args.version
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    fp32_size = export_int8(net, tokenizer, out / "model.onnx")
    source = Path(args.like)
    for name in ("tokenizer.json", "baseline_tfidf.json"):
        shutil.copy(source / name, out / name)
    manifest = refit_manifest(
        manifest_head(args.version),
        rows,
        settings.seed,
        {
            "recipe": recipe,
            "combine": args.combine,
            "neutral_bias_after_quantization": chosen,
            "neutral_bias_by": f"{int(folds.max()) + 1}-fold CV of the same recipe on "
            f"TRAIN+VALIDATION (ml.sentiment_cv run {args.run}): the best pooled "
            "out-of-fold macro-F1 of the folds' int8 models",
            "cross_validation": nested,
            "fp32_bytes": fp32_size,
        },
    )
    _write_manifest_and_evaluate(
        out,
        manifest,
        ["model.onnx", "tokenizer.json", "baseline_tfidf.json"],
        args.data,
        "the recipe, the combination and the neutral bias were chosen by CV",
    )


def rebias(args: argparse.Namespace) -> None:
    """Write ``models/sentiment/<version>/``: the model of ``--model`` with its neutral bias
    replaced by the one with the best pooled out-of-fold macro-F1 of ``--run`` (the int8
    scores of the folds' models, trained with the same recipe), then the one evaluation on
    the held-out TEST rows."""
    import shutil

    from ml.sentiment_train import ROOT, _shift_neutral_bias

    run = _merged(args.out / args.run)
    gold, folds, sources = run["labels"], run["folds"], run["sources"]
    if np.isnan(run["oof_int8"]).any():
        raise SystemExit(f"{args.run}: not every fold is scored")
    scores = _log(run["oof_int8"])
    chosen = _bias(scores, gold)
    nested = _summary(
        "neutral bias by CV (nested)", _biased_oof(scores, gold, folds), gold, folds, sources
    )
    source = Path(args.model)
    manifest = json.loads((source / "manifest.json").read_text())
    folded = float(manifest["training"]["neutral_bias_after_quantization"])
    fixed = scores.copy()
    fixed[:, 1] += folded
    at_folded = _summary(f"fixed neutral bias {folded}", fixed, gold, folds, sources)
    print(f"neutral bias by CV: {chosen} (the model has {folded})\n{nested}\n{at_folded}")
    out = ROOT / "models" / "sentiment" / args.version
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in manifest["files"]:
        shutil.copy(source / name, out / name)
    _shift_neutral_bias(out / "model.onnx", chosen - folded)
    manifest["version"] = args.version
    manifest["training"]["neutral_bias_chosen_on_validation"] = folded
    manifest["training"]["neutral_bias_after_quantization"] = chosen
    manifest["training"]["neutral_bias_by"] = (
        f"{int(folds.max()) + 1}-fold CV of the same recipe on TRAIN+VALIDATION "
        f"(ml.sentiment_cv run {args.run}): the best pooled out-of-fold macro-F1 of the "
        f"folds' int8 models; {source.name} had {folded}, chosen on VALIDATION alone"
    )
    manifest["training"]["cross_validation"] = {"neutral_bias_by_cv": nested, "v1_bias": at_folded}
    _write_manifest_and_evaluate(
        out, manifest, list(manifest["files"]), args.data, "the bias was chosen"
    )


def _ensemble_oof(runs: list[Path], partial: bool = False) -> tuple[Array, dict[str, Array]]:
    """The mean of the runs' int8 out-of-fold probabilities (same rows, same folds); with
    ``partial``, only the folds every run has scored (the others are left out)."""
    merged = [_merged(path) for path in runs]
    first = dict(merged[0])
    for run in merged[1:]:
        if not np.array_equal(run["folds"], first["folds"]):
            raise SystemExit("the runs were cut into other folds")
    scored = np.all([~np.isnan(run["oof_int8"][:, 0]) for run in merged], axis=0)
    if not scored.all() and not partial:
        raise SystemExit("not every fold is scored in every run (--partial: the scored ones)")
    mean = np.mean([run["oof_int8"][scored] for run in merged], axis=0)
    for key in ("labels", "folds", "sources"):
        first[key] = first[key][scored]
    return mean, first


def ensembles(args: argparse.Namespace) -> None:
    """CV of every ensemble of the given runs: the mean of their int8 out-of-fold
    probabilities, the neutral bias chosen on the other folds (nested), as shipped."""
    import itertools

    results = []
    names = args.runs
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            mean, run = _ensemble_oof([args.out / name for name in subset], args.partial)
            gold, folds, sources = run["labels"], run["folds"], run["sources"]
            scores = _log(mean)
            label = " + ".join(subset)
            results.append(_summary(f"{label} int8 argmax", scores, gold, folds, sources))
            biased = _biased_oof(scores, gold, folds)
            summary = _summary(f"{label} int8 +neutral bias", biased, gold, folds, sources)
            summary["neutral_bias_on_all_folds"] = _bias(scores, gold)
            results.append(summary)
            print(json.dumps(summary))
    results.append(_subset_selected(args))
    print(json.dumps(results[-1]))
    (args.out / "ensembles.json").write_text(json.dumps(results, indent=1) + "\n")


def _subset_selected(args: argparse.Namespace) -> dict[str, Any]:
    """The honest CV of "take the best ensemble of these runs": for each fold, the subset
    (and then its neutral bias) is chosen on the other folds only (a subset's score there:
    each of them scored with the bias chosen on the rest of them), then applied to the
    fold."""
    import itertools

    subsets = [
        subset
        for size in range(1, len(args.runs) + 1)
        for subset in itertools.combinations(args.runs, size)
    ]
    scored = {subset: _ensemble_oof([args.out / n for n in subset]) for subset in subsets}
    first = scored[subsets[0]][1]
    gold, folds, sources = first["labels"], first["folds"], first["sources"]
    out = np.zeros((len(gold), len(data.LABELS)))
    chosen = {}
    for fold in np.unique(folds):
        rest = folds != fold
        best = (-1.0, subsets[0])
        for subset in subsets:
            scores = _log(scored[subset][0])
            inner = _biased_oof(scores[rest], gold[rest], folds[rest])
            f1 = _macro_f1(gold[rest], inner.argmax(1))
            if f1 > best[0] + 1e-9:
                best = (f1, subset)
        scores = _log(scored[best[1]][0])
        out[folds == fold] = scores[folds == fold]
        out[folds == fold, 1] += _bias(scores[rest], gold[rest])
        chosen[int(fold)] = " + ".join(best[1])
    summary = _summary("best subset chosen on the other folds (nested)", out, gold, folds, sources)
    summary["chosen_per_fold"] = chosen
    return summary


def _members_graph(members: list[Path], bias: float) -> Any:
    """One ONNX graph of the members (each: ids + mask -> probabilities, embedding): the
    mean of their probabilities, the neutral bias added to its log, softmax; the embedding
    of the first member (review analytics' prototypes live in its space)."""
    import onnx
    from onnx import helper, numpy_helper

    shared_inputs = ("input_ids", "attention_mask")
    base = onnx.load(str(members[0]))
    graph = base.graph
    outputs = []
    for index, path in enumerate(members):
        model = base if index == 0 else onnx.load(str(path))
        prefix = f"m{index}_"

        def renamed(name: str, prefix: str = prefix) -> str:
            return name if not name or name in shared_inputs else prefix + name

        nodes = list(model.graph.node)
        for node in nodes:
            node.name = prefix + node.name
            node.input[:] = [renamed(n) for n in node.input]
            node.output[:] = [renamed(n) for n in node.output]
        for initializer in model.graph.initializer:
            initializer.name = renamed(initializer.name)
        for info in model.graph.value_info:
            info.name = renamed(info.name)
        if index:
            graph.node.extend(nodes)
            graph.initializer.extend(model.graph.initializer)
            graph.value_info.extend(model.graph.value_info)
            known = {(o.domain, o.version) for o in base.opset_import}
            for opset in model.opset_import:
                if (opset.domain, opset.version) not in known:
                    base.opset_import.append(opset)
        outputs.append(f"{prefix}probabilities")
    embedding = [o for o in graph.output if o.name == "m0_embedding" or o.name == "embedding"]
    probabilities = [o for o in graph.output if o.name in ("probabilities", "m0_probabilities")]
    shift = np.zeros((1, len(data.LABELS)), dtype=np.float32)
    shift[0, data.LABELS.index("neutral")] = bias
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.asarray(len(members), np.float32), "ensemble_count"),
            numpy_helper.from_array(np.asarray(1e-7, np.float32), "ensemble_floor"),
            numpy_helper.from_array(shift, "ensemble_neutral_bias"),
        ]
    )
    graph.node.extend(
        [
            helper.make_node("Sum", outputs, ["ensemble_sum"], name="ensemble_sum"),
            helper.make_node(
                "Div", ["ensemble_sum", "ensemble_count"], ["ensemble_mean"], name="ensemble_mean"
            ),
            helper.make_node(
                "Max", ["ensemble_mean", "ensemble_floor"], ["ensemble_floored"], name="floor"
            ),
            helper.make_node("Log", ["ensemble_floored"], ["ensemble_log"], name="ensemble_log"),
            helper.make_node(
                "Add", ["ensemble_log", "ensemble_neutral_bias"], ["ensemble_logits"], name="bias"
            ),
            helper.make_node("Softmax", ["ensemble_logits"], ["probabilities"], axis=-1),
            helper.make_node("Identity", ["m0_embedding"], ["embedding"], name="embedding"),
        ]
    )
    probability_info, embedding_info = probabilities[0], embedding[0]
    del graph.output[:]
    probability_info.name, embedding_info.name = "probabilities", "embedding"
    graph.output.extend([probability_info, embedding_info])
    onnx.checker.check_model(base)
    return base


def build(args: argparse.Namespace) -> None:
    """Write ``models/sentiment/<version>/``: the members (int8 ONNX files fine-tuned on
    every dev row, each with ``path[:neutral bias folded in]`` to undo) as one graph, with
    the neutral bias chosen by the CV of the same ensemble of recipes (``--runs``), then
    the one evaluation on the held-out TEST rows."""
    import shutil

    import onnx

    from ml.sentiment_train import ROOT, _shift_neutral_bias

    mean, run = _ensemble_oof([args.out / name for name in args.runs], args.partial)
    gold, folds, sources = run["labels"], run["folds"], run["sources"]
    scores = _log(mean)
    chosen = _bias(scores, gold)
    nested = _summary(
        " + ".join(args.runs) + " int8 +neutral bias (nested CV)",
        _biased_oof(scores, gold, folds),
        gold,
        folds,
        sources,
    )
    print(f"neutral bias by CV: {chosen}\n{json.dumps(nested)}")
    source = Path(args.like)
    manifest = json.loads((source / "manifest.json").read_text())
    out = ROOT / "models" / "sentiment" / args.version
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    members = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, spec in enumerate(args.members):
            path, _, folded = spec.partition(":")
            member = Path(tmp) / f"member{index}.onnx"
            shutil.copy(path, member)
            if folded and float(folded):
                _shift_neutral_bias(member, -float(folded))
            members.append(member)
        onnx.save(_members_graph(members, chosen), str(out / "model.onnx"))
    for name in ("tokenizer.json", "baseline_tfidf.json"):
        shutil.copy(source / name, out / name)
    recipes = {
        name: json.loads(str(np.load(args.out / name / "fold0.npz")["config"]))
        for name in args.runs
    }
    manifest["version"] = args.version
    manifest["trained_at"] = datetime_now()
    manifest["ensemble"] = {
        "members": [
            {"from": spec, "recipe": recipes[name]}
            for spec, name in zip(args.members, args.runs, strict=True)
        ],
        "combination": "mean of the members' probabilities; log; + neutral bias; softmax",
        "neutral_bias": chosen,
        "neutral_bias_by": f"{int(folds.max()) + 1}-fold CV on TRAIN+VALIDATION of the same "
        "ensemble of recipes (mean of the folds' int8 probabilities): the best pooled "
        "out-of-fold macro-F1",
        "embedding_from": "member 0 (review analytics' category prototypes)",
        "cross_validation": nested,
    }
    manifest["training"]["neutral_bias_after_quantization"] = chosen
    manifest.pop("evaluation", None)
    manifest.pop("checks", None)
    _write_manifest_and_evaluate(
        out,
        manifest,
        ["model.onnx", "tokenizer.json", "baseline_tfidf.json"],
        args.data,
        "the ensemble and its bias were chosen by CV",
    )


def refit_manifest(
    head: dict[str, Any],
    rows: list[data.Row],
    seed: int,
    training: dict[str, Any],
    holdout: str | None = None,
) -> dict[str, Any]:
    """The manifest of a model fitted on ``rows`` (TRAIN+VALIDATION; with ``holdout``, every
    row, and ``holdout`` is the same recipe without TEST): ``head`` (``manifest_head``), when
    and with which seed, the rows and their label counts with ``training``'s own entries,
    and the keys of the texts it trained on."""
    from ml.sentiment_train import text_key

    counts = np.bincount([data.LABELS.index(r.label) for r in rows], minlength=len(data.LABELS))
    every_row = {"trained_on_every_row": True, "holdout_version": holdout} if holdout else {}
    return {
        **head,
        "trained_at": datetime_now(),
        "seed": seed,
        "refit_on_train_and_validation": True,
        "training": {
            "rows": {"every_row" if holdout else "train_and_validation": len(rows)},
            "counts": dict(zip(data.LABELS, counts.tolist(), strict=True)),
            **training,
        },
        "trained_texts": sorted(text_key(r.text) for r in rows),
        **every_row,
    }


def write_files_and_checks(out: Path, manifest: dict[str, Any], files: list[str]) -> Any:
    """Write ``out``'s manifest with ``files`` (sha256, bytes) and the check texts'
    probabilities; the loaded model (a ``SentimentModel``)."""
    from chalicelib.reviews.sentiment import SentimentModel
    from ml.sentiment_train import CHECK_TEXTS, sha256

    manifest["files"] = {
        name: {"sha256": sha256(out / name), "bytes": (out / name).stat().st_size} for name in files
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    model = SentimentModel(out)
    manifest["checks"] = [
        {"text": text, "probabilities": model.score(text).probabilities} for text in CHECK_TEXTS
    ]
    return model


def _write_manifest_and_evaluate(
    out: Path, manifest: dict[str, Any], files: list[str], data_dir: str, chosen: str
) -> None:
    """Write ``out``'s manifest (``files`` with sha256), its check scores, then the one
    evaluation on the TEST rows (every row not trained on) into the manifest and
    ``evaluation.json``; ``chosen`` says what was chosen before it."""
    from ml.sentiment_eval import evaluate

    write_files_and_checks(out, manifest, files)
    result = evaluate(Path(data_dir), out)
    res = result["results"]
    manifest["evaluation"] = {
        "held_out": "the TEST part of the fixed hash split (20 % of rows, never trained on "
        f"or tuned on; evaluated once, after {chosen})",
        "model": res["model"],
        "baselines": {"vader": res["vader"], "tfidf_logreg": res["tfidf_logreg"]},
        "latency_ms_per_review": result["latency_ms"],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (out / "evaluation.json").write_text(json.dumps(manifest["evaluation"], indent=2) + "\n")
    m = res["model"]
    print(f"held-out: accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f} -> {out}")


def datetime_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(required=True)
    tune = sub.add_parser("finetune")
    tune.add_argument("--name", required=True)
    tune.add_argument("--data", default=str(data.default_directory()))
    tune.add_argument("--k", type=int, default=K)
    tune.add_argument("--folds", type=int, nargs="*")
    tune.add_argument("--epochs", type=int, default=3)
    tune.add_argument("--batch", type=int, default=16)
    tune.add_argument("--lr", type=float, default=5e-5)
    tune.add_argument("--loss", default="weighted", choices=("weighted", "focal"))
    tune.add_argument("--weight-power", type=float, default=0.5)
    tune.add_argument(
        "--ordinal-weight", type=float, default=0.0, help=">0: an ordinal star head beside"
    )
    tune.add_argument("--threads", type=int, default=1)
    tune.add_argument("--seed", type=int, default=13, help="fold k: seed + k (13: v1recipe)")
    tune.add_argument("--smoke", type=int, default=0)
    tune.add_argument("--out", type=Path, default=OUT)
    tune.set_defaults(func=finetune)
    one = sub.add_parser("member")
    for action in tune._actions[1:]:
        if action.dest not in ("folds", "k"):
            one._add_action(action)
    one.set_defaults(func=member)
    study = sub.add_parser("analyse")
    study.add_argument("--data", default=str(data.default_directory()))
    study.add_argument("runs", type=Path, nargs="*")
    study.add_argument("--out", type=Path, default=OUT)
    study.set_defaults(func=analyse)
    look = sub.add_parser("heads")
    look.add_argument("--data", default=str(data.default_directory()))
    look.add_argument("runs", nargs="+")
    look.add_argument("--out", type=Path, default=OUT)
    look.set_defaults(func=heads)
    final = sub.add_parser("release")
    final.add_argument("--data", default=str(data.default_directory()))
    final.add_argument("--run", required=True, help="the CV run of the recipe")
    final.add_argument("--combine", default="head", choices=("head", "ordinal", "mean"))
    final.add_argument("--like", required=True, help="the model directory to take the rest from")
    final.add_argument("--version", default="v3")
    final.add_argument("--threads", type=int, default=1)
    final.add_argument("--smoke", type=int, default=0, help="train on N rows: a pipeline check")
    final.add_argument("--out", type=Path, default=OUT)
    final.set_defaults(func=release)
    again = sub.add_parser("rebias")
    again.add_argument("--data", default=str(data.default_directory()))
    again.add_argument("--run", required=True)
    again.add_argument("--model", required=True, help="the model directory to start from")
    again.add_argument("--version", default="v2")
    again.add_argument("--out", type=Path, default=OUT)
    again.set_defaults(func=rebias)
    group = sub.add_parser("ensembles")
    group.add_argument("runs", nargs="+")
    group.add_argument("--out", type=Path, default=OUT)
    group.add_argument("--partial", action="store_true", help="only the folds scored by all")
    group.set_defaults(func=ensembles)
    ship = sub.add_parser("build")
    ship.add_argument("--data", default=str(data.default_directory()))
    ship.add_argument("--runs", nargs="+", required=True, help="the CV runs of the recipes")
    ship.add_argument(
        "--members", nargs="+", required=True, help="path.onnx[:folded neutral bias], as --runs"
    )
    ship.add_argument("--like", required=True, help="the model directory to take the rest from")
    ship.add_argument("--version", default="v3")
    ship.add_argument("--out", type=Path, default=OUT)
    ship.add_argument("--partial", action="store_true", help="only the folds scored by all")
    ship.set_defaults(func=build)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.func(args)


if __name__ == "__main__":
    main()
