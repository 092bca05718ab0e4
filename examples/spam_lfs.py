"""Labeling functions for YouTube comment spam, written for the weasul demo.

Each function sees one comment row (`row.CONTENT`) and returns SPAM, HAM or ABSTAIN.
"""

import re

from weasul.lf import ABSTAIN, labeling_function

CLASS_NAMES = ["HAM", "SPAM"]
HAM, SPAM = 0, 1

_LINK = re.compile(r"https?://|www\.|\.com\b|\.ly\b", re.IGNORECASE)
_SELF_PROMO = re.compile(r"\b(my|our) (channel|video|music|page|song|cover|vids?)\b", re.IGNORECASE)
_CHECK_OUT = re.compile(r"\bcheck (it |this |me |my )?out\b|\bcheck my\b", re.IGNORECASE)
_MONEY = re.compile(r"\b(free|earn|money|cash|win|gift ?card|\$\d+|paypal)\b", re.IGNORECASE)
_SOCIAL = re.compile(r"\b(facebook|twitter|instagram|follow me|add me)\b", re.IGNORECASE)
_PRAISE = re.compile(r"\b(love|awesome|amazing|beautiful|great|best|nice|cool)\b.*\b(song|video|voice|music|this)\b", re.IGNORECASE)
_VIEWS = re.compile(r"\b(billion|million) views\b|\bviews\b.*\b(2014|2015|wow)\b", re.IGNORECASE)


def _text(row):
    return str(row.CONTENT)


@labeling_function()
def has_link(row):
    return SPAM if _LINK.search(_text(row)) else ABSTAIN


@labeling_function()
def subscribe(row):
    return SPAM if "subscrib" in _text(row).lower() else ABSTAIN


@labeling_function()
def check_out(row):
    return SPAM if _CHECK_OUT.search(_text(row)) else ABSTAIN


@labeling_function()
def self_promotion(row):
    return SPAM if _SELF_PROMO.search(_text(row)) else ABSTAIN


@labeling_function()
def money(row):
    return SPAM if _MONEY.search(_text(row)) else ABSTAIN


@labeling_function()
def social_media(row):
    return SPAM if _SOCIAL.search(_text(row)) else ABSTAIN


@labeling_function()
def please_beg(row):
    text = _text(row).lower()
    return SPAM if re.search(r"\b(please|plz|pls)\b", text) and len(text.split()) > 6 else ABSTAIN


@labeling_function()
def short_comment(row):
    return HAM if len(_text(row).split()) <= 5 and not _LINK.search(_text(row)) else ABSTAIN


@labeling_function()
def praise_song(row):
    text = _text(row)
    return HAM if _PRAISE.search(text) and not _LINK.search(text) else ABSTAIN


@labeling_function()
def talks_about_views(row):
    return HAM if _VIEWS.search(_text(row)) else ABSTAIN


@labeling_function()
def emoji_or_laugh(row):
    text = _text(row)
    return HAM if re.search(r"(\ufeff?[\u2764\u263a]|<3|\blo+l\b|\bha(ha)+\b|xd\b)", text, re.IGNORECASE) and len(text) < 80 else ABSTAIN
