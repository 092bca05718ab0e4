"""Slice functions on TREC question text (WRENCH `trec`, lower-cased questions).

Tail slices of two kinds: a rare question type (abbreviations, ~1.3% of train) and patterns whose
type the wh-word does not give away. Each is a regular expression on `row.text`; use them with
`weasul_slicing.slice_matrix` or as `labeling_functions/slice-functions` with
`module: weasul_slicing.trec_slices`. They read the question text only, never a label. They were
picked where a backbone head on MiniLM features erred most on the *valid* split (the test split
was not looked at): accuracy there 0.67 (abbreviation), 0.71, 0.73, 0.63, 0.80 vs 0.83 overall.
"""

from __future__ import annotations

import re
from typing import Any

from weasul_slicing.sf import slicing_function

__all__ = ["SLICE_FUNCTIONS", "abbreviation", "how_do", "what_define", "what_noun_verb", "where_can"]

_ABBREVIATION = re.compile(
    r"\b(stand for|stands for|abbreviat\w*|acronym|full form|short for|full name of)\b"
)
_WHAT_DEFINE = re.compile(r"^what (is|are|was|were) (a |an |the )?[^ ]+( [^ ]+)? \?$")
_HOW_DO = re.compile(r"^how (do|can|does|would|should|could|did|to) ")
_WHERE_CAN = re.compile(r"^where (can|do|does|should|could) ")
_WHAT_NOUN_VERB = re.compile(r"^(what|which) [a-z'-]+ (did|does|do|was|is|were|has|have) ")


def _text(row: Any) -> str:
    return str(row.text).lower()


@slicing_function()
def abbreviation(row: Any) -> int:
    """Asks what an abbreviation stands for: the rare ABBR type (62 of 4965 train questions)."""
    return int(bool(_ABBREVIATION.search(_text(row))))


@slicing_function()
def what_define(row: Any) -> int:
    """'what is X ?' with a one- or two-word X: a definition (DESC) or an unexpanded acronym (ABBR)."""
    return int(bool(_WHAT_DEFINE.match(_text(row))))


@slicing_function()
def how_do(row: Any) -> int:
    """'how do/can/... ' questions: a manner (DESC), easily mistaken for 'how many/much' (NUM)."""
    return int(bool(_HOW_DO.match(_text(row))))


@slicing_function()
def where_can(row: Any) -> int:
    """'where can/do ...' questions: usually a place, sometimes a source (ENTY) or a manner."""
    return int(bool(_WHERE_CAN.match(_text(row))))


@slicing_function()
def what_noun_verb(row: Any) -> int:
    """'what/which <noun> did/was/...': the noun decides the type (entity, place, person, number)."""
    return int(bool(_WHAT_NOUN_VERB.match(_text(row))))


#: The slice functions in column order (S column j + 1 = SLICE_FUNCTIONS[j]).
SLICE_FUNCTIONS = (abbreviation, what_define, how_do, where_can, what_noun_verb)
