"""The recogniser fine-tuning experiment's data (ml/bills/recogniser_finetune.py, session 13):
which detected lines get a ground-truth text, and the spaced targets. No torch needed."""

from __future__ import annotations

from ml.bills.recogniser_finetune import cased, matches, spaced


def test_lines_match_ground_truth_boxes_one_to_one_by_overlap() -> None:
    # Given two detected lines, the second a little wider than its ground-truth box, and a
    # ground-truth box no line covers
    found = [(0.0, 0.0, 100.0, 20.0), (0.0, 30.0, 120.0, 50.0)]
    truth = [(0.0, 30.0, 100.0, 50.0), (0.0, 0.0, 100.0, 20.0), (300.0, 0.0, 400.0, 20.0)]
    # When they are matched
    pairs = matches(found, truth)
    # Then each detected line gets its own box, and the uncovered box none
    assert sorted(pairs) == [(0, 1), (1, 0)]


def test_a_box_overlapping_two_lines_goes_to_the_closer_one_only() -> None:
    found = [(0.0, 0.0, 100.0, 20.0), (0.0, 5.0, 100.0, 25.0)]
    assert matches(found, [(0.0, 0.0, 100.0, 20.0)]) == [(0, 0)]


def test_spaced_targets_keep_the_reading_s_letters_and_case_with_the_truth_s_spaces() -> None:
    # Given the default recogniser's run-together reading and the ground truth's spaced text
    # When the target is made
    target = spaced("GuardianHealth.AndBeauty", "GUARDIAN HEALTH. AND  BEAUTY ")
    # Then the letters and their case are the reading's, the word spaces the truth's (one each)
    assert target == "Guardian Health. And Beauty"


def test_no_spaced_target_where_the_letters_differ() -> None:
    assert spaced("GUARDLAN", "GUARDIAN") is None
    assert spaced("", "") is None


def test_cased_targets_keep_the_truth_s_letters_in_the_case_the_reading_has_them() -> None:
    # Given mixed-case print the ground truth writes in capitals, read with one letter wrong
    # When the target is made
    # Then the truth's letters come out in the reading's case, the misread one with its word's
    # case, and a word's first letter as the truth has it
    assert cased("Guardlan Sdn", "GUARDIAN SDN BHD") == "Guardian Sdn BHD"
    assert cased("lel:03", "TEL:03") == "Tel:03"
    assert cased("GUARDLAN", "GUARDIAN") == "GUARDIAN"
