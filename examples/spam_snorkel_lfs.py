"""Snorkel labeling functions for YouTube comment spam, in the style of Snorkel's spam tutorial.

This is a plain Snorkel module: it imports only snorkel and runs as is with Snorkel's
`PandasLFApplier`, or in a weasul spec through `labeling_functions/snorkel` (see
examples/spam-snorkel.yaml). Rows are the YouTube CSV rows (`x.CONTENT` is the comment).
"""

import re

from snorkel.labeling import LabelingFunction, labeling_function
from snorkel.preprocess import preprocessor

ABSTAIN = -1
HAM = 0
SPAM = 1
CLASS_NAMES = ["HAM", "SPAM"]


def keyword_lookup(x, keywords, label):
    if any(word in x.CONTENT.lower() for word in keywords):
        return label
    return ABSTAIN


def make_keyword_lf(keywords, label=SPAM):
    return LabelingFunction(
        name=f"keyword_{keywords[0]}",
        f=keyword_lookup,
        resources=dict(keywords=keywords, label=label),
    )


keyword_my = make_keyword_lf(keywords=["my"])
keyword_subscribe = make_keyword_lf(keywords=["subscribe"])
keyword_link = make_keyword_lf(keywords=["http"])
keyword_please = make_keyword_lf(keywords=["please", "plz"])
keyword_song = make_keyword_lf(keywords=["song"], label=HAM)


@labeling_function()
def regex_check_out(x):
    return SPAM if re.search(r"check.*out", x.CONTENT, flags=re.I) else ABSTAIN


@labeling_function()
def short_comment(x):
    """Ham comments are often short, such as 'cool video!'"""
    return HAM if len(x.CONTENT.split()) < 5 else ABSTAIN


@preprocessor(memoize=True)
def words_and_shouting(x):
    """Adds the lower-cased words and the share of upper-case letters of a comment."""
    letters = [c for c in x.CONTENT if c.isalpha()]
    x.words = x.CONTENT.lower().split()
    x.caps = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    return x


@labeling_function(pre=[words_and_shouting])
def shouting(x):
    return SPAM if x.caps > 0.6 and len(x.words) > 3 else ABSTAIN


@labeling_function(pre=[words_and_shouting], resources=dict(praise={"love", "best", "awesome", "amazing"}))
def praise_without_link(x, praise):
    return HAM if praise & set(x.words) and "http" not in x.CONTENT else ABSTAIN


@labeling_function()
def has_author_in_text(x):
    """Authors who write their own name in the comment promote themselves."""
    author = str(x.AUTHOR).lower()
    return SPAM if len(author) > 3 and author in x.CONTENT.lower() else ABSTAIN
