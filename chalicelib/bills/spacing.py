"""Putting spaces back into the words the OCR ran together (``UNIHAKKAINTERNATIONALSDNBHD``).

Two signals, combined in one dynamic programme over each run of letters:
- the gaps: where the engine gives each character's left and right edge, the gap before a
  character (over the line's height) and the distance between character centres (over the
  line's median pitch) give the probability of a space there (``GapModel``, a logistic
  regression fitted on the development receipts' lines whose ground-truth text is known);
- the words: a lexicon of receipt words (counted on the development receipts' labels and
  ground-truth lines) mixed with general English and Malay word frequencies (wordfreq, at
  build time); a piece that is no known word costs by its length.

The likeliest cut of the run minimises the words' costs plus ``gap_weight`` times the gaps'
surprise (-log P(space) where it cuts, -log P(no space) where it does not). Without edges
(Textract lines) the words decide alone.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from chalicelib.bills.domain import OcrLine


@dataclass(frozen=True)
class GapModel:
    """P(space before a character) = sigmoid(gap * gap/height + pitch * centres/pitch + bias)
    for a line without ``ink_gaps``; for a line with them, the ``with_ink`` coefficients
    (gap, pitch, ink, ink_rel, bias) over (gap/height, centres/pitch, blank/height,
    blank/(line's median blank + 1)), where ``blank`` is the widest run of blank pixel
    columns between the two characters (``OcrLine.ink_gaps``)."""

    gap: float = 16.47
    pitch: float = 5.51
    bias: float = -12.36
    with_ink: tuple[float, ...] = ()

    def probabilities(self, line: OcrLine) -> list[float | None]:
        """For each character, the probability of a space before it (None: unknown)."""
        out: list[float | None] = [None] * len(line.text)
        inked = len(self.with_ink) == 5 and len(line.ink_gaps) == len(line.text)
        for b, (g, p, i, r) in pair_features(line).items():
            if inked:
                cg, cp, ci, cr, bias = self.with_ink
                z = cg * g + cp * p + ci * i + cr * r + bias
            else:
                z = self.gap * g + self.pitch * p + self.bias
            out[b] = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        return out


def pair_features(line: OcrLine) -> dict[int, tuple[float, float, float, float]]:
    """For each character after the first non-space one: (gap / height, centre distance /
    pitch, blank columns / height, blank columns / (median blank + 1)); the ink terms are
    0 when the line has no ``ink_gaps``."""
    text, edges = line.text, line.char_edges
    if len(edges) != len(text) or len(text) < 2:
        return {}
    height = max(line.box[3] - line.box[1], 1.0)
    centres = [(left + right) / 2 for left, right in edges]
    solid = [i for i, char in enumerate(text) if not char.isspace()]
    steps = [centres[b] - centres[a] for a, b in itertools.pairwise(solid)]
    pitch = max(median(steps), 1.0) if steps else 1.0
    ink = line.ink_gaps if len(line.ink_gaps) == len(text) else None
    typical = median(ink[b] for _, b in itertools.pairwise(solid)) if ink and steps else 0.0
    out = {}
    for a, b in itertools.pairwise(solid):
        blank = ink[b] if ink else 0.0
        out[b] = (
            (edges[b][0] - edges[a][1]) / height,
            (centres[b] - centres[a]) / pitch,
            blank / height,
            blank / (typical + 1.0),
        )
    return out


@dataclass(frozen=True)
class Lexicon:
    """Word → cost (-log probability) for the segmentation."""

    costs: Mapping[str, float]
    unknown: float = 6.0  # a piece that is no word: this much
    per_char: float = 3.0  # plus this much per letter
    split: float = 3.0  # each extra word costs this much
    longest: int = field(default=24)

    @classmethod
    def of(
        cls,
        receipt_counts: Mapping[str, int],
        general: Mapping[str, float],
        *,
        receipt_share: float = 0.5,
        **params: float,
    ) -> Lexicon:
        """Mix receipt word counts with general word frequencies (zipf: log10 per 1e9)."""
        total = sum(receipt_counts.values()) or 1
        words = set(receipt_counts) | set(general)
        costs = {}
        for word in words:
            p = receipt_share * receipt_counts.get(word, 0) / total
            if word in general:
                p += (1 - receipt_share) * 10 ** (general[word] - 9)
            if p > 0:
                costs[word] = -math.log(p)
        return cls(costs, **params)  # type: ignore[arg-type]

    def piece(self, word: str) -> float:
        known = self.costs.get(word)
        if known is not None:
            return known
        return self.unknown + self.per_char * len(word)


FLOOR = 0.005  # no gap is surer than this either way


def _surprise(p: float | None, cut: bool, prior: float) -> float:
    q = prior if p is None else min(1.0 - FLOOR, max(FLOOR, p))
    return -math.log(q if cut else 1.0 - q)


def cut_run(
    run: str,
    probabilities: Sequence[float | None],
    lexicon: Lexicon,
    *,
    gap_weight: float = 1.0,
    prior: float = 0.1,
) -> list[int]:
    """Where to put spaces in ``run`` (capitals): the cut positions (1..len-1)."""
    n = len(run)
    if n <= 1:
        return []
    stay = [0.0] * (n + 1)  # cumulative cost of not cutting before positions 1..k
    for k in range(1, n):
        stay[k + 1] = stay[k] + gap_weight * _surprise(probabilities[k], False, prior)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(math.inf, 0)] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - lexicon.longest), end):
            if best[start][0] == math.inf:
                continue
            cost = best[start][0] + lexicon.piece(run[start:end]) + lexicon.split
            # no cut strictly inside the piece
            cost += stay[end] - stay[start + 1]
            if start > 0:
                cost += gap_weight * _surprise(probabilities[start], True, prior)
            if cost < best[end][0]:
                best[end] = (cost, start)
    cuts = []
    end = n
    while end > 0:
        start = best[end][1]
        if start > 0:
            cuts.append(start)
        end = start
    return sorted(cuts)


def respace(
    line: OcrLine, lexicon: Lexicon, gaps: GapModel, *, gap_weight: float = 1.0, shortest: int = 2
) -> str:
    """The line's text with its words apart (see the module's docstring); spaces the engine
    read stay; around other characters (digits, punctuation) a space goes where the gap
    says it is likelier than not. Runs of fewer than ``shortest`` letters are not cut."""
    text = line.text
    probabilities = gaps.probabilities(line)
    space_before = [False] * len(text)
    for m in re.finditer(r"[A-Za-z]+|[^A-Za-z]", text):
        at = m.start()
        if at > 0 and probabilities[at] is not None and probabilities[at] > 0.5:  # type: ignore[operator]
            space_before[at] = True
        piece = m.group(0)
        if len(piece) >= max(shortest, 2) and piece.isalpha():
            for cut in cut_run(
                piece.upper(), probabilities[at : m.end()], lexicon, gap_weight=gap_weight
            ):
                space_before[at + cut] = True
    out = []
    for i, char in enumerate(text):
        if space_before[i]:
            out.append(" ")
        out.append(char)
    return re.sub(r"\s+", " ", "".join(out)).strip()
