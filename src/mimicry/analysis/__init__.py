"""H2, the facial analysis: how facial reactions to emotional faces relate to empathy (EQ).

Small composable functions over plain DataFrames, one module per idea:

- ``data``: the rows analysed (one per participant, or one per participant x stimulus as the study did)
  and per-participant measures taken from the long reaction table.
- ``correlation``: Pearson r of EQ with each reaction, Fisher-z intervals, Benjamini-Hochberg.
- ``ols``: EQ on the 27 reactions with statsmodels, cluster-robust by participant when rows repeat.
- ``regression``: the study's nine predictive models with out-of-sample R2 and permutation p-values.
- ``group_tests``: median-split Mann-Whitney U and the glasses t-test.
- ``mimicry_index``: a congruent-mimicry index per participant and its split-half reliability.

Reaction values are the AFFDEX-style 0-100 scores; EQ is 0-80; times are ms.
"""
