"""First-party plugins that ship with core: data loaders, TF-IDF, scikit-learn end models,
the gold oracle, the HTML reporter and Python-file labeling functions."""
