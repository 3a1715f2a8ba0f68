"""CSV files shipped with the course (read by :mod:`helpers.data`).

Each data set, where it comes from, and the terms it is shipped under. The
numbers are facts reported by the works named here; the course credits them
wherever it uses them, and the CSV files are distributed with the course on the
same terms as its content (CC BY 4.0, ``LICENSE-content``) for the course's own
arrangement, without any claim on the facts themselves.

``two_schools.csv``
    Source: the ten-row example posted with the question "Joint Linear
    Hypothesis - Bayesian Version" on the PyMC Discourse forum,
    https://discourse.pymc.io/t/joint-linear-hypothesis-bayesian-version/13375
    (chapter 1). Terms: invented example numbers ("an oversimplified example
    dataset"), posted publicly for others to work on; reproduced with credit to
    the thread, whose text is subject to the forum's terms of service
    (https://discourse.pymc.io/tos).

``eight_schools.csv``
    Source: Rubin, D. B. (1981), "Estimation in Parallel Randomized
    Experiments", Journal of Educational Statistics 6(4), 377-401,
    https://doi.org/10.3102/10769986006004377, as tabulated in Gelman et al.
    (2013), Bayesian Data Analysis, 3rd ed., Table 5.2 (chapters 2-4). Terms:
    published summary statistics (eight estimates and standard errors), facts
    free to reuse with citation of Rubin (1981).

``bcg.csv``
    Source: the 13 trials of the BCG vaccine against tuberculosis collected by
    Colditz, G. A. et al. (1994), "Efficacy of BCG Vaccine in the Prevention of
    Tuberculosis: Meta-analysis of the Published Literature", JAMA 271(9),
    698-702, https://doi.org/10.1001/jama.1994.03510330076038, as tabulated in
    ``dat.bcg`` of R's metafor package (Viechtbauer 2010,
    https://doi.org/10.18637/jss.v036.i03) (chapter 10). Terms: published
    trial counts (facts), shipped with attribution to both; metafor itself is
    licensed GPL (>= 2), and no code of it is used.
"""
