"""Session 13's experiment: the local engine's recogniser fine-tuned on the development
receipts' lines (measured, not shipped: docs/bills.md, "Session 13").

rapidocr's detector and direction classifier are kept; its recogniser (ch_PP-OCRv4_rec,
ONNX) is converted to torch (onnx2torch), the part after the backbone's pooling (the SVTR neck
and the CTC head) is trained with CTC on line crops made exactly as the runtime makes them,
and the trained values are written back into the original ONNX graph. Three steps:

1. ``lines DATA --out F`` (the dev venv, which has rapidocr): every development receipt's
   detected lines that match a ground-truth box of ``boxes/`` (IoU >= 0.5, one to one), with
   that box's text and the default recogniser's own reading, and where that recogniser's
   file is (pickled to F).
2. ``train F --out M.onnx [--fold K] [--target text|spaced|cased]`` (the training venv, plus
   ``pip install --no-deps onnx2torch==1.5.15 opencv-python==<the dev venv's>``: onnx2torch's
   torchvision requirement would replace the CPU torch): CTC fine-tuning, leaving vendor fold
   K out (``cv_extraction``'s vendor folds).
   ``text``: the ground truth's text; ``spaced``: the default reading with the ground truth's
   word spaces put in (lines whose letters agree, ignoring case); ``cased``: the ground
   truth's text with each letter in the case the default reads it (where they align).
3. ``composite DATA --models 'M{k}.onnx' --cache DIR [--reread a]`` (the dev venv): each
   development receipt read by its own fold's recogniser, stored under the default cache key,
   so ``BILLS_OCR_CACHE=DIR python -m ml.bills.cv_extraction DATA --by-vendor`` scores the CV.
"""

from __future__ import annotations

import argparse
import itertools
import math
import pickle
import random
import sys
import types
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import numpy as np

from ml.bills import eval_bills
from ml.bills.cv_extraction import REREADS, box_lines, reread, vendor_fold_of
from ml.bills.vocabulary import development_stems

FOLDS = 5
# The recipe, fixed before any number was read (/tmp/s13/RULE.txt of session 13).
LEARNING_RATE, EPOCHS, ACCUMULATE, SEED = 1e-4, 3, 16, 13
Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def matches(found: list[Box], truth: list[Box], least: float = 0.5) -> list[tuple[int, int]]:
    """(found index, truth index) pairs, one to one, best overlap first, IoU >= ``least``."""
    pairs = sorted(
        ((iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)),
        reverse=True,
    )
    used_found: set[int] = set()
    used_truth: set[int] = set()
    out = []
    for overlap, i, j in pairs:
        if overlap < least:
            break
        if i not in used_found and j not in used_truth:
            used_found.add(i)
            used_truth.add(j)
            out.append((i, j))
    return out


def spaced(reading: str, truth: str) -> str | None:
    """``reading``'s characters with a space wherever ``truth`` has one; None when their
    letters differ once case and spaces are ignored."""
    letters = reading.replace(" ", "")
    if not letters or letters.upper() != truth.replace(" ", "").upper():
        return None
    out: list[str] = []
    k = 0
    for char in truth.strip():
        if char != " ":
            out.append(letters[k])
            k += 1
        elif out[-1] != " ":
            out.append(" ")
    return "".join(out)


def cased(reading: str, truth: str) -> str:
    """``truth``'s letters and spaces, each letter in the case ``reading`` has it where the two
    align (ignoring case and spaces); a letter that does not align takes the case of the
    nearest aligned letter in its word (``Guardlan`` read for ``GUARDIAN``: ``Guardian``),
    but a word's first letter the truth's."""
    letters = [i for i, c in enumerate(truth) if c != " "]
    solid = reading.replace(" ", "")
    aligned: dict[int, str] = {}
    blocks = SequenceMatcher(None, solid.upper(), "".join(truth[i] for i in letters).upper())
    for a, b, size in blocks.get_matching_blocks():
        for k in range(size):
            aligned[letters[b + k]] = solid[a + k]
    out = []
    for i, char in enumerate(truth):
        if i in aligned or char == " ":
            out.append(aligned.get(i, char))
            continue
        word = [j for j in range(len(truth)) if truth[j] != " " and not _space_between(truth, i, j)]
        near = sorted((abs(j - i), j) for j in word if j in aligned and aligned[j].isalpha())
        # a word's first letter keeps the truth's case (title case: "Tel" read "lel")
        lower = bool(near) and aligned[near[0][1]].islower() and i != word[0]
        out.append(char.lower() if lower else char)
    return "".join(out)


def _space_between(text: str, i: int, j: int) -> bool:
    return " " in text[min(i, j) : max(i, j)]


def model_input(crop: Any) -> Any:
    """A crop as rapidocr's recogniser takes it (``TextRecognizer.resize_norm_img``): 48 px
    high, scaled to [-1, 1], padded on the right to at least 320 px. One difference, kept
    because session 13's numbers were made with it: the width is rounded up, where rapidocr
    rounds a line wider than 320 px down, so about 3 % of these readings differ from
    rapidocr's own by a letter or a space."""
    import cv2

    height, width = crop.shape[:2]
    resized = math.ceil(48 * width / float(height))
    image = cv2.resize(crop, (resized, 48)).astype("float32").transpose(2, 0, 1) / 255
    out = np.zeros((3, 48, max(320, resized)), np.float32)
    out[:, :, :resized] = (image - 0.5) / 0.5
    return out


def recogniser_path() -> Path:
    import rapidocr_onnxruntime

    return Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx"


def characters(model: Path) -> list[str]:
    """The recogniser's classes: blank, its characters (in the model's metadata), space."""
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(model)).metadata_props}
    return ["blank", *meta["character"].splitlines(), " "]


def greedy(probabilities: Any, classes: list[str]) -> str:
    out, last = [], -1
    for index in probabilities.argmax(-1):
        if index not in (last, 0):
            out.append(classes[index])
        last = index
    return "".join(out)


def collect_lines(data: Path) -> list[dict[str, Any]]:
    """Development lines as the recogniser sees them, with the ground truth's text and the
    default recogniser's reading of the crop alone (``model_input``; at runtime it reads
    six lines at a time, padded to the widest, and 7 % of readings differ from this)."""
    import onnxruntime
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    model = recogniser_path()
    session = onnxruntime.InferenceSession(str(model))
    classes = characters(model)
    out = []
    stems = development_stems(data)
    for number, stem in enumerate(stems, 1):
        image = engine.load_img(str(data / "images" / f"{stem}.jpg"))
        height, width = image.shape[:2]
        scaled, ratio_h, ratio_w = engine.preprocess(image)
        record = {"preprocess": {"ratio_h": ratio_h, "ratio_w": ratio_w}}
        padded, record = engine.maybe_add_letterbox(scaled, record)
        boxes, _ = engine.auto_text_det(padded)
        crops, _, _ = engine.text_cls(engine.get_crop_img_list(padded, boxes))
        corners = engine._get_origin_points(boxes, record, height, width)
        found: list[Box] = [
            (q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max())
            for q in map(np.asarray, corners)
        ]
        truth = [(line.box, line.text) for line in box_lines(data, stem)]
        for i, j in matches(found, [box for box, _ in truth]):
            crop = np.ascontiguousarray(crops[i])
            default = greedy(session.run(None, {"x": model_input(crop)[None]})[0][0], classes)
            out.append({"stem": stem, "crop": crop, "text": truth[j][1], "default": default})
        print(f"\r{number}/{len(stems)} receipts, {len(out)} lines", end="", file=sys.stderr)
    print(file=sys.stderr)
    return out


def _without_torchvision() -> None:
    """onnx2torch imports torchvision for NMS and RoiAlign, which the recogniser has not; the
    PyPI torchvision does not load beside this machine's CPU torch."""
    ops = types.ModuleType("torchvision.ops")
    vision = types.ModuleType("torchvision")
    vision.ops = ops  # type: ignore[attr-defined]
    for name in ("nms", "batched_nms", "roi_align"):
        setattr(ops, name, None)
    sys.modules.setdefault("torchvision", vision)
    sys.modules.setdefault("torchvision.ops", ops)


def to_torch(model: Path) -> Any:
    """The ONNX recogniser as a torch.fx module: its constants made initializers, and every
    tensor's shape read off one onnxruntime run (the converter needs ranks)."""
    import onnx
    import onnxruntime

    _without_torchvision()
    import onnx2torch

    graph = onnx.load(str(model))
    nodes = []
    for node in graph.graph.node:
        if node.op_type == "Constant" and node.attribute[0].name == "value":
            tensor = onnx.TensorProto()
            tensor.CopyFrom(node.attribute[0].t)
            tensor.name = node.output[0]
            graph.graph.initializer.append(tensor)
        else:
            nodes.append(node)
    del graph.graph.node[:]
    graph.graph.node.extend(nodes)
    for dim, value in zip(
        graph.graph.input[0].type.tensor_type.shape.dim, (8, 3, 48, 320), strict=True
    ):
        dim.Clear()
        dim.dim_value = value
    probe = onnx.ModelProto()
    probe.CopyFrom(graph)
    names = [name for node in probe.graph.node for name in node.output]
    del probe.graph.output[:]
    probe.graph.output.extend(onnx.helper.make_empty_tensor_value_info(n) for n in names)
    outputs = onnxruntime.InferenceSession(probe.SerializeToString()).run(
        None, {"x": np.zeros((8, 3, 48, 320), np.float32)}
    )
    for name, value in zip(names, outputs, strict=True):
        kind = onnx.helper.np_dtype_to_tensor_dtype(value.dtype)
        graph.graph.value_info.append(
            onnx.helper.make_tensor_value_info(name, kind, list(value.shape))
        )
    return onnx2torch.convert(graph)


def split_at_pooling(net: Any) -> tuple[Any, Any]:
    """(backbone, neck and head): the graph cut at the backbone's one AvgPool2d."""
    import torch.fx

    nodes = list(net.graph.nodes)
    cut = next(
        n
        for n in nodes
        if n.op == "call_module" and type(net.get_submodule(n.target)).__name__ == "AvgPool2d"
    )
    backbone, env = torch.fx.Graph(), dict[Any, Any]()
    for node in nodes:
        env[node] = backbone.node_copy(node, lambda a: env[a])
        if node is cut:
            backbone.output(env[node])
            break
    head, env2 = torch.fx.Graph(), dict[Any, Any]()
    env2[cut] = head.placeholder("features")
    after = False
    for node in nodes:
        if node is cut:
            after = True
        elif after or node.op == "get_attr":
            env2[node] = head.node_copy(node, lambda a: env2[a])
    return torch.fx.GraphModule(net, backbone), torch.fx.GraphModule(net, head)


TARGETS = {
    "text": lambda reading, truth: truth,
    "spaced": spaced,
    "cased": cased,
}


def train(
    source: Path, lines: list[dict[str, Any]], target: str, fold: int | None, data: Path, out: Path
) -> None:
    """Fine-tune ``source``'s neck and head (the backbone frozen: its features are computed
    once) and write the trained values into a copy of its graph at ``out``."""
    import torch
    from tqdm import tqdm

    torch.manual_seed(SEED)
    random.seed(SEED)
    torch.set_num_threads(1)  # the same sums in the same order: the same model each run
    classes = characters(source)
    index = {c: i for i, c in enumerate(classes)}
    net = to_torch(source).eval()
    initializers = net.initializers
    for name, buffer in list(initializers._buffers.items()):
        if buffer is not None and buffer.dtype == torch.float32 and buffer.numel() > 1:
            del initializers._buffers[name]
            initializers.register_parameter(name, torch.nn.Parameter(buffer.clone()))
    before = {n: t.detach().clone() for n, t in [*net.named_parameters(), *net.named_buffers()]}
    backbone, head = split_at_pooling(net)
    rows: list[tuple[Any, list[int]]] = []
    held_out: list[tuple[Any, list[int]]] = []
    with torch.no_grad():
        for line in tqdm(lines, desc="backbone features", unit="line"):
            text = TARGETS[target](line["default"], line["text"])
            if not text or any(c not in index for c in text):
                continue
            features = backbone(torch.from_numpy(model_input(line["crop"]))[None])[0]
            labels = [index[c] for c in text]
            if (
                len(labels) + sum(a == b for a, b in itertools.pairwise(labels))
                > features.shape[-1]
            ):
                continue  # CTC cannot emit it in this many steps
            left_out = fold is not None and vendor_fold_of(data, line["stem"], FOLDS) == fold
            (held_out if left_out else rows).append((features, labels))
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)

    def loss_of(features: Any, labels: list[int]) -> Any:
        log_p = head(features[None]).clamp_min(1e-9).log().transpose(0, 1)
        return ctc(
            log_p,
            torch.tensor([labels]),
            torch.tensor([log_p.shape[0]]),
            torch.tensor([len(labels)]),
        )

    trained = [p for p in head.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(trained, lr=LEARNING_RATE)
    for epoch in range(1, EPOCHS + 1):
        random.shuffle(rows)
        optimiser.zero_grad()
        total = 0.0
        for step, (features, labels) in enumerate(tqdm(rows, desc=f"epoch {epoch}"), 1):
            loss = loss_of(features, labels) / ACCUMULATE
            loss.backward()
            total += float(loss) * ACCUMULATE
            if step % ACCUMULATE == 0 or step == len(rows):
                optimiser.step()
                optimiser.zero_grad()
        with torch.no_grad():
            left = (
                float(np.mean([float(loss_of(f, t)) for f, t in held_out]))
                if held_out
                else math.nan
            )
        print(
            f"epoch {epoch}: CTC loss {total / len(rows):.4f}, left-out fold {left:.4f}",
            file=sys.stderr,
        )
    after = dict([*net.named_parameters(), *net.named_buffers()])
    write_back(source, before, {n: after[n].detach() for n in before}, out)


def write_back(source: Path, before: dict[str, Any], after: dict[str, Any], out: Path) -> None:
    """The original ONNX graph with each changed tensor's new values in the constant that held
    its old values (matched by value: each must match exactly one)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(source))
    constants = {n.output[0]: n for n in graph.graph.node if n.op_type == "Constant"}
    by_value: dict[bytes, list[str]] = {}
    for name, node in constants.items():
        by_value.setdefault(numpy_helper.to_array(node.attribute[0].t).tobytes(), []).append(name)
    for name, old in before.items():
        if old.equal(after[name]):
            continue
        found = by_value.get(old.numpy().astype(np.float32).tobytes(), [])
        if len(found) != 1:
            raise SystemExit(f"{name}: {len(found)} constants hold its values")
        tensor = constants[found[0]].attribute[0].t
        shape = numpy_helper.to_array(tensor).shape
        new = after[name].numpy().astype(np.float32).reshape(shape)
        tensor.CopyFrom(numpy_helper.from_array(new, tensor.name))
    onnx.save(graph, str(out))


def composite(data: Path, models: str, cache: Path, reread_as: str) -> None:
    """Each development receipt (or its re-read copy) read by its own fold's recogniser."""
    cache.mkdir(parents=True, exist_ok=True)
    for stem in development_stems(data):
        image = (data / "images" / f"{stem}.jpg").read_bytes()
        if reread_as:
            image = reread(image, *REREADS[reread_as])
        entry = cache / f"{eval_bills.cache_key(image)}.json"
        if entry.exists():
            continue
        model = models.format(k=vendor_fold_of(data, stem, FOLDS))
        eval_bills.store(entry, *eval_bills.ocr_lines(image, None, {"rec_model_path": model}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    lines = commands.add_parser("lines")
    lines.add_argument("data", type=Path)
    lines.add_argument("--out", type=Path, required=True)
    fit = commands.add_parser("train")
    fit.add_argument("lines", type=Path)
    fit.add_argument("--out", type=Path, required=True)
    fit.add_argument("--fold", type=int)
    fit.add_argument("--target", choices=sorted(TARGETS), default="text")
    fit.add_argument("--data", type=Path, default=Path("../shared/data/receipts"))
    read = commands.add_parser("composite")
    read.add_argument("data", type=Path)
    read.add_argument("--models", required=True, help="the fold models' path, with {k}")
    read.add_argument("--cache", type=Path, required=True)
    read.add_argument("--reread", choices=sorted(REREADS), default="")
    args = parser.parse_args(argv)
    if args.command == "lines":
        found = {"recogniser": str(recogniser_path()), "lines": collect_lines(args.data)}
        args.out.write_bytes(pickle.dumps(found))
    elif args.command == "train":
        found = pickle.loads(args.lines.read_bytes())  # noqa: S301 - our own file from `lines`
        source = Path(found["recogniser"])
        train(source, found["lines"], args.target, args.fold, args.data, args.out)
    else:
        composite(args.data, args.models, args.cache, args.reread)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
