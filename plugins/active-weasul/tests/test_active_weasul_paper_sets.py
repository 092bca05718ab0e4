"""The reproduction on the paper's real sets (spam, VRD); skipped without the shared data."""

import numpy as np
from weasul.testing import shared_data
from weasul_active_weasul.reproduce import run


def test_spam_end_model_rises_past_the_paper_figure_within_four_labels():
    """Paper Fig. 5: discriminative F1 0.69 -> 0.85 within 4 iterations; AL and Nashaat far behind."""
    shared_data("activeweasul", "spam")
    res = run("spam", seeds=1, budget=4)["approaches"]
    ours = np.asarray(res["Active WeaSuL"]["discriminative"])
    assert ours[0] < 0.8 and ours[2:].min() >= 0.85, ours
    assert np.asarray(res["Nashaat et al."]["discriminative"])[4] < 0.8
    assert np.asarray(res["Active learning by itself"]["discriminative"])[4] < 0.7


def test_vrd_seeds_reach_the_vote_ceiling_or_recover_by_eight_labels():
    """Six of ten query seeds reach the best rule on LF votes after 3 answers; the four whose first
    answer is class 0 from the coin-flip bucket stay low until the 8th (as four of the paper's runs)."""
    shared_data("activeweasul", "vrd")
    result = run("vrd", seeds=10, budget=8)
    curves = np.asarray(result["approaches"]["Active WeaSuL"]["per_seed_generative"])
    ceiling = result["vote_ceiling"]["train_majority"]
    at_ceiling = np.isclose(curves[:, 3], ceiling, atol=1e-3)
    assert at_ceiling.sum() == 6, curves[:, 3]
    assert (curves[~at_ceiling, 1:8] < 0.2).all() and (curves[:, 8] > 0.6).all(), curves
    disc = {name: rec["discriminative"][8] for name, rec in result["approaches"].items()}
    assert disc["Active WeaSuL"] > disc["Active learning by itself"] + 0.2
    assert disc["Active WeaSuL"] > disc["Nashaat et al."] + 0.2
