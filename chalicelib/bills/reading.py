"""From OCR lines to the fields of a bill: company, date, total, line items.

Pure Python, the same for every engine that yields ``OcrLine``s (the local engine; Textract
gives its own fields and only falls back to these rules for what it missed).

The rules, tuned on the development part of the dev receipts only (``ml/bills/split.py``):
- words: the local OCR runs words together (``UNIHAKKAINTERNATIONALSDNBHD``); where it gives
  each character's edges, a gap wider than a share of the line's median character width
  is a space (``respace``);
- rows: lines whose vertical extents overlap by half are one printed row, left to right;
- date: every date-looking token (``25/12/2018``, ``12-01-19``, ``24-MAR-2018``,
  ``20180304``, ``25 Dec 2018``) parsed day-first; a row naming the date wins;
- total: amounts on rows naming a total (not sub-totals, quantities or tax), the rounded
  or grand total first, cross-checked against cash minus change;
- company: the row with a company suffix (SDN BHD, ENTERPRISE, TRADING, …) near the top,
  else the first name-like row above the address; a known shop close enough wins.

Rules 3 (``ReaderModel.rules``, from the model's manifest: bill-reader v3; v1 and v2 read
with rules 2 as they were shipped), written from what any Malaysian receipt can show, not
from a vendor: dates read loosely too (Malay month names, a separator with a space on one
side, letters read for digits, a year glued to the time), ranked by the row naming them;
amounts with letters read for digits, AMOUNT DUE / PAYABLE rows, CASH as a word; trade
words the OCR glued to a name set apart (or a cut one joined), a name that starts with a
trade word joined to the row above, a misread legal ending (``SDN EHD``, ``C0.``) read as
printed; an engine that spaces words itself (no character boxes: Textract) keeps them.

Rules 4 (measured in session 8 and not shipped: no model's manifest names them; docs/bills.md)
read a second engine's words on each line (``OcrLine.second``, tesseract in
``ml/bills/second_engine.py``): its word boundaries where both engines read the same
letters, a word of it the lexicon knows for a misread one of ours, an open bracket closed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from difflib import SequenceMatcher
from functools import cache, cached_property
from pathlib import Path
from statistics import median

from chalicelib.bills import spacing
from chalicelib.bills.domain import Extraction, LineItem, OcrLine

MODEL_NAME = "bill-reader"
VERSION = "v3"  # the shipped version: models/bill-reader/<VERSION>/
SHIPPED = Path(__file__).resolve().parents[2] / "models" / MODEL_NAME
RECEIPT_WORDS = "receipt_words.txt"
GENERAL_WORDS = "general_words.txt"
# Chosen by the development part's vendor-grouped cross-validation (cv_extraction --by-vendor);
# train_reader writes them into the manifest.
GAP_WEIGHT = 4.0  # lines with ink gaps (the local engine)
PLAIN_GAP_WEIGHT = 2.0  # lines without (v1's weight, chosen by v1's CV)
# A known shop wins when a header row matches it this closely (letters and digits only)
SHOP_MATCH = 0.96  # chosen by the 5-fold CV: 0.86 let a look-alike shop win over an unseen one
# The reading rules a newly trained model reads with (train_reader writes them into its
# manifest; a manifest without "rules" reads with 2: bill-reader v1 and v2 as shipped;
# rules 4, a second engine's words, were measured and not shipped: docs/bills.md, session 8)
RULES = 3
LONG_RUN = 15  # rules 3: without character boxes, runs of this many letters are cut
LEXICON = {"unknown": 6.0, "per_char": 3.0, "split": 3.0, "receipt_share": 0.5}

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}

_NUM_DATE = re.compile(
    r"(?<!\d)(?<!\d[.,])(\d{1,2})([/.\-])(\d{1,2})\2"
    r"((?:19|20)\d{2}(?=\d{1,2}:\d{2})|\d{2}(?=\d{2}:\d{2})|(?:\d{4}|\d{2})(?![\d.,]))"
)
_ISO_DATE = re.compile(r"(?<!\d)(20\d{2})[/.\-]?(\d{2})[/.\-]?(\d{2})(?!\d)")
_NAMED_DATE = re.compile(
    r"(?<![A-Z0-9])(\d{1,2})[\s\-/.]*(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*"
    r"[\s\-/.,'\u2019]*((?:19|20)\d{2}(?=\d{1,2}:\d{2})|(?:\d{4}|\d{2})(?!\d))"
)
_CJK_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})")  # 2018年12月25日
_MONTH_FIRST = re.compile(
    r"(?<![A-Z0-9])(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?[\s\-/]*"
    r"(\d{1,2})(?:ST|ND|RD|TH)?[\s,\-/]+((?:19|20)\d{2})(?!\d)"
)
_TIME = re.compile(r"\d{1,2}:\d{2}")
_AMOUNT = re.compile(r"(?<![\d.,])-?(\d{1,3}(?:,\d{3})+|\d+)\s?[.,]\s?(\d{2})(?![\d])")

_SUFFIXES = (
    "SDN BHD",
    "SDN. BHD",
    "SDNBHD",
    "S/B",
    "BHD",
    "ENTERPRISE",
    "TRADING",
    "PLT",
    "RESTAURANT",
    "RESTORAN",
    "HARDWARE",
    "STATIONERY",
    "BOOK",
    "MART",
    "STORE",
    "SHOP",
    "KEDAI",
    "CAFE",
    "BAKERY",
    "MARKET",
    "HOLDINGS",
    "INDUSTRIES",
    " CO.",
    " CO ",
    "CORPORATION",
    "LIMITED",
    "LTD",
    "INC",
    "GIFT",
    "GARDEN",
    "PERNIAGAAN",
    "SYARIKAT",
    "PHARMACY",
    "FARMASI",
    "SUPERMARKET",
    "HYPERMARKET",
    "MINIMARKET",
    "KOPITIAM",
    "CENTRE",
    "CENTER",
)
_ADDRESS_WORDS = (
    "JALAN",
    "JLN",
    "TAMAN",
    "NO.",
    "NO ",
    "LOT ",
    "TEL",
    "FAX",
    "GST",
    "REG",
    "BANDAR",
    "KUALA LUMPUR",
    "SELANGOR",
    "JOHOR",
    "ROAD",
    "STREET",
    "@",
    "WWW",
    "HTTP",
)
_NOT_COMPANY = (
    "INVOICE",
    "RECEIPT",
    "CASH BILL",
    "WELCOME",
    "SHOPPING HOURS",
    "OFFICIAL",
    "THANK",
)
_LEGAL_END = re.compile(r"(SDN\.?\s*BHD|\bBHD\b|\bS/B\b|\bPLT\b)")
_AFTER_BHD = re.compile(r"(\bBHD\b\.?)(?!\s*\()\s+\S.*$")
_REGISTRATION_ROW = re.compile(
    r"^[(\[]?\s*(CO\.?\s*(NO|REG)\.?\s*:?\s*)?\d{4,}\s*-\s*[A-Z]\s*[)\]]?$", re.IGNORECASE
)
_REGISTRATION = re.compile(r"\(?\s*[A-Z]{0,3}\d{4,}[\d\s\-]*[A-Z]?\s*\)?\s*$")
_NOT_TOTAL = ("SUB", "QTY", "QUANTITY", "ITEM", "GST", "TAX", "EXCL", "SAVING", "DISC", "POINT")
_STRONG_TOTAL = ("ROUND", "GRAND", "NETT", "NET TOTAL", "INCL", "TOTAL AMOUNT", "AMOUNT DUE")
_PAYMENT = ("CASH", "CHANGE", "TENDER", "PAID", "CARD", "VISA", "MASTER", "BALANCE", "CHG")


@dataclass(frozen=True)
class ReaderModel:
    """What the reader learned from labelled receipts: the lexicon and gap model it
    re-spaces names with (``spacing``), and how much the gaps weigh against the words
    (``gap_weight`` on lines with ink gaps, ``plain_gap_weight`` on lines without)."""

    lexicon: spacing.Lexicon
    gaps: spacing.GapModel = field(default_factory=spacing.GapModel)
    gap_weight: float = 2.0
    plain_gap_weight: float = 2.0
    tidy: bool = True
    version: str = ""
    rules: int = 2  # which generation of the reading rules (``RULES``); v1/v2 read with 2
    # the local engine's options the model was chosen with (manifest ``"ocr"``; ``ocr.LocalReader``
    # builds its engine with them); none: rapidocr's defaults (v1-v3)
    ocr: tuple[tuple[str, bool | int | float | str], ...] = ()


def _pairs(path: Path) -> list[tuple[str, str]]:
    """``WORD value`` lines (``#`` comments)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, value = line.split()
            out.append((word, value))
    return out


def general_words(directory: Path) -> dict[str, float]:
    """The general word list of a model directory: word → zipf frequency."""
    return {word: float(zipf) for word, zipf in _pairs(directory / GENERAL_WORDS)}


def model_from(directory: Path) -> ReaderModel:
    """The reader model in ``directory`` (``manifest.json``, the two word lists)."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    counts = {word: int(count) for word, count in _pairs(directory / RECEIPT_WORDS)}
    return ReaderModel(
        spacing.Lexicon.of(counts, general_words(directory), **manifest["lexicon"]),
        gaps=spacing.GapModel(
            **{**manifest["gaps"], "with_ink": tuple(manifest["gaps"].get("with_ink", ()))}
        ),
        gap_weight=float(manifest["gap_weight"]),
        plain_gap_weight=float(manifest.get("plain_gap_weight", manifest["gap_weight"])),
        version=str(manifest["version"]),
        rules=int(manifest.get("rules", 2)),
        ocr=tuple(sorted(manifest.get("ocr", {}).items())),
    )


@cache
def default_model() -> ReaderModel:
    """The model as committed under ``models/bill-reader/`` (tests and the evaluation;
    the verification function loads it from the models bucket: ``ocr.reader_model``)."""
    return model_from(SHIPPED / VERSION)


@dataclass(frozen=True)
class Row:
    """One printed row: its lines left to right, joined with a space, as the engine read
    them (``text``: for numbers and dates) and re-spaced (``spaced``: for names; computed
    when first asked for)."""

    text: str
    top: float
    bottom: float
    score: float
    lines: tuple[OcrLine, ...] = ()
    model: ReaderModel | None = field(default=None, compare=False, repr=False)

    @property
    def upper(self) -> str:
        return self.text.upper()

    @cached_property
    def spaced(self) -> str:
        spaced = " ".join(respace(line, self.model) for line in self.lines)
        if _rules(self.model) >= 3:
            spaced = _trade_words_apart(spaced, self.model.lexicon if self.model else None)
            spaced = _legal_ending_read(spaced)
        return spaced


def _rules(model: ReaderModel | None) -> int:
    return (model or default_model()).rules


def _rules_of(rows: Sequence[Row]) -> int:
    """The rules the rows' reader model reads with (the shipped model's for no rows)."""
    return _rules(rows[0].model if rows else None)


def respace(line: OcrLine, model: ReaderModel | None = None) -> str:
    """The line's text with words apart (``spacing.respace``; rules 4: with the second
    engine's boundaries and words, ``spacing.second_opinion``/``second_letters``), then,
    with ``tidy``, a space after a full stop that ends a word of two or more letters and
    around brackets."""
    model = model or default_model()
    weight = model.gap_weight if line.ink_gaps else model.plain_gap_weight
    second = model.rules >= 4
    if model.rules >= 3 and not line.char_edges:
        # an engine without character boxes (Textract) spaces words itself: only a run
        # of letters too long to be one word is cut (by the words alone)
        spaced = spacing.respace(
            line, model.lexicon, model.gaps, gap_weight=weight, shortest=LONG_RUN, second=second
        )
    else:
        spaced = spacing.respace(line, model.lexicon, model.gaps, gap_weight=weight, second=second)
    if second and line.second:
        spaced = spacing.second_letters(spaced, line.second, model.lexicon.costs)
    if model.tidy:
        spaced = re.sub(r"(?<=[A-Za-z]{2})\.(?=[A-Za-z]{2})", ". ", spaced)
        spaced = re.sub(r"(?<=[\w.])\(", " (", spaced)
        spaced = re.sub(r"\)(?=\w)", ") ", spaced)
        spaced = re.sub(r"\s*&\s*", " & ", spaced)
    if CONFUSION_COST > 0:
        spaced = re.sub(r"[A-Za-z]+", lambda m: _confusion(m.group(0), model.lexicon), spaced)
    return re.sub(r"\s+", " ", spaced).strip()


# Letters the OCR takes for one another in printed capitals
_CONFUSED = {
    "C": "O",
    "O": "CU",
    "H": "B",
    "B": "H",
    "I": "L",
    "L": "I",
    "U": "O",
    "M": "N",
    "N": "M",
}
CONFUSION_COST = 11.0  # a word this common (-log p in the lexicon) stands in for a misread one


def _confusion(word: str, lexicon: spacing.Lexicon) -> str:
    """A word the lexicon does not know that is one misread letter (``_CONFUSED``) from a
    common word it knows (``CNE`` → ``ONE``, ``HEAUTY`` → ``BEAUTY``), as that word in the
    same case; any other word as it is."""
    upper = word.upper()
    if len(upper) < 3 or upper in lexicon.costs:
        return word
    best: tuple[float, str] | None = None
    for index, char in enumerate(upper):
        for other in _CONFUSED.get(char, ""):
            candidate = upper[:index] + other + upper[index + 1 :]
            cost = lexicon.costs.get(candidate)
            if cost is not None and cost <= CONFUSION_COST and (best is None or cost < best[0]):
                best = (cost, candidate)
    if best is None:
        return word
    return "".join(c if o.isupper() else c.lower() for c, o in zip(best[1], word, strict=True))


def rows_of(lines: Iterable[OcrLine], model: ReaderModel | None = None) -> list[Row]:
    """Group lines into printed rows (vertical overlap of half the smaller height)."""
    groups: list[list[OcrLine]] = []
    lines = [replace(line, text=unicodedata.normalize("NFKC", line.text)) for line in lines]
    for line in sorted(lines, key=lambda item: (item.box[1] + item.box[3]) / 2):
        top, bottom = line.box[1], line.box[3]
        for group in reversed(groups[-3:]):
            g_top = median(item.box[1] for item in group)
            g_bottom = median(item.box[3] for item in group)
            overlap = min(bottom, g_bottom) - max(top, g_top)
            if overlap > 0.5 * min(bottom - top, g_bottom - g_top):
                group.append(line)
                break
        else:
            groups.append([line])
    rows = []
    for group in groups:
        ordered = sorted(group, key=lambda item: item.box[0])
        rows.append(
            Row(
                text=" ".join(item.text for item in ordered),
                top=min(item.box[1] for item in ordered),
                bottom=max(item.box[3] for item in ordered),
                score=min(item.score for item in ordered),
                lines=tuple(ordered),
                model=model,
            )
        )
    return rows


def _valid(year: int, month: int, day: int) -> str | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


# The OCR reads the O of a month's name as 0, glued or spaced: "100CT2017", "10 0CT 2017",
# "05 N0V 2018" (a month name, not a word: no letter either side, the full name allowed).
_ZERO_FOR_O = re.compile(r"(?<![A-Z])(?:0CT|N0V)(?=OBER|EMBER|[^A-Z]|$)")


def parse_dates(text: str) -> list[str]:
    """Every date in ``text`` as ISO, day first (as printed in Malaysia and most places)."""
    found: list[str] = []
    upper = _ZERO_FOR_O.sub(lambda m: m.group().replace("0", "O"), text.upper())
    for m in _NUM_DATE.finditer(upper):
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        iso = _valid(y, b, a) or _valid(y, a, b)
        if iso:
            found.append(iso)
    for m in _NAMED_DATE.finditer(upper):
        iso = _valid(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1)))
        if iso:
            found.append(iso)
    for m in _CJK_DATE.finditer(upper):
        iso = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            found.append(iso)
    if not found:
        for m in _MONTH_FIRST.finditer(upper):  # "Mar 04, 2018"
            iso = _valid(int(m.group(3)), MONTHS[m.group(1)], int(m.group(2)))
            if iso:
                found.append(iso)
    if not found:  # the OCR put spaces round the separators: "25 / 12 / 2018"
        spaced = re.sub(r"(?<=\d)\s+([/\-])\s+(?=\d)", r"\1", upper)
        if spaced != upper:
            return parse_dates(spaced)
    if not found:
        for m in _ISO_DATE.finditer(upper):
            iso = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if iso:
                found.append(iso)
    return found


def parse_amounts(text: str) -> list[int]:
    """Every amount with two decimals in ``text``, in minor units (``1,234.50`` → 123450)."""
    out = []
    text = re.sub(r"(?<=[A-Za-z])\.(?=\d)", " ", text)  # "RM.34.80"
    for m in _AMOUNT.finditer(text):
        whole = int(m.group(1).replace(",", ""))
        minor = whole * 100 + int(m.group(2))
        out.append(-minor if m.group(0).startswith("-") else minor)
    return out


def parse_total(text: str) -> int | None:
    """A labelled total (``RM 3.90``, ``9.00``, ``43.7``, ``1,200``) in minor units."""
    amounts = parse_amounts(text)
    if amounts:
        return abs(amounts[-1])
    tenths = re.search(r"(\d[\d,]*)\.(\d)(?!\d)", text)  # one decimal: 43.7 is 43.70
    if tenths:
        return int(tenths.group(1).replace(",", "")) * 100 + int(tenths.group(2)) * 10
    digits = re.sub(r"[^\d]", "", text)
    return int(digits) * 100 if digits else None


def company_key(text: str) -> str:
    """A company name for comparison: upper case, runs of whitespace as one space."""
    return re.sub(r"\s+", " ", text.upper()).strip()


def _letters_not_digits(text: str) -> str:
    """In a word of letters, a 0 is an O and a 1 an I (``F00DICI0US`` → ``FOODICIOUS``)."""

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if sum(c.isalpha() for c in word) >= 2 * sum(c.isdigit() for c in word) + 1:
            return word.replace("0", "O").replace("1", "I")
        return word

    return re.sub(r"[A-Za-z0-9]+", fix, text)


def _squash(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


_DIGITISH = "0-9OoDIl|SBZ"
_DATE_LIKE = re.compile(
    rf"(?<![A-Za-z0-9])[{_DIGITISH}]{{1,2}}[/.\-][{_DIGITISH}]{{1,2}}[/.\-][{_DIGITISH}]{{2,4}}"
    rf"(?![A-Za-z0-9])"
)
_AS_DIGIT = str.maketrans("OoDIl|SBZ", "000111582")
# rules 3: the same with the year glued to a time ("2O/O3/2Ol814:05")
_DATE_LIKE_3 = re.compile(
    rf"(?<![A-Za-z0-9])[{_DIGITISH}]{{1,2}}[/.\-][{_DIGITISH}]{{1,2}}[/.\-]"
    rf"(?:[{_DIGITISH}]{{4}}(?=\d{{1,2}}:\d)|[{_DIGITISH}]{{2,4}}(?![A-Za-z0-9]))"
)


def _digits_in_dates(text: str, pattern: re.Pattern[str] = _DATE_LIKE) -> str:
    """Date-shaped tokens with the letters the OCR reads for digits read back
    (``2O/O3/2Ol8`` → ``20/03/2018``); the rest of the text as it is."""
    return pattern.sub(lambda m: m.group(0).translate(_AS_DIGIT), text)


# Malay month names and abbreviations the English ones miss (Mac, Mei, Ogos, Okt, Dis)
_MALAY_MONTH = re.compile(r"(?<=[\d\s\-/.])(MAC|MEI|OGOS|OGO|OKT|DISEMBER|DIS)(?=[\s\-/.,]*\d)")
_MALAY_AS = {"MAC": "MAR", "MEI": "MAY", "OGOS": "AUG", "OGO": "AUG", "OKT": "OCT"}
_MALAY_AS |= {"DISEMBER": "DEC", "DIS": "DEC"}


def _date_variants(text: str) -> list[tuple[str, int]]:
    """Rules 3: the row's text read loosely, then as read (penalty 1 when they differ):
    Malay month names as English ones (``12 OGOS 2018``); a separator with a space on one
    side or both (``25/12/ 2018``: a date split over two boxes); letters the OCR reads for
    digits inside a date-shaped token (``l2/O3/20l8``: read as printed it would give a
    wrong date, ``2/03/20``, so the loose reading goes first)."""
    loose = re.sub(rf"(?<=[{_DIGITISH}])\s*([/\-])\s*(?=[{_DIGITISH}])", r"\1", text)
    loose = _digits_in_dates(loose, _DATE_LIKE_3).upper()
    loose = _MALAY_MONTH.sub(lambda m: _MALAY_AS[m.group(1)], loose)
    upper = text.upper()
    variants = [(loose, 0)] if loose == upper else [(loose, 0), (upper, 1)]
    if re.search(r"DATE|TARIKH", upper):  # a separator the OCR lost: "Date:1202/2018"
        lost = re.sub(r"(?<!\d)(\d{2})(\d{2})([/\-.])((?:20)?\d{2})(?!\d)", r"\1\3\2\3\4", loose)
        lost = re.sub(r"(?<!\d)(\d{2})([/\-.])(\d{2})(20\d{2})(?!\d)", r"\1\2\3\2\4", lost)
        if lost != loose:
            variants.append((lost, 2))
    return variants


def _find_date_ranked(rows: Sequence[Row]) -> tuple[str | None, float]:
    """Rules 3: every date of every row, read as printed or more loosely
    (``_date_variants``); a row naming the date first, then a row with a time, then the
    strictest reading, then the topmost row."""
    best: tuple[tuple[int, int, int], str, float] | None = None
    for index, row in enumerate(rows):
        named = "DATE" in row.upper or "TARIKH" in row.upper or "TRKH" in row.upper
        timed = _TIME.search(row.text) is not None
        seen: set[str] = set()
        for text, penalty in _date_variants(row.text):
            for iso in parse_dates(text):
                if iso in seen or not 2000 <= int(iso[:4]) <= 2035:
                    continue
                seen.add(iso)
                rank = (2 * named + timed, -penalty, -index)
                if best is None or rank > best[0]:
                    best = (rank, iso, row.score * (1.0 - 0.1 * penalty))
    if best is None:
        return None, 0.0
    return best[1], best[2]


def find_date(rows: Sequence[Row]) -> tuple[str | None, float]:
    if _rules_of(rows) >= 3:
        return _find_date_ranked(rows)
    found = _find_date(rows, lambda text: text)
    if found[0] is None:  # no date as read: one with letters misread for digits
        found = _find_date(rows, _digits_in_dates)
    return found


def _find_date(rows: Sequence[Row], fix: Callable[[str], str]) -> tuple[str | None, float]:
    best: tuple[int, str, float] | None = None
    for index, row in enumerate(rows):
        for iso in parse_dates(fix(row.text)):
            named = "DATE" in row.upper or "TARIKH" in row.upper
            timed = _TIME.search(row.text) is not None
            rank = (1 + 2 * named + timed) * 1000 - index
            if 2000 <= int(iso[:4]) <= 2035 and (best is None or rank > best[0]):
                best = (rank, iso, row.score)
    if best is None:
        return None, 0.0
    return best[1], best[2]


_TOTAL_LIKE = re.compile(r"[TIL17][O0UQD][TIL17][A4][LI1]")
_CASH_LIKE = re.compile(r"(?<![A-Z])[CL]ASH(?![A-Z])")
_CHANGE_LIKE = re.compile(r"(?<![A-Z])[CL]HAN[GC]E")
_CARD = ("VISA", "MASTER", "CARD", "DEBIT", "CREDIT", "AMEX")


def keywords(upper: str) -> str:
    """The row's text with the OCR's usual misreadings of TOTAL, CASH and CHANGE
    (``IUIAL``, ``lotal``, ``LASH``, ``LHANGE``) read as the word: for finding keywords,
    never for amounts."""
    upper = _TOTAL_LIKE.sub("TOTAL", upper)
    upper = _CASH_LIKE.sub("CASH", upper)
    return _CHANGE_LIKE.sub("CHANGE", upper)


def _is_total_row(upper: str, rules: int = 2) -> bool:
    upper = keywords(upper).replace(" ", "")
    # rules 3: the words are squashed above, so "AMOUNT DUE" is looked for as such;
    # "AMOUNT PAYABLE" and "NETT AMOUNT" name a total too
    also = rules >= 3 and any(w in upper for w in ("AMOUNTDUE", "PAYABLE", "NETTAMOUNT"))
    if "TOTAL" not in upper and "AMOUNT DUE" not in upper and "JUMLAH" not in upper and not also:
        return False
    head = upper.split("TOTAL", 1)[0] if "TOTAL" in upper else ""
    tail = upper.split("TOTAL", 1)[1][:14] if "TOTAL" in upper else ""
    if "SUB" in head[-6:]:
        return False
    if any(word in head for word in ("GST", "TAX", "SAVING", "DISC")):
        return False  # "GST @6% included in total", "tax total"
    if "INCLUDE" in tail:
        return False  # "total includes 6% GST 3.98": the tax in it
    if "INCL" in tail:
        return True
    return not any(word in tail for word in _NOT_TOTAL if word != "SUB")


_AMOUNT_LIKE = re.compile(
    r"(?:(?<![A-Za-z0-9])|(?<=RM))[0-9OoSlI|]{1,7}[.,]\s?[0-9OoSlI|]{2}(?![A-Za-z0-9])"
)
_AS_AMOUNT = str.maketrans("OoSlI|", "005111")


def _digits_in_amounts(text: str, dollars: bool = False) -> str:
    """Rules 3: amount-shaped tokens with a digit in them and letters the OCR reads for
    digits (``12.5O``, ``l2.50``, ``RM1S.00``) read back as digits."""

    def fix(m: re.Match[str]) -> str:
        token = m.group(0)
        if not any(c.isdigit() for c in token):
            return token
        if dollars and token[0] == "S" and token[1:2].isdigit():
            token = token[1:]  # "S8.20" on a bill printing $: a dollar sign read as S
        return token.translate(_AS_AMOUNT)

    return _AMOUNT_LIKE.sub(fix, text)


def _bare_total(text: str) -> int | None:
    """A total the OCR read without its decimal point (``TOTAL 700``): the last number of
    three or more digits, as minor units."""
    numbers = re.findall(r"(?<![\d.,])\d{3,}(?![\d.,])", text)
    return int(numbers[-1]) if numbers else None


def find_total(rows: Sequence[Row]) -> tuple[int | None, float]:
    """The total: amounts on total rows (the strong ones first, later ones winning ties),
    the payment cross-checked (cash minus change, a card payment equal to a total)."""
    rules = _rules_of(rows)
    if rules >= 3:
        dollars = any("$" in row.text for row in rows)
        rows = [replace(row, text=_digits_in_amounts(row.text, dollars)) for row in rows]
    candidates: dict[int, float] = {}
    scores: dict[int, float] = {}
    cash: int | None = None
    change: int | None = None
    card: set[int] = set()
    for index, row in enumerate(rows):
        upper = keywords(row.upper)
        if ("CHANGE" in upper or "BAKI" in upper) and parse_amounts(row.text):
            change = abs(parse_amounts(row.text)[-1])  # often 0.00
            continue
        if "ROUND" in upper.replace(" ", "") and not _is_total_row(upper, rules):
            signed = parse_amounts(row.text)
            if signed and abs(signed[-1]) > 10:  # "Rounding RM 27.30" (not the adjustment)
                weight = 4.5 + index / (10 * max(len(rows), 1))
                candidates[abs(signed[-1])] = max(candidates.get(abs(signed[-1]), 0.0), weight)
                scores[abs(signed[-1])] = row.score
            continue
        amounts = [a for a in parse_amounts(row.text) if a > 0]
        bare = False
        if not amounts and _is_total_row(upper, rules) and cash is None:
            found = _bare_total(row.text)
            amounts, bare = ([found], True) if found else ([], False)
        if not amounts and index + 1 < len(rows) and _is_total_row(upper, rules):
            following = keywords(rows[index + 1].upper)
            if not any(word in following for word in _PAYMENT):
                amounts = [a for a in parse_amounts(rows[index + 1].text) if a > 0][-1:]
        if not amounts:
            continue
        value = amounts[-1]
        if (
            ("CASH" in upper if rules < 3 else re.search(r"\bCASH\b", upper) is not None)
            or "TENDER" in upper
            or "ACCEPTED" in upper
            or re.match(r"^\s*PAY(MENT)?\b", upper)
        ):
            cash = value if cash is None else cash
            continue
        if any(word in upper for word in _CARD):
            card.add(value)
            continue
        if any(word in upper for word in _PAYMENT):
            continue
        weight = 0.0
        if _is_total_row(upper, rules):
            weight = 3.0 + (1.5 if any(w in upper for w in _STRONG_TOTAL) else 0.0)
            weight -= 1.0 if bare else 0.0
        elif len(upper.split()) <= 3 and re.match(r"^\s*R[MHN]\b", upper):
            weight = 2.5  # a bare "RM 60.30" row: the rounded total printed on its own
        if weight and cash is not None:
            weight -= 2.0  # a total after the payment is the tax summary's
        if weight:
            weight += index / (10 * max(len(rows), 1))  # later totals are the final ones
            candidates[value] = max(candidates.get(value, 0.0), weight)
            scores[value] = row.score
    for value in card & set(candidates):
        candidates[value] += 2.0  # paid by card: exactly the total
    if cash is not None and change is None and cash in candidates:
        change = 0  # paid exactly: cash is the total
    if cash is not None and change is not None and cash - change > 0:
        # what was paid is the total after rounding: it wins over a total a few cents off,
        # and stands in when no total row was read or only a weak one
        paid = cash - change
        top = max(candidates, key=lambda v: (candidates[v], v)) if candidates else None
        if top is None or paid in candidates or abs(paid - top) <= 10 or candidates[top] < 2.5:
            candidates[paid] = candidates.get(paid, 0.0) + 4.0
            scores.setdefault(paid, scores.get(top, 0.8) if top is not None else 0.8)
    if not candidates:
        every_amount = [a for row in rows for a in parse_amounts(row.text) if 0 < a < 10_000_000]
        if not every_amount:
            return None, 0.0
        return max(every_amount), 0.3
    value = max(candidates, key=lambda v: (candidates[v], v))
    confidence = min(1.0, candidates[value] / 5.0) * scores.get(value, 0.5)
    return value, confidence


def _name_from_above(name: str, above: Row, above_name: str) -> str:
    """Rules 3: a name that starts with a trade word or a joining word (``ENTERPRISE
    (SETIA ALAM) SDN BHD``, ``& SONS TRADING``) began on the row above (``AIK HUAT
    HARDWARE``), when that row is a name of its own (capitals, no address, no title)."""
    first = re.match(r"[A-Za-z&]+", name.strip())
    if first is None or (first.group(0).upper() not in _TRADE_WORDS and first.group(0) != "&"):
        return name
    if not _company_row(above) or _LEGAL_END.search(above_name.upper()):
        return name
    return f"{above_name} {name}"


_CONTINUES = re.compile(r"^(CO\b|\(M\)|SDN|BHD|S/B|&)")
_BRANCH = re.compile(r"^\(\s*[A-Z][A-Z .&'-]*\)$")


def _full_name(name: str) -> bool:
    """A name of its own before its legal ending (``HAXINCONE RESOURCES SDN BHD``), not
    only the ending (``CO. (M) SDN BHD``)."""
    head = _LEGAL_END.split(name.upper(), maxsplit=1)[0]
    return len(re.findall(r"[A-Z]{2,}", head)) >= 2 and not _CONTINUES.match(name.upper())


def _with_branch(name: str, following: Sequence[str]) -> str:
    """The name and, when the next row is only a branch in brackets (``(JALAN KLANG
    LAMA)`` under ``CHECKERS HYPERMARKET SDN BHD``), that branch: SROIE's labels keep it."""
    if following and _LEGAL_END.search(name.upper()) and _BRANCH.match(following[0].upper()):
        return f"{name} {following[0]}"
    return name


def _name_like(upper: str) -> bool:
    letters = sum(c.isalpha() for c in upper)
    digits = sum(c.isdigit() for c in upper)
    return letters >= 3 and digits <= letters / 3


def _company_row(row: Row) -> bool:
    upper = f" {_company_name(row.spaced).upper()} "
    return (
        _capitals(row.spaced)
        and _name_like(upper)
        and not any(word in upper for word in _NOT_COMPANY)
        and not any(word in upper for word in _ADDRESS_WORDS)
    )


def _registered_name(top: Sequence[Row]) -> tuple[str, float] | None:
    """The name printed right above the company's registration number ("(1365663-P)"),
    with the row above it when the name goes on from there (``CO. (M) SDN BHD`` under
    ``POPULAR BOOK``; a row of the same type size right above)."""
    for index, row in enumerate(top[1:9], 1):
        if not _REGISTRATION_ROW.match(row.text.strip()):
            continue
        above = top[index - 1]
        if not _company_row(above):
            return None
        name = _company_name(above.spaced)
        first = index - 1  # the name's first row
        if (
            index > 1
            and _company_row(top[index - 2])
            and len(_squash(_company_name(top[index - 2].spaced))) >= 5
        ):
            before = top[index - 2]
            height, before_height = above.bottom - above.top, before.bottom - before.top
            continues = re.match(r"^(CO\b|\(M\)|SDN|BHD|S/B|&)", name.upper()) is not None
            same_size = abs(height - before_height) <= 0.2 * max(height, before_height) and (
                above.top - before.bottom < 0.6 * height
            )
            if continues or same_size:
                name = f"{_company_name(before.spaced)} {name}"
                first -= 1
        if _rules(above.model) >= 3 and first > 0:
            name = _name_from_above(name, top[first - 1], _company_name(top[first - 1].spaced))
        return company_key(name), above.score
    return None


def find_company(rows: Sequence[Row], known_shops: Sequence[str] = ()) -> tuple[str | None, float]:
    top = list(rows[:12])
    if known_shops:
        best_shop, best_ratio = None, 0.0
        for row in top:
            squashed = _squash(row.text)
            if len(squashed) < 4:
                continue
            for shop in known_shops:
                ratio = SequenceMatcher(None, squashed, _squash(shop)).ratio()
                if ratio > best_ratio:
                    best_shop, best_ratio = shop, ratio
        if best_shop is not None and best_ratio >= SHOP_MATCH:
            return company_key(best_shop), best_ratio
    rules = _rules_of(rows)
    registered = _registered_name(top)
    if registered is not None:
        return registered
    top = [row for row in top if _capitals(row.spaced)]
    names = [_company_name(row.spaced) for row in top]
    for index, (row, name) in enumerate(zip(top[:6], names, strict=False)):
        upper = f" {name.upper()} "
        if any(word in upper for word in _NOT_COMPANY):
            continue
        if any(suffix in upper for suffix in _SUFFIXES) and _name_like(upper):
            if _squash(name) in {"SDNBHD", "BHD", "SB"} and index > 0:
                name = f"{names[index - 1]} {name}"
            elif not _LEGAL_END.search(name.upper()) and index + 1 < len(names):
                # "POPULAR BOOK" / "CO. (M) SDN BHD": a name printed on two rows; but a
                # brand over its company's own full name ("FamilyMart" over "Haxincone
                # Resources Sdn Bhd") gives way to the registered name
                following = names[index + 1]
                if _LEGAL_END.search(following.upper()) and not any(
                    word in following.upper() for word in _ADDRESS_WORDS if word != "("
                ):
                    if _CONTINUES.match(following.upper()) or not _full_name(following):
                        name = f"{name} {following}"
                    else:
                        row, name = top[index + 1], following
            if rules >= 3 and index > 0:
                name = _name_from_above(name, top[index - 1], names[index - 1])
            return company_key(_with_branch(name, names[index + 1 :])), row.score
    for index, (row, name) in enumerate(zip(top[6:], names[6:], strict=False), 6):
        # a registered name below a printed header ("THANK YOU", opening hours, ...)
        if _LEGAL_END.search(name.upper()) and _full_name(name) and _company_row(row):
            return company_key(_with_branch(name, names[index + 1 :])), row.score * 0.8
    for row, name in zip(top, names, strict=True):
        upper = name.upper()
        if any(word in upper for word in _NOT_COMPANY) or any(
            word in upper for word in _ADDRESS_WORDS
        ):
            continue
        if _name_like(upper):
            return company_key(name), row.score * 0.6
    return None, 0.0


_TRADE_WORDS = (
    "ENTERPRISE",
    "TRADING",
    "HARDWARE",
    "RESTAURANT",
    "RESTORAN",
    "STATIONERY",
    "MARKETING",
    "SUPERMARKET",
    "HYPERMARKET",
    "INTERNATIONAL",
    "INDUSTRIES",
    "CORPORATION",
    "HOLDINGS",
    "SERVICES",
    "BAKERY",
    "BAKERIES",
    "CONFECTIONERY",
    "PERNIAGAAN",
    "SYARIKAT",
    "MACHINERY",
    "ELECTRICAL",
    "PHARMACY",
    "FURNITURE",
    "BOOKSTORE",
)


def _glued_trade_word(word: str) -> str:
    """A trade word the OCR ran into the name's other words (``GARDENIABAKERIES``,
    ``SANYUSTATIONERYSHOP``) set apart; each other piece at least three letters."""
    upper = word.upper()
    if len(upper) < 10 or upper in _TRADE_WORDS:
        return word
    for known in sorted(_TRADE_WORDS, key=len, reverse=True):
        at = upper.find(known)
        if at < 0 or known == upper:
            continue
        before, after = word[:at], word[at + len(known) :]
        if (before and len(before) < 3) or (after and len(after) < 3):
            continue
        pieces = [_glued_trade_word(before), word[at : at + len(known)], _glued_trade_word(after)]
        return " ".join(piece for piece in pieces if piece)
    return word


def _trade_words_apart(text: str, lexicon: spacing.Lexicon | None = None) -> str:
    """Rules 3: trade words the re-spacing left glued to a name set apart, and a trade word
    it cut in two where the OCR dropped a letter (``STAT ONERY``) joined again (then read
    as printed by ``_trade_word``), unless both pieces are words of their own."""
    costs = (lexicon or default_model().lexicon).costs

    words = text.split(" ")
    out: list[str] = []
    for word in words:
        if out and re.fullmatch(r"[A-Za-z]{2,}", out[-1]) and re.fullmatch(r"[A-Za-z]+", word):
            joined = (out[-1] + word).upper()
            both_words = out[-1].upper() in costs and word.upper() in costs
            if not both_words and (joined in _TRADE_WORDS or _trade_word(joined) != joined):
                out[-1] += word
                continue
        out.append(word)
    text = " ".join(out)
    text = re.sub(r"(?i)(?<=[a-z])(?=sdn\.?\s?bhd\b)", " ", text)  # "TRADINGSDN BHD"
    text = re.sub(r"(?i)\b(sdn\.?)(bhd)\b", r"\1 \2", text)  # "SDNBHD"
    return re.sub(r"[A-Za-z]+", lambda m: _glued_trade_word(m.group(0)), text)


def _one_off(word: str, target: str) -> bool:
    return len(word) == len(target) and sum(a != b for a, b in zip(word, target, strict=True)) == 1


def _legal_ending_read(text: str) -> str:
    """Rules 3: the Malaysian legal ending as printed where the OCR misread it: the word
    after SDN one letter off BHD (``SDN EHD``, ``SDN BND``) is BHD, ``C0.`` is ``CO.``,
    a letter or two glued after ``BHD.`` and an opening bracket ending the row go."""
    text = re.sub(
        r"(?i)\b(SDN\.?\s*)([A-Z0-9]{3})\b",
        lambda m: m.group(1) + ("BHD" if _one_off(m.group(2).upper(), "BHD") else m.group(2)),
        text,
    )
    text = re.sub(r"(?i)\bC0(?=\.|\s+\(M\))", "CO", text)
    # a registration number with letters read for digits ("(519S37-X)"): digits again, so
    # the name drops it as it drops any registration number
    text = re.sub(
        r"\(\s*([0-9SOIl]{5,8})\s*-\s*([A-Z])\s*\)",
        lambda m: (
            f"({m.group(1).translate(_AS_AMOUNT)}-{m.group(2)})"
            if sum(c.isdigit() for c in m.group(1)) >= 4
            else m.group(0)
        ),
        text,
    )
    text = re.sub(r"(?i)(\bBHD\.)[A-Z]{1,2}(?=\s|$)", r"\1", text)
    return re.sub(r"\s*\(\s*$", "", text)


def _trade_word(word: str) -> str:
    """A company's trade word the OCR misread one letter of (``ENTERFRISE``) as printed."""
    if len(word) < 6 or not word.isalpha() or word.upper() in _TRADE_WORDS:
        return word
    upper = word.upper()
    for known in _TRADE_WORDS:
        if len(known) == len(upper) and sum(a != b for a, b in zip(known, upper, strict=True)) <= (
            1 if len(known) < 9 else 2
        ):
            return known
        # one letter the OCR dropped inside the word ("STATONERY"; not "SERVICE")
        if (
            len(known) >= 8
            and len(known) == len(upper) + 1
            and any(known[:i] + known[i + 1 :] == upper for i in range(1, len(known) - 1))
        ):
            return known
    return word


def _company_name(text: str) -> str:
    """The name without a registration number or anything after it, nor junk after BHD."""
    text = re.sub(r"\s*\((CO|COMPANY|REG|GST)\b.*$", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(MR|MRS|DR)\.(?=[A-Z])", r"\1. ", text, flags=re.IGNORECASE)
    text = re.sub(r"\s+\(?[A-Z]{0,3}\d{5,}-?[A-Z]?\)?(\s.*)?$", "", text)
    text = _REGISTRATION.sub("", text).strip()
    text = _AFTER_BHD.sub(r"\1", text.upper()) if "BHD" in text.upper() else text
    text = _letters_not_digits(text)
    # a legal ending the re-spacing cut ("PL T", "SDN BH D")
    text = re.sub(r"\b(S ?D ?N|B ?H ?D|P ?L ?T)\b", lambda m: m.group(0).replace(" ", ""), text)
    return re.sub(r"[A-Za-z]+", lambda m: _trade_word(m.group(0)), text)


def _capitals(text: str) -> bool:
    """Printed headers are in capitals; a handwritten note on top of a scan is not."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and any(c.isupper() for c in letters)


# A row that ends the bought lines: a total of any kind (with or without tax, a sub-total),
# the count of items or quantities, rounding, or a payment (squashed, keywords read)
_ITEMS_END = re.compile(
    r"TOTAL|TOTQTY|AMOUNTDUE|PAYABLE|JUMLAH|ROUNDING|ROUNDADJ|ITEM\(?S\)?:|QTY\(?S\)?:|NOOFITEM"
    r"|^QTY\d|INCL\.?GST|EXCL\.?GST|EXCLUDINGGST|GSTSUMMARY|(?:GST|SST)[@\d(]"
    r"|(?<![A-Z])(CASH|CHANGE|TENDER|PAID|VISA)"
)
# a row that opens the bought lines (as do a column heading and the date): the bill's own
# name or its till
_ITEMS_OPEN = re.compile(r"INVOICE|RECEIPT|\bBILL\b|CASHIER|TABLE|SERVER|TERMINAL|ORDER|POS\b")
# what is left round a description once its amounts are taken out: "RM", "x", ":", "@"
_EDGES = re.compile(r"^(?:\s|RM\b|[:@*-])+|(?:\s[xX@]|\s|\bRM|[:@*-])+$")
# a quantity and a unit price alone ("2 X 6.79", "2XRM6.79"), once the amount is taken out
_QUANTITY_ONLY = re.compile(r"^(\d{1,3})\s*[xX@*]?\s*(?:RM)?$")
# a quantity ("2x") and the GST codes tills print after a line (standard-rated SR, zero-rated
# ZR/ZRL, exempt E): not a name
_TAX_CODES = re.compile(r"\b(?:\d+\s*X|X|SR|ZRL?|TX|NT|[SZE])\b|[\[\]]")
# words of a column heading ("Qty Code/Desc UnitPrice TotalRM", "Desc/Item Qty Price Amt")
_COLUMN_WORDS = ("QTY", "DESC", "ITEM", "PRICE", "AMT", "AMOUNT", "TOTAL", "UNIT", "CODE")
_GLUED_AMOUNTS = re.compile(r"(\.\d{2})(?=\d{1,5}\.\d{2}(?!\d))")  # "1X17.5017.50"
# a row naming the company's or the tax registration (its number read as an amount, or an
# amount of the column beside it): never a bought line. REG (the OCR reads RE9) only before
# a number mark or a long number, since "FRIES REG 5.90" is a regular size
_NAMES_REGISTRATION = re.compile(
    r"(?<![A-Z])(?:REG|RE9|ROC|BRN)\.?\s*(?:NO\.?\s*)?(?:[#:]\s*\d|\d{4,})"
    r"|(?:GST|SST)\s*(?:ID|NO|REG)|\bCO\.?\s*NO\b"
)


def _ends_items(upper: str) -> bool:
    return _ITEMS_END.search(keywords(upper).replace(" ", "")) is not None


def _column_heading(upper: str) -> bool:
    return sum(word in upper for word in _COLUMN_WORDS) >= 2


def _free_text(row: Row, amounts: Sequence[int]) -> bool:
    """A row (with ``amounts``, those read on it) that can name the item printed beside it:
    no amount, no time, not a column heading or a label (``Cashier: S201``); a code
    (``HC03-7-15``, even read as a date) may."""
    upper = row.upper
    return (
        not amounts
        and not _TIME.search(row.text)
        and not _column_heading(upper)
        and not re.match(r"^[A-Z /]{2,12}\s*:", upper)
    )


def _words(rows: Sequence[Row]) -> bool:
    return sum(c.isalpha() for row in rows for c in row.text) >= 3


def find_items(rows: Sequence[Row]) -> tuple[LineItem, ...]:
    """The bought lines (best effort; receipts print them in many layouts). They start
    after the first row that opens them (``_ITEMS_OPEN``, a column heading or the date: the
    shop's name and address are above it) and stop at the first row that ends them
    (``_ITEMS_END``: a total of any kind, a count, a tax, a payment). Each row between that
    ends in an amount is an item of that amount (a discount's is negative), except a
    quantity and unit price (``2 X 6.79``) next to its line, an amount that is the sum of
    two or more items above it (a sub-total) and a registration row (``GST Reg #...``, nor
    does one name an item). Its description is its own
    words; a row of codes and numbers (``62483 1 55.90 55.90``) takes the rows printed above
    it since the item before (at most two), or else the one below it (``1 D15 8.90 8.90`` /
    ``THAI ICE TEA``)."""
    texts = [_GLUED_AMOUNTS.sub(r"\1 ", row.text) for row in rows]
    amounts_of = [parse_amounts(text) for text in texts]
    dated = [bool(parse_dates(row.text)) for row in rows]
    ends = [_ends_items(row.upper) for row in rows]
    registration = [bool(_NAMES_REGISTRATION.search(row.upper)) for row in rows]
    first_end = ends.index(True) if True in ends else len(rows)
    start = next(
        (
            k + 1
            for k, row in enumerate(rows[:first_end])
            if dated[k] or _column_heading(row.upper) or _ITEMS_OPEN.search(row.upper)
        ),
        0,
    )

    def describes(k: int) -> bool:
        return k not in used and not registration[k] and _free_text(rows[k], amounts_of[k])

    items: list[LineItem] = []
    used: set[int] = set()
    for index in range(start, len(rows)):
        amounts = amounts_of[index]
        if ends[index] and (used or amounts):
            break  # (a heading naming a total, before any amount, does not end them)
        if not amounts or dated[index] or registration[index]:
            continue
        used.add(index)
        own = re.sub(r"\s+", " ", _EDGES.sub("", _AMOUNT.sub("", texts[index])))
        quantity = _QUANTITY_ONLY.match(own)
        if quantity and len(amounts) == 1:
            line_total = int(quantity.group(1)) * amounts[0]
            after = amounts_of[index + 1] if index + 1 < len(rows) else []
            if (items and items[-1].amount == line_total) or (after and after[-1] == line_total):
                continue  # the unit price of the line above or below, not an item
        if len(items) >= 2 and amounts[-1] == sum(item.amount for item in items):
            continue  # the items above added up: a sub-total the till did not name
        if _name_like(_TAX_CODES.sub("", own.upper())):
            items.append(LineItem(description=own, amount=amounts[-1]))
            continue
        above: list[int] = []
        for k in range(index - 1, max(index - 3, start - 1), -1):
            if not describes(k):
                break
            above.insert(0, k)
        below = index + 1
        if above and _words([rows[k] for k in above]):
            named = above
        elif below < len(rows) and describes(below) and _words([rows[below]]):
            named = [below]
        else:
            named = []
        used.update(named)
        description = " ".join(rows[k].text for k in named) or own
        items.append(
            LineItem(description=re.sub(r"\s+", " ", description).strip(), amount=amounts[-1])
        )
    return tuple(items[:50])


def currency_of(text: str, default: str) -> str:
    upper = text.upper()
    if re.search(r"\bRM\b|RINGGIT|\(RM\)", upper):
        return "MYR"
    if "S$" in upper or "SGD" in upper:
        return "SGD"
    if "$" in upper or "USD" in upper:
        return "USD"
    if "€" in upper or "EUR" in upper:
        return "EUR"
    if "£" in upper or "GBP" in upper:
        return "GBP"
    return default


def read(
    lines: Sequence[OcrLine],
    *,
    known_shops: Sequence[str] = (),
    default_currency: str = "MYR",
    engine: str = "",
    model: ReaderModel | None = None,
) -> Extraction:
    """The bill's fields from its OCR lines (``model``: what the reader learned; the
    shipped one by default)."""
    rows = rows_of(lines, model)
    company, company_conf = find_company(rows, known_shops)
    if company and _rules(model) >= 3:
        company = re.sub(r"\s*\(\s*$", "", company) or None  # "AEON CO. (M) BHD ("
    if company and _rules(model) >= 4 and re.search(r"\([A-Z0-9 .&'-]+$", company):
        company += ")"  # a bracket the OCR left open at the end: "FUN N CHEER (MALURI"
    iso, date_conf = find_date(rows)
    total, total_conf = find_total(rows)
    raw = "\n".join(row.text for row in rows)
    return Extraction(
        company=company,
        date=iso,
        total=total,
        currency=currency_of(raw, default_currency),
        line_items=find_items(rows),
        confidence={
            "company": round(company_conf, 4),
            "date": round(date_conf, 4),
            "total": round(total_conf, 4),
        },
        raw_text=raw,
        engine=engine,
    )
