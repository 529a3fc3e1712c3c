"""Counting (node/assembly/tally.py): turnout, quorum as a share or a number, and each majority rule for
motions and for elections of several seats."""

from __future__ import annotations

from typing import Any

from node.assembly import tally


def _count(choices: list[list[int]], *, options: int = 2, eligible: int = 10, kind: str = "motion",
           majority: str = "simple", seats: int = 1, percent: int = 0, number: int = 0) -> dict[str, Any]:
    return tally.count([f"o{i}" for i in range(options)], choices, eligible=eligible, kind=kind, majority=majority,
                       seats=seats, quorum_percent=percent, quorum_count=number)


def test_simple_majority_leaves_blank_ballots_out_and_a_tie_rejects() -> None:
    result = _count([[0]] * 3 + [[1]] * 2 + [[]] * 4)
    assert (result["counts"], result["blank"], result["ballots"], result["outcome"]) == ([3, 2], 4, 9, "adopted")
    assert result["turnout_percent"] == 90.0
    assert _count([[0]] * 2 + [[1]] * 2)["outcome"] == "rejected"
    assert _count([[0]] + [[1]] * 2)["outcome"] == "rejected"


def test_absolute_majority_counts_blank_ballots() -> None:
    assert _count([[0]] * 3 + [[1]] * 2 + [[]] * 2, majority="absolute")["outcome"] == "rejected"  # 3 of 7
    assert _count([[0]] * 4 + [[1]] * 2 + [[]] * 1, majority="absolute")["outcome"] == "adopted"  # 4 of 7


def test_two_thirds_of_the_votes_cast() -> None:
    assert _count([[0]] * 4 + [[1]] * 2 + [[]] * 3, majority="two-thirds")["outcome"] == "adopted"  # 4 of 6
    assert _count([[0]] * 5 + [[1]] * 3, majority="two-thirds")["outcome"] == "rejected"  # 5 of 8


def test_quorum_as_a_share_and_as_a_number() -> None:
    assert _count([[0]] * 5, eligible=10, percent=50)["quorum_met"] is True
    missed = _count([[0]] * 4, eligible=10, percent=50)
    assert (missed["quorum_met"], missed["outcome"], missed["winners"]) == (False, "no-quorum", [])
    assert _count([[0]] * 4, eligible=10, number=5)["outcome"] == "no-quorum"
    assert _count([[0]] * 5, eligible=10, number=5)["outcome"] == "adopted"


def test_elections_of_several_seats() -> None:
    ballots = [[0, 1], [0, 2], [0, 1], [3], [1, 2], []]
    result = _count(ballots, options=4, kind="choice", seats=2)
    assert (result["counts"], result["winners"], result["outcome"]) == ([3, 3, 2, 1], [0, 1], "decided")
    tied = _count([[0, 1], [0, 2]], options=3, kind="choice", seats=2)  # 1 and 2 tie for the second seat
    assert tied["winners"] == [0]
    absolute = _count(ballots, options=4, kind="choice", seats=2, majority="absolute")  # more than 3 of 6
    assert (absolute["winners"], absolute["outcome"]) == ([], "no-decision")
