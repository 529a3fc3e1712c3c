"""Polls (`Question`, FEP-9967) and votes on the wire: `model.py` (data, bounds, context), `build.py`,
`parse.py`."""

from federation.polls.build import question_fields, vote_activity, vote_note
from federation.polls.model import (
    CONTEXT, MAX_OPTION, MAX_OPTIONS, MIN_OPTIONS, Option, PollError, Question, Vote,
)
from federation.polls.parse import count_of, has_content, is_question, option_name, parse_question, vote_of

__all__ = [
    "CONTEXT", "MAX_OPTION", "MAX_OPTIONS", "MIN_OPTIONS", "Option", "PollError", "Question", "Vote",
    "count_of", "has_content", "is_question", "option_name", "parse_question", "question_fields", "vote_activity", "vote_note", "vote_of",
]
