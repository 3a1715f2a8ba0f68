import arviz as az
import matplotlib as mpl

from helpers import style


def test_setup_sets_interval_kind_and_probability():
    az.rcParams["stats.ci_prob"] = 0.89
    settings = style.setup()
    assert settings == {"ci_kind": "eti", "ci_prob": 0.95}
    assert az.rcParams["stats.ci_kind"] == style.CI_KIND == "eti"
    assert az.rcParams["stats.ci_prob"] == style.CI_PROB == 0.95
    assert mpl.rcParams["axes.spines.top"] is False
