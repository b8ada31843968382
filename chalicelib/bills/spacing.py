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

A second engine's words on the line (``OcrLine.second``; reader rules 4, measured in
session 8, not shipped) fix the boundaries where both engines read the same letters
(``second_opinion``) and may give a misread word back (``second_letters``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
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


FIXED = 1e6  # the cost of going against a boundary both engines agree on


def cut_run(
    run: str,
    probabilities: Sequence[float | None],
    lexicon: Lexicon,
    *,
    gap_weight: float = 1.0,
    prior: float = 0.1,
    breaks: Sequence[float] = (),
) -> list[int]:
    """Where to put spaces in ``run`` (capitals): the cut positions (1..len-1). Where
    ``breaks`` has an opinion (0.0 or 1.0: a second engine read the same letters there),
    it is followed."""
    n = len(run)
    if n <= 1:
        return []
    fixed = list(breaks) if len(breaks) == n else [-1.0] * n

    def surprise(k: int, cut: bool) -> float:
        if fixed[k] >= 0:
            return 0.0 if (fixed[k] >= 0.5) == cut else FIXED
        return gap_weight * _surprise(probabilities[k], cut, prior)

    stay = [0.0] * (n + 1)  # cumulative cost of not cutting before positions 1..k
    for k in range(1, n):
        stay[k + 1] = stay[k] + surprise(k, False)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(math.inf, 0)] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - lexicon.longest), end):
            if best[start][0] == math.inf:
                continue
            cost = best[start][0] + lexicon.piece(run[start:end]) + lexicon.split
            # no cut strictly inside the piece
            cost += stay[end] - stay[start + 1]
            if start > 0:
                cost += surprise(start, True)
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
    line: OcrLine,
    lexicon: Lexicon,
    gaps: GapModel,
    *,
    gap_weight: float = 1.0,
    shortest: int = 2,
    second: bool = False,
) -> str:
    """The line's text with its words apart (see the module's docstring); spaces the engine
    read stay; around other characters (digits, punctuation) a space goes where the gap
    says it is likelier than not. Runs of fewer than ``shortest`` letters are not cut.
    With ``second``, a second engine's word boundaries where the letters agree
    (``second_opinion``) decide where they have an opinion, in runs of any length."""
    text = line.text
    probabilities = gaps.probabilities(line)
    breaks = list(second_opinion(line)) if second and line.second else []
    space_before = [False] * len(text)
    for m in re.finditer(r"[A-Za-z]+|[^A-Za-z]", text):
        at = m.start()
        opinion = breaks[at] if breaks and at > 0 else -1.0
        if opinion >= 0:
            space_before[at] = opinion >= 0.5
        elif at > 0 and probabilities[at] is not None and probabilities[at] > 0.5:  # type: ignore[operator]
            space_before[at] = True
        piece = m.group(0)
        hinted = bool(breaks) and any(b >= 0 for b in breaks[at + 1 : m.end()])
        if (len(piece) >= max(shortest, 2) or (hinted and len(piece) >= 2)) and piece.isalpha():
            for cut in cut_run(
                piece.upper(),
                probabilities[at : m.end()],
                lexicon,
                gap_weight=gap_weight,
                breaks=breaks[at : m.end()] if breaks else (),
            ):
                space_before[at + cut] = True
    out = []
    for i, char in enumerate(text):
        if space_before[i]:
            out.append(" ")
        out.append(char)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def words_on(line: OcrLine, words: Sequence[OcrLine]) -> list[OcrLine]:
    """The second engine's words (each an ``OcrLine``) printed on ``line``: their heights
    overlap by half the smaller one, and more than half of each word's width lies inside
    the line's box; left to right."""
    x0, y0, x1, y1 = line.box
    out = []
    for word in words:
        wx0, wy0, wx1, wy1 = word.box
        tall = min(y1 - y0, wy1 - wy0)
        if tall <= 0 or _overlap((y0, y1), (wy0, wy1)) <= 0.5 * tall:
            continue
        if _overlap((x0, x1), (wx0, wx1)) > 0.5 * max(wx1 - wx0, 1e-6):
            out.append(word)
    return sorted(out, key=lambda word: word.box[0])


def _upper(char: str) -> str:
    """One character in capitals, itself where that would take more (``ß``)."""
    upper = char.upper()
    return upper if len(upper) == 1 else char


SHORTEST_AGREEMENT = 3  # letters both engines must read alike in a row to trust the boundary
MARGIN = 2  # and characters alike on either side of a boundary


@dataclass(frozen=True)
class Alignment:
    """A line's text against the second engine's words, spaces and case aside:
    ``mine``/``theirs`` the positions of the non-space characters (``theirs`` in the words
    joined by single spaces), ``word_of`` which word each of theirs is in, and the opcodes
    of ``difflib.SequenceMatcher`` over the two squashed strings."""

    mine: tuple[int, ...]
    theirs: tuple[int, ...]
    word_of: tuple[int, ...]
    joined: str
    opcodes: tuple[tuple[str, int, int, int, int], ...]


def align(text: str, words: Sequence[tuple[str, float]]) -> Alignment:
    pieces = [re.sub(r"\s+", "", word) for word, _ in words]
    joined = " ".join(pieces)
    word_of = [index for index, piece in enumerate(pieces) for _ in range(len(piece) + 1)]
    mine = tuple(i for i, char in enumerate(text) if not char.isspace())
    theirs = tuple(i for i, char in enumerate(joined) if not char.isspace())
    matcher = SequenceMatcher(
        None,
        "".join(_upper(text[i]) for i in mine),
        "".join(_upper(joined[i]) for i in theirs),
        autojunk=False,
    )
    return Alignment(mine, theirs, tuple(word_of), joined, tuple(matcher.get_opcodes()))


def second_opinion(line: OcrLine) -> tuple[float, ...]:
    """For each character of ``line``, the second engine's word boundary before it (1.0:
    its words part there, 0.0: one word goes on; -1.0: no opinion), where both engines
    read the same characters (spaces and case aside) for at least ``SHORTEST_AGREEMENT``
    in a row."""
    out = [-1.0] * len(line.text)
    if not line.second:
        return tuple(out)
    found = align(line.text, line.second)
    for tag, a, a_end, b, _ in found.opcodes:
        if tag != "equal" or a_end - a < SHORTEST_AGREEMENT:
            continue
        for k in range(MARGIN, a_end - a - MARGIN + 1):
            before, here = found.theirs[b + k - 1], found.theirs[b + k]
            out[found.mine[a + k]] = 1.0 if here - before > 1 else 0.0
    return tuple(out)


SECOND_SURE = 0.7  # a second engine's word this confident may correct a misread word
LONGEST_FIX = 2  # characters either engine reads differently in one correction, at most


def _run_at(text: str, start: int, end: int) -> tuple[int, int]:
    """The run of letters around ``text[start:end]``."""
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    while end < len(text) and text[end].isalpha():
        end += 1
    return start, end


def second_letters(
    text: str,
    words: Sequence[tuple[str, float]],
    known: Mapping[str, float],
    sure: float = SECOND_SURE,
) -> str:
    """``text`` with a word the second engine read differently taken from it, where its
    reading is a word ``known`` (the lexicon) and ours is not, the second engine's word is
    at least ``sure`` (confidence), and the two differ by at most ``LONGEST_FIX``
    characters after agreeing on the characters before (``FUN N CHEER (MALURD`` with
    ``(MALURI)`` read at 0.9 → ``FUN N CHEER (MALURI``). Spaces stay as in ``text``."""
    if not words:
        return text
    found = align(text, words)
    edits: list[tuple[int, int, str]] = []  # text[start:end] becomes the string
    opcodes = found.opcodes
    for index, (tag, a, a_end, b, b_end) in enumerate(opcodes):
        if tag == "equal" or max(a_end - a, b_end - b) > LONGEST_FIX or a_end == a:
            continue
        if index == 0 or opcodes[index - 1][0] != "equal":
            continue
        touched = {found.word_of[found.theirs[k]] for k in range(max(b - 1, 0), b_end)}
        if min(words[w][1] for w in touched) < sure:
            continue
        start, end = found.mine[a], found.mine[a_end - 1] + 1
        new = found.joined[found.theirs[b] : found.theirs[b_end - 1] + 1] if b_end > b else ""
        new = "".join(char for char in new if char.isalpha())  # letters for letters only
        if not new or not text[start:end].isalpha():
            continue
        run_start, run_end = _run_at(text, start, end)
        old_word = text[run_start:run_end].upper()
        new_word = (text[run_start:start] + new + text[end:run_end]).upper()
        if new_word in known and old_word not in known:
            edits.append((start, end, new))
    for start, end, new in reversed(edits):
        text = text[:start] + new + text[end:]
    return text
