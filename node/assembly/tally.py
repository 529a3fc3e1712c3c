"""Counting a closed vote (pure functions): the votes per option, blank ballots, turnout, the quorum and
the outcome by the majority rule.

- turnout = ballots cast (by the members themselves or their proxy holders, blank ones included) /
  eligible voters of the snapshot;
- the quorum is met when turnout reaches its share and the ballots its number;
- `simple`: an option wins with more votes than any other (blank ballots left out; a tie decides nothing);
- `absolute`: an option wins with more than half of all ballots cast (blank ones included);
- `two-thirds`: an option wins with at least two thirds of the ballots that are not blank.
With K choices per ballot (elections), each ballot counts once per chosen option: `simple` elects the K
options with the most votes (a tie across the last seat elects none of the tied), `absolute` and
`two-thirds` elect every option over its threshold, at most K.

A motion is adopted when its first option (for) wins, rejected otherwise (unless the quorum failed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any


def quorum_met(ballots: int, eligible: int, percent: int, count: int) -> bool:
    return ballots * 100 >= percent * eligible and ballots >= count


def _threshold_met(votes: int, ballots: int, non_blank: int, majority: str) -> bool:
    if majority == "absolute":
        return ballots > 0 and Fraction(votes, ballots) > Fraction(1, 2)
    if majority == "two-thirds":
        return non_blank > 0 and Fraction(votes, non_blank) >= Fraction(2, 3)
    return False


def winners(counts: Sequence[int], ballots: int, blank: int, majority: str, seats: int) -> list[int]:
    """The indexes of the winning options (none: no decision)."""
    non_blank = ballots - blank
    if majority == "simple":
        ranked = sorted(range(len(counts)), key=lambda i: -counts[i])
        chosen = [i for i in ranked[:seats] if counts[i] > 0]
        if len(chosen) == seats and seats < len(ranked) and counts[ranked[seats]] == counts[chosen[-1]]:
            cut = counts[chosen[-1]]
            chosen = [i for i in chosen if counts[i] > cut]  # a tie across the last seat elects none of the tied
        return sorted(chosen)
    over = [i for i in range(len(counts)) if _threshold_met(counts[i], ballots, non_blank, majority)]
    return sorted(sorted(over, key=lambda i: -counts[i])[:seats])


def count(options: Sequence[str], choices: Iterable[Sequence[int]], *, eligible: int, kind: str, majority: str,
          seats: int, quorum_percent: int, quorum_count: int) -> dict[str, Any]:
    """The result stored on the vote and shown on its page."""
    counts = [0] * len(options)
    ballots = blank = 0
    for chosen in choices:
        ballots += 1
        if not chosen:
            blank += 1
        for index in chosen:
            if 0 <= index < len(counts):
                counts[index] += 1
    met = quorum_met(ballots, eligible, quorum_percent, quorum_count)
    won = winners(counts, ballots, blank, majority, seats) if met else []
    if not met:
        outcome = "no-quorum"
    elif kind == "motion":
        outcome = "adopted" if won == [0] else "rejected"
    else:
        outcome = "decided" if won else "no-decision"
    return {
        "counts": counts, "ballots": ballots, "blank": blank, "eligible": eligible,
        "turnout_percent": round(100 * ballots / eligible, 1) if eligible else 0.0,
        "quorum_met": met, "winners": won, "outcome": outcome,
    }
