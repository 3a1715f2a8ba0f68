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

``magnesium.csv``
    Source: the 16 randomised trials of intravenous magnesium in suspected
    acute myocardial infarction of Table 18.2 in Egger, M., Davey Smith, G.
    and Altman, D. G. (eds.) (2001), Systematic Reviews in Health Care:
    Meta-Analysis in Context, 2nd ed., BMJ Books,
    https://doi.org/10.1002/9780470693926, among them LIMIT-2 (Woods et al.
    1992) and ISIS-4 (ISIS-4 Collaborative Group 1995, Lancet 345, 669-685,
    https://doi.org/10.1016/S0140-6736(95)90865-X); discussed by Egger and
    Davey Smith (1995), https://doi.org/10.1136/bmj.310.6982.752; as tabulated
    in ``dat.egger2001`` of R's metadat package
    (https://github.com/wviechtb/metadat) (chapter 11). Terms: published trial
    counts (facts), shipped with attribution; metadat is licensed GPL (>= 2),
    and only the numbers are used.

``passive_smoking.csv``
    Source: the 37 studies of lung cancer in lifelong non-smoking women
    exposed to their spouse's smoking pooled by Hackshaw, A. K., Law, M. R. and
    Wald, N. J. (1997), "The accumulated evidence on lung cancer and
    environmental tobacco smoke", BMJ 315, 980-988,
    https://doi.org/10.1136/bmj.315.7114.980, and Hackshaw, A. K. (1998),
    "Lung cancer and passive smoking", Statistical Methods in Medical Research
    7, 119-136, https://doi.org/10.1177/096228029800700203: the published odds
    ratios and 95% intervals, as tabulated in ``dat.hackshaw1998`` of R's
    metadat package (https://github.com/wviechtb/metadat) (chapter 11).
    Terms: published study results (facts), shipped with attribution;
    metadat is licensed GPL (>= 2), and only the numbers are used.
"""
