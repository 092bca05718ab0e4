"""Reproductions of the paper's experiments on the shared text-domains corpora.

- `python -m weasul_tadpole.experiments.figure4`: detector ranking (Table 1 style) and the
  Figure 4 filtering experiment.
- `python -m weasul_tadpole.experiments.pretraining`: weighted continued MLM pretraining of
  MiniLM at equal budget, TADPOLE vs the paper's baselines.
- `python -m weasul_tadpole.experiments.table3 [--quick]`: Table 3 end to end at CPU scale (a
  small BERT pre-trained from scratch, continued per arm, fine-tuned per task with 5 seeds) and
  the Fig. 2 proxy check.
"""
