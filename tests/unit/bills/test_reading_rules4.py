"""The reader's rules 4 (measured in session 8, not shipped: reader v3 stays): a second
engine's words on each OCR line (``OcrLine.second``) give the word boundaries where both
engines read the same letters, and correct a misread word the lexicon knows; rules 3
ignore them."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.bills import reading, spacing
from chalicelib.bills.domain import OcrLine
from tests.unit.bills.test_reading import receipt

RULES_3 = replace(reading.default_model(), rules=3)
RULES_4 = replace(reading.default_model(), rules=4)


def seconded(lines: list[OcrLine], *seconds: tuple[tuple[str, float], ...]) -> list[OcrLine]:
    """The lines, the first ones with a second engine's words on them."""
    return [
        replace(line, second=second) if second else line
        for line, second in zip(lines, (*seconds, *[()] * len(lines)), strict=False)
    ]


def words(text: str, confidence: float = 0.92) -> tuple[tuple[str, float], ...]:
    return tuple((word, confidence) for word in text.split())


def test_the_second_engine_gives_boundaries_only_where_the_letters_agree() -> None:
    # Given a line the local engine ran together, and the second engine's reading of it
    # with one letter misread (JOHGR)
    line = OcrLine(
        text="MRD.I.Y.(JOHOR)SDNBHD",
        score=0.9,
        box=(0, 0, 200, 20),
        second=words("MR D.I.Y. (JOHGR) SDN BHD"),
    )
    # When its opinion is asked
    opinion = spacing.second_opinion(line)
    # Then a word starts where its words part and the letters agree on both sides ...
    assert opinion[line.text.index("D.I")] == 1.0
    assert opinion[line.text.index("SDN")] == 1.0
    assert opinion[line.text.index("BHD")] == 1.0
    assert opinion[line.text.index("DN")] == 0.0  # inside SDN
    # ... and it has no opinion round the letter they read differently
    at = line.text.index("OR)")
    assert opinion[at] == opinion[at + 1] == -1.0


def test_rules_4_space_a_name_as_the_second_engine_read_it() -> None:
    # Given a header row the local engine ran together (no character boxes, like a line
    # of an engine that spaces words itself) and the second engine's words on it
    lines = seconded(
        receipt("DELUXECIRCLEFRESHMARTSDNBHD", "No.89&91,JalanUtama,", "TOTAL 5.00"),
        words("DE LUXE CIRCLE FRESH MART SDN BHD"),
    )
    # When it is read with rules 4, Then the name has the second engine's spaces
    assert reading.read(lines, model=RULES_4).company == "DE LUXE CIRCLE FRESH MART SDN BHD"
    # (rules 3, reader v3 as shipped, ignore the second engine)
    plain = reading.read([replace(line, second=()) for line in lines], model=RULES_3)
    assert reading.read(lines, model=RULES_3) == plain
    assert plain.company != "DE LUXE CIRCLE FRESH MART SDN BHD"


def test_rules_4_take_a_word_the_lexicon_knows_from_a_sure_second_engine() -> None:
    # Given a name whose last word the local engine misread (MALURD, bracket unclosed) and
    # the second engine's reading of it (MALURI, a word the lexicon knows)
    name = "FUN N CHEER (MALURD"
    address = "LOT37636,JALAN 6/37A"
    sure = seconded(receipt(name, address, "TOTAL 5.00"), words("FUN N CHEER (MALURI)", 0.87))
    unsure = seconded(receipt(name, address, "TOTAL 5.00"), words("FUN N CHEER (MALURI)", 0.5))
    # When they are read with rules 4
    # Then the sure second reading wins, and the bracket left open is closed
    assert reading.read(sure, model=RULES_4).company == "FUN N CHEER (MALURI)"
    # ... an unsure one does not
    assert reading.read(unsure, model=RULES_4).company == "FUN N CHEER (MALURD)"


def test_rules_4_never_replace_a_known_word_with_another() -> None:
    # Given the local engine's SDN and the second engine's SON (both words the lexicon knows)
    lines = seconded(
        receipt("MR. D.I.Y. (M) SDN BHD", "LOT 1851-A", "TOTAL 5.00"),
        words("MR. D.I.Y. (M) SON BHD", 0.95),
    )
    # When read with rules 4, Then the local engine's word stays
    assert reading.read(lines, model=RULES_4).company == "MR. D.I.Y. (M) SDN BHD"


def test_words_on_a_line_are_those_printed_on_it() -> None:
    # Given a line and the second engine's words on it, on the row below and far right
    line = OcrLine(text="KEDAIABC", score=0.9, box=(10, 10, 90, 30))
    on = OcrLine(text="KEDAI", score=0.9, box=(12, 11, 50, 29))
    below = OcrLine(text="JALAN", score=0.9, box=(12, 32, 50, 50))
    right = OcrLine(text="5.00", score=0.9, box=(85, 10, 130, 30))
    # When the words on the line are asked for, Then only the one printed on it is given
    assert spacing.words_on(line, [right, below, on]) == [on]


def test_a_spacing_local_engine_gives_its_words_with_their_boxes() -> None:
    from ml.bills.second_engine import words_of

    # Given a line read with spaces and a box for every character (spaces included)
    text = "MR D.I.Y"
    edges = tuple((10.0 * i, 10.0 * i + 8) for i in range(len(text)))
    line = OcrLine(text=text, score=0.8, box=(0, 5, 80, 25), char_edges=edges)
    # When it is cut into words (a line without character boxes gives none)
    found = words_of([line, OcrLine(text="NO BOXES", score=0.9, box=(0, 30, 80, 50))])
    # Then each word spans its own characters across the line's height, at its confidence
    assert [(w.text, w.box, w.score) for w in found] == [
        ("MR", (0.0, 5, 18.0, 25), 0.8),
        ("D.I.Y", (30.0, 5, 78.0, 25), 0.8),
    ]


def test_a_line_is_swapped_for_another_reading_only_where_the_lexicon_prefers_it() -> None:
    from ml.bills.cv_extraction import choose_lines

    # Given two readings of the same two boxes: one misread name, one number
    model = reading.default_model()
    ours = [
        OcrLine(text="HARDWARF TRADING", score=0.9, box=(0, 0, 100, 20)),
        OcrLine(text="12.50", score=0.9, box=(0, 30, 50, 50)),
    ]
    theirs = [
        OcrLine(text="HARDWARE TRADING", score=0.8, box=(0.5, 0, 100, 20)),
        OcrLine(text="12.80", score=0.9, box=(0, 30, 50, 50)),
    ]
    # When the lines are chosen
    chosen = choose_lines(ours, theirs, model)
    # Then the known words win the name's box; a line without letters keeps our reading
    assert [line.text for line in chosen] == ["HARDWARE TRADING", "12.50"]
