"""The ordinal star targets and their collapse to three classes (the ``--ordinal-weight``
recipe of ``ml.sentiment_cv``), and the star ratings the data reader keeps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ml import data
from ml.sentiment_train import ordinal_log_probabilities, ordinal_targets


def test_a_rated_row_knows_every_cut_point_and_a_0_1_row_only_the_implied_ones() -> None:
    # Given a 3-star review and two reviews of the 0/1 files (no stars)
    rows = [
        data.Row("meh", "neutral", "amazon_alexa.tsv", 3),
        data.Row("awful", "negative", "yelp_labelled.txt"),
        data.Row("great", "positive", "yelp_labelled.txt"),
    ]

    # When their targets for "stars > k" (k = 1..4) are built
    targets = ordinal_targets(rows)

    # Then 3 stars is > 1 and > 2 only; negative (1-2 stars) is not > 2, > 3 or > 4;
    # positive (4-5 stars) is > 1, > 2 and > 3; the rest is unknown
    assert targets[0].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert np.isnan(targets[1, 0])
    assert targets[1, 1:].tolist() == [0.0, 0.0, 0.0]
    assert targets[2, :3].tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(targets[2, 3])


def test_the_ordinal_head_collapses_to_three_probabilities_that_sum_to_one() -> None:
    # Given ordered cut-point logits (P(> 1) >= P(> 2) >= P(> 3) >= P(> 4))
    logits = np.array([[3.0, 1.0, -1.0, -3.0], [4.0, 3.5, 3.0, 0.0]])

    # When they are read as negative / neutral / positive
    probabilities = np.exp(ordinal_log_probabilities(logits))

    # Then each row is a distribution, neutral being P(> 2) - P(> 3)
    assert np.allclose(probabilities.sum(1), 1.0, atol=1e-6)
    sigmoid = 1 / (1 + np.exp(-logits[0]))
    assert np.isclose(probabilities[0, 1], sigmoid[1] - sigmoid[2])
    assert probabilities[1].argmax() == data.LABELS.index("positive")


def test_the_reader_keeps_the_stars_of_the_rated_files(tmp_path: Path) -> None:
    # Given a directory with one rated and one 0/1 row per file
    (tmp_path / "amazon_alexa.tsv").write_text(
        "rating\tdate\tvariation\tverified_reviews\tfeedback\n3\t1\tx\tIt is fine\t1\n"
    )
    (tmp_path / "amazon_cells_labelled.txt").write_text("Bad phone.\t0\n")
    (tmp_path / "yelp_labelled.txt").write_text("Great food.\t1\n")
    (tmp_path / "womens_clothing_ecommerce_reviews_first1000.csv").write_text(
        "Title,Review Text,Rating\nToo small,Runs small,2\n"
    )

    # When the rows are loaded
    rows = {row.source: row for row in data.load(tmp_path)}

    # Then the rated files keep their stars and the 0/1 files have none
    assert rows["amazon_alexa.tsv"].rating == 3
    assert rows["womens_clothing_ecommerce_reviews_first1000.csv"].rating == 2
    assert rows["yelp_labelled.txt"].rating is None
    assert rows["amazon_cells_labelled.txt"].label == "negative"
