"""voc.drivers: formula models, tidy output, relative importance; each number against an oracle."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.miscmodels.ordinal_model import OrderedModel

import voc
from voc.drivers import fit_model, model_fit, relative_importance, tidy_model

from .conftest import EXAMPLE

# R's built-in `mtcars` (Henderson & Velleman 1981), the columns used here, in R's row order.
# Typed in from `datasets::mtcars`; the published R outputs below reproduce from it exactly.
_MTCARS = """
21.0 6 160.0 110 2.620 1|21.0 6 160.0 110 2.875 1|22.8 4 108.0 93 2.320 1|21.4 6 258.0 110 3.215 0
18.7 8 360.0 175 3.440 0|18.1 6 225.0 105 3.460 0|14.3 8 360.0 245 3.570 0|24.4 4 146.7 62 3.190 0
22.8 4 140.8 95 3.150 0|19.2 6 167.6 123 3.440 0|17.8 6 167.6 123 3.440 0|16.4 8 275.8 180 4.070 0
17.3 8 275.8 180 3.730 0|15.2 8 275.8 180 3.780 0|10.4 8 472.0 205 5.250 0|10.4 8 460.0 215 5.424 0
14.7 8 440.0 230 5.345 0|32.4 4 78.7 66 2.200 1|30.4 4 75.7 52 1.615 1|33.9 4 71.1 65 1.835 1
21.5 4 120.1 97 2.465 0|15.5 8 318.0 150 3.520 0|15.2 8 304.0 150 3.435 0|13.3 8 350.0 245 3.840 0
19.2 8 400.0 175 3.845 0|27.3 4 79.0 66 1.935 1|26.0 4 120.3 91 2.140 1|30.4 4 95.1 113 1.513 1
15.8 8 351.0 264 3.170 1|19.7 6 145.0 175 2.770 1|15.0 8 301.0 335 3.570 1|21.4 4 121.0 109 2.780 1
"""
ITEMS = [
    "search_ease",
    "candidate_quality",
    "integration",
    "support",
    "pricing_clarity",
    "compliance_help",
]


@pytest.fixture
def mtcars() -> pd.DataFrame:
    cells = " ".join(_MTCARS.split("|")).split()
    values = np.array(cells, dtype=float).reshape(32, 6)
    frame = pd.DataFrame(values, columns=["mpg", "cyl", "disp", "hp", "wt", "am"])
    return frame.astype({"cyl": "int64", "hp": "int64", "am": "int64"})


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    """The example study's survey (read-only; the study folder is not written to)."""
    return voc.io.read_responses(voc.load_study(EXAMPLE))


@pytest.fixture
def likert() -> pd.DataFrame:
    """A seeded 1-5 outcome from a proportional-odds model with slope 1.2 on x."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=300)
    latent = 1.2 * x + rng.logistic(size=300)
    y = np.digitize(latent, [-2.0, -0.5, 0.5, 2.0]) + 1
    return pd.DataFrame({"y": y, "x": x, "z": rng.normal(size=300)})


# --------------------------------------------------------------------------------------------
# fit_model + tidy_model + model_fit: numbers
# --------------------------------------------------------------------------------------------


def test_mtcars_fixture_matches_r_column_sums(mtcars: pd.DataFrame) -> None:
    """Oracle: colSums(mtcars) in R: mpg 642.9, cyl 198, disp 7383.1, hp 4694, wt 102.952, am 13."""
    sums = mtcars.sum()
    assert sums.to_dict() == pytest.approx(
        {"mpg": 642.9, "cyl": 198, "disp": 7383.1, "hp": 4694, "wt": 102.952, "am": 13}
    )


def test_ols_matches_r_lm_on_mtcars(mtcars: pd.DataFrame) -> None:
    """Oracle: R ``summary(lm(mpg ~ wt + hp, data = mtcars))``.

    Estimates 37.22727, -3.87783, -0.03177; std. errors 1.59879, 0.63273, 0.00903;
    t 23.285, -6.129, -3.519; Pr(>|t|) 2.57e-20, 1.12e-06, 0.00145; Multiple R-squared
    0.8268, Adjusted 0.8148; ``logLik`` -74.32617.
    """
    result = fit_model("mpg ~ wt + hp", mtcars)
    table = tidy_model(result).set_index("term")
    assert list(table.columns) == ["coef", "se", "stat", "p_val", "ci_low", "ci_high"]
    assert table["coef"].tolist() == pytest.approx([37.22727, -3.87783, -0.03177], abs=5e-6)
    assert table["se"].tolist() == pytest.approx([1.59879, 0.63273, 0.00903], abs=5e-6)
    assert table["stat"].tolist() == pytest.approx([23.285, -6.129, -3.519], abs=5e-4)
    assert table["p_val"].tolist() == pytest.approx([2.57e-20, 1.12e-06, 0.00145], rel=5e-3)
    # confint(): estimate -/+ qt(0.975, 29) * se
    assert table.loc["wt", "ci_low"] == pytest.approx(-3.87783 - 2.04523 * 0.63273, abs=1e-4)
    fit = model_fit(result).iloc[0]
    assert fit["kind"] == "ols"
    assert (fit["n"], fit["n_dropped"], fit["df_model"]) == (32, 0, 2)
    assert fit["r2"] == pytest.approx(0.8268, abs=5e-5)
    assert fit["adj_r2"] == pytest.approx(0.8148, abs=5e-5)
    assert fit["llf"] == pytest.approx(-74.32617, abs=5e-6)
    assert np.isnan(fit["pseudo_r2"])
    assert fit["cov_type"] == "nonrobust"


def test_logit_matches_r_glm_on_mtcars(mtcars: pd.DataFrame) -> None:
    """Oracle: R ``summary(glm(am ~ hp + wt, family = binomial, data = mtcars))``.

    Estimates 18.86630, 0.03626, -8.08348; std. errors 7.44356, 0.01773, 3.06868;
    z 2.535, 2.044, -2.634; Pr(>|z|) 0.01126, 0.04091, 0.00843; residual deviance 10.059
    on 29 df, null deviance 43.230 on 31 df, AIC 16.059.
    """
    result = fit_model("am ~ hp + wt", mtcars, kind="logit")
    table = tidy_model(result).set_index("term")
    assert table["coef"].tolist() == pytest.approx([18.86630, 0.03626, -8.08348], abs=5e-5)
    assert table["se"].tolist() == pytest.approx([7.44356, 0.01773, 3.06868], abs=5e-5)
    assert table["stat"].tolist() == pytest.approx([2.535, 2.044, -2.634], abs=5e-4)
    assert table["p_val"].tolist() == pytest.approx([0.01126, 0.04091, 0.00843], abs=5e-6)
    assert table.loc["wt", "odds_ratio"] == pytest.approx(np.exp(-8.08348), rel=1e-4)
    assert table.loc["wt", "or_ci_high"] == pytest.approx(np.exp(table.loc["wt", "ci_high"]))
    fit = model_fit(result).iloc[0]
    assert fit["aic"] == pytest.approx(16.059, abs=5e-4)
    assert -2 * fit["llf"] == pytest.approx(10.059, abs=5e-4)
    assert fit["pseudo_r2"] == pytest.approx(1 - 10.059 / 43.230, abs=1e-4)  # McFadden
    assert np.isnan(fit["r2"])


def test_ordinal_with_two_categories_equals_r_binary_glm(mtcars: pd.DataFrame) -> None:
    """Oracle: with two categories the cumulative logit model is the binary logit (McCullagh
    1980), P(am = 0) = F(theta - b wt), so theta = -intercept. R
    ``glm(am ~ wt, family = binomial, data = mtcars)``: (Intercept) 12.040 (se 4.510),
    wt -4.024 (se 1.436), Pr(>|z|) 0.00509; AIC 23.176.
    """
    result = fit_model("am ~ wt", mtcars, kind="ordinal")
    table = tidy_model(result).set_index("term")
    assert table["term_type"].tolist() == ["coefficient", "threshold"]
    assert table.loc["wt", "coef"] == pytest.approx(-4.024, abs=5e-4)
    assert table.loc["wt", "se"] == pytest.approx(1.436, abs=1e-3)
    assert table.loc["wt", "p_val"] == pytest.approx(0.00509, abs=5e-5)
    assert table.loc["0/1", "coef"] == pytest.approx(-12.040, abs=1e-3)
    assert table.loc["0/1", "se"] == pytest.approx(4.510, abs=1e-3)
    assert np.isnan(table.loc["0/1", "odds_ratio"])
    fit = model_fit(result).iloc[0]
    assert (fit["kind"], fit["n"], fit["df_model"]) == ("ordinal", 32, 1)
    assert fit["aic"] == pytest.approx(23.176, abs=1e-3)


def test_ordinal_higher_predictor_gives_higher_categories(likert: pd.DataFrame) -> None:
    """Oracle: statsmodels ``OrderedModel(distr="logit")`` fitted directly, and the planted slope
    1.2 of the seeded data; thresholds must increase and a higher x must shift the predicted
    distribution to higher categories (positive coefficient = higher answers, as MASS::polr).
    """
    result = fit_model("y ~ x + z", likert, kind="ordinal")
    direct = OrderedModel.from_formula(
        "y ~ x + z", likert.assign(y=pd.Categorical(likert["y"], ordered=True)), distr="logit"
    ).fit(method="bfgs", disp=False, maxiter=2000)
    table = tidy_model(result)
    coefs = table[table["term_type"] == "coefficient"].set_index("term")
    assert coefs["coef"].tolist() == pytest.approx(direct.params[:2].tolist(), rel=1e-4)
    assert coefs.loc["x", "coef"] == pytest.approx(1.2, abs=3 * coefs.loc["x", "se"])
    cuts = table[table["term_type"] == "threshold"]
    assert cuts["term"].tolist() == ["1/2", "2/3", "3/4", "4/5"]
    assert np.all(np.diff(cuts["coef"]) > 0)
    expected = direct.model.transform_threshold_params(direct.params)[1:-1]
    assert cuts["coef"].tolist() == pytest.approx(expected.tolist(), rel=1e-4)
    probs = result.predict(pd.DataFrame({"x": [-1.0, 1.0], "z": [0.0, 0.0]}))
    mean_category = np.asarray(probs) @ np.arange(1, 6)
    assert mean_category[1] > mean_category[0] + 1


def test_ordinal_threshold_se_is_the_delta_method(likert: pd.DataFrame) -> None:
    """Oracle: delta method with a numerical Jacobian of statsmodels'
    ``transform_threshold_params`` (central differences), J V J'."""
    result = fit_model("y ~ x", likert, kind="ordinal")
    params = np.asarray(result.params)
    cov = np.asarray(result.cov_params())
    k, m = 1, len(params) - 1

    def cuts(p: np.ndarray) -> np.ndarray:
        return result.model.transform_threshold_params(p)[1:-1]

    jac = np.zeros((m, len(params)))
    for i in range(len(params)):
        step = np.zeros(len(params))
        step[i] = 1e-6
        jac[:, i] = (cuts(params + step) - cuts(params - step)) / 2e-6
    expected = np.sqrt(np.diag(jac @ cov @ jac.T))
    table = tidy_model(result)
    assert table["se"].iloc[k:].tolist() == pytest.approx(expected.tolist(), rel=1e-5)


def test_listwise_deletion_is_counted(mtcars: pd.DataFrame) -> None:
    """Oracle: statsmodels OLS on the rows left after ``dropna()``; 3 rows with a missing value
    in a formula column are dropped, a missing value in an unused column drops nothing."""
    holes = mtcars.astype({"hp": "float64", "disp": "float64"})
    holes.loc[[0, 5], "hp"] = np.nan
    holes.loc[9, "mpg"] = np.nan
    holes.loc[12, "disp"] = np.nan  # not in the formula
    result = fit_model("mpg ~ wt + hp", holes)
    expected = smf.ols("mpg ~ wt + hp", holes.drop(columns="disp").dropna()).fit()
    assert tidy_model(result)["coef"].tolist() == pytest.approx(expected.params.tolist())
    fit = model_fit(result).iloc[0]
    assert (fit["n"], fit["n_dropped"]) == (29, 3)


def test_formula_functions_and_quoted_names_work(mtcars: pd.DataFrame) -> None:
    """Oracle: the same formula fitted by statsmodels ``smf.ols`` directly."""
    data = mtcars.rename(columns={"wt": "weight (1000 lbs)"})
    formula = "mpg ~ Q('weight (1000 lbs)') + np.log(hp) + I(disp / 100) + C(cyl, Sum)"
    table = tidy_model(fit_model(formula, data))
    expected = smf.ols(formula, data).fit()
    assert table["term"].tolist() == list(expected.params.index)
    assert table["coef"].tolist() == pytest.approx(expected.params.tolist())


def test_weighted_ols_uses_hc1_sandwich(mtcars: pd.DataFrame) -> None:
    """Oracle: hand-computed WLS and its HC1 sandwich (White 1980; n/(n-k) factor):
    b = (X'WX)^-1 X'Wy, V = n/(n-k) B^-1 [X' diag(w^2 e^2) X] B^-1; invariant to the scale of
    the weights. Also the weighted R² (1 - sum w e^2 / sum w (y - ybar_w)^2)."""
    w = np.linspace(0.5, 2.0, 32)
    data = mtcars.assign(w=w)
    X = np.column_stack([np.ones(32), data["wt"], data["hp"]])
    y = data["mpg"].to_numpy()
    bread = np.linalg.inv(X.T @ (w[:, None] * X))
    b = bread @ X.T @ (w * y)
    e = y - X @ b
    meat = X.T @ ((w**2 * e**2)[:, None] * X)
    se = np.sqrt(np.diag(32 / 29 * bread @ meat @ bread))
    table = tidy_model(fit_model("mpg ~ wt + hp", data, weight="w"))
    assert table["coef"].tolist() == pytest.approx(b.tolist())
    assert table["se"].tolist() == pytest.approx(se.tolist())
    scaled = tidy_model(fit_model("mpg ~ wt + hp", data.assign(w=1000 * w), weight="w"))
    assert scaled["se"].tolist() == pytest.approx(se.tolist())
    fit = model_fit(fit_model("mpg ~ wt + hp", data, weight="w")).iloc[0]
    ybar = np.average(y, weights=w)
    assert fit["r2"] == pytest.approx(1 - (w * e**2).sum() / (w * (y - ybar) ** 2).sum())
    assert fit["cov_type"] == "HC1"
    assert np.isnan(fit["aic"]) and np.isnan(fit["bic"]) and np.isnan(fit["llf"])


def test_weighted_logit_is_pseudo_ml_with_hc0_sandwich(mtcars: pd.DataFrame) -> None:
    """Oracle: with integer weights the pseudo-ML estimates equal statsmodels ``smf.logit`` on the
    data with each row repeated w times; standard errors are the hand-computed HC0 sandwich
    H^-1 [X' diag(w^2 (y-p)^2) X] H^-1 with H = X' diag(w p (1-p)) X (Binder 1983)."""
    w = np.tile([1, 2, 3, 1], 8)
    data = mtcars.assign(w=w)
    result = fit_model("am ~ wt", data, kind="logit", weight="w")
    expanded = data.loc[data.index.repeat(w)]
    expected = smf.logit("am ~ wt", expanded).fit(disp=False)
    table = tidy_model(result)
    assert table["coef"].tolist() == pytest.approx(expected.params.tolist(), rel=1e-6)
    X = np.column_stack([np.ones(32), data["wt"]])
    y = data["am"].to_numpy()
    p = 1 / (1 + np.exp(-X @ expected.params.to_numpy()))
    inv_h = np.linalg.inv(X.T @ ((w * p * (1 - p))[:, None] * X))
    meat = X.T @ ((w**2 * (y - p) ** 2)[:, None] * X)
    assert table["se"].tolist() == pytest.approx(np.sqrt(np.diag(inv_h @ meat @ inv_h)), rel=1e-5)
    assert model_fit(result).iloc[0]["cov_type"] == "HC0"


def test_rows_with_weight_0_are_dropped(mtcars: pd.DataFrame) -> None:
    """Oracle: the unweighted fits (statsmodels, and relative weights) without those rows, since
    all other weights are 1; the dropped rows are counted in ``n_dropped``."""
    data = mtcars.assign(w=np.r_[np.zeros(4), np.ones(28)])
    rest = mtcars.iloc[4:]
    for kind, formula in (("ols", "mpg ~ wt + hp"), ("logit", "am ~ wt")):
        result = fit_model(formula, data, kind=kind, weight="w")
        expected = fit_model(formula, rest, kind=kind)
        assert result.params.tolist() == pytest.approx(expected.params.tolist(), rel=1e-6)
        assert model_fit(result)[["n", "n_dropped"]].iloc[0].tolist() == [28, 4]
    weighted = relative_importance(data, "mpg", ["wt", "hp"], weight="w", n_boot=0)
    plain = relative_importance(rest, "mpg", ["wt", "hp"], n_boot=0)
    pd.testing.assert_frame_equal(weighted, plain)


def test_boolean_logit_outcome_is_read_as_0_1(mtcars: pd.DataFrame) -> None:
    """Oracle: the same model with the 0/1 column (R glm(am ~ wt): wt -4.024)."""
    flags = mtcars.assign(am=mtcars["am"].astype(bool))
    table = tidy_model(fit_model("am ~ wt", flags, kind="logit")).set_index("term")
    assert table.loc["wt", "coef"] == pytest.approx(-4.024, abs=5e-4)


def test_tidy_model_level_and_unsupported_results(mtcars: pd.DataFrame) -> None:
    """Oracle: statsmodels ``conf_int(alpha=0.1)``; a Poisson GLM is refused by type."""
    result = fit_model("mpg ~ wt", mtcars)
    table = tidy_model(result, level=0.9)
    assert table["ci_low"].tolist() == pytest.approx(result.conf_int(alpha=0.1)[0].tolist())
    with pytest.raises(ValueError, match="level"):
        tidy_model(result, level=95)
    poisson = smf.glm("hp ~ wt", mtcars, family=sm.families.Poisson()).fit()
    with pytest.raises(TypeError, match="fit_model"):
        tidy_model(poisson)


# --------------------------------------------------------------------------------------------
# fit_model: errors
# --------------------------------------------------------------------------------------------


def test_misspelled_column_is_named_with_a_suggestion(mtcars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"'wgt' is not in data\. Did you mean 'wt'\?"):
        fit_model("mpg ~ wgt + hp", mtcars)
    with pytest.raises(ValueError, match="outcome column 'mgp'"):
        fit_model("mgp ~ wt", mtcars)


def test_all_missing_column_and_no_complete_rows(mtcars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="column 'empty' has no values"):
        fit_model("mpg ~ wt + empty", mtcars.assign(empty=np.nan))
    half = mtcars.assign(
        mpg=mtcars["mpg"].where(mtcars.index < 16), wt=mtcars["wt"].where(mtcars.index >= 16)
    )
    with pytest.raises(ValueError, match=r"listwise deletion leaves no data.*'mpg': 16"):
        fit_model("mpg ~ wt", half)


def test_too_few_complete_rows(mtcars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="too few complete rows: 5 rows for 5 parameters"):
        fit_model("mpg ~ wt + hp + cyl + disp", mtcars.head(5))


def test_constant_predictor_and_outcome_are_named(mtcars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="predictor 'k' is constant in the 32 complete rows"):
        fit_model("mpg ~ wt + k", mtcars.assign(k=3.0))
    one_region = mtcars.assign(region="EMEA")
    with pytest.raises(ValueError, match="predictor 'region' is constant"):
        fit_model("mpg ~ wt + C(region)", one_region)
    with pytest.raises(ValueError, match="outcome 'am' is constant"):
        fit_model("am ~ wt", mtcars.head(3), kind="logit")


def test_collinear_predictors_are_named(mtcars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"\['wt', 'wt_kg'\] are perfectly collinear"):
        fit_model("mpg ~ wt + wt_kg + hp", mtcars.assign(wt_kg=453.6 * mtcars["wt"]))
    mix = mtcars.assign(score=3 * mtcars["wt"] - mtcars["hp"] / 2 + 1)
    with pytest.raises(ValueError, match=r"\['Intercept', 'wt', 'hp', 'score'\]"):
        fit_model("mpg ~ wt + hp + score + disp", mix)


def test_perfect_separation_is_named(mtcars: pd.DataFrame) -> None:
    """A predictor that splits the 0s from the 1s (Albert & Anderson 1984): no MLE."""
    heavy = mtcars.assign(heavy=(mtcars["wt"] > 3.2).astype(int))
    with pytest.raises(ValueError, match=r"perfect separation.*\['heavy'\]"):
        fit_model("am ~ hp + heavy", heavy.assign(am=1 - heavy["heavy"]), kind="logit")
    combined = mtcars.assign(am=(10 * mtcars["wt"] + mtcars["hp"] / 10 < 50).astype(int))
    with pytest.raises(ValueError, match=r"perfect separation.*\['hp', 'wt'\]"):
        fit_model("am ~ hp + wt", combined, kind="logit")
    ordered = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1, 2, 2, 2, 2], "x": range(10)})
    with pytest.raises(ValueError, match=r"perfect separation.*\['x'\]"):
        fit_model("y ~ x", ordered, kind="ordinal")


def test_logit_outcome_must_be_0_1(mtcars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"logit outcome 'cyl' must hold 0/1.*\[4, 6, 8\]"):
        fit_model("cyl ~ wt", mtcars, kind="logit")
    with pytest.raises(ValueError, match="single 0/1 column"):
        fit_model("I(mpg > 20) ~ wt", mtcars, kind="logit")


def test_bad_options_are_refused(mtcars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"kind must be one of \['ols', 'logit', 'ordinal'\]"):
        fit_model("mpg ~ wt", mtcars, kind="probit")
    with pytest.raises(ValueError, match="not available for kind='ordinal'"):
        fit_model("cyl ~ wt", mtcars.assign(w=1.0), kind="ordinal", weight="w")
    with pytest.raises(ValueError, match="exactly one '~'"):
        fit_model("mpg wt", mtcars)
    with pytest.raises(ValueError, match="cannot build the model 'mpg ~ wt \\+'"):
        fit_model("mpg ~ wt +", mtcars)
    with pytest.raises(ValueError, match="ordinal outcome 'cyl' must be numeric"):
        fit_model("cyl ~ wt", mtcars.assign(cyl=mtcars["cyl"].astype(str)), kind="ordinal")
    with pytest.raises(ValueError, match="outcome 'mpg' must be numeric for kind='ols'"):
        fit_model("mpg ~ wt", mtcars.assign(mpg=mtcars["mpg"].astype(str)))
    with pytest.raises(ValueError, match="weight column 'w'"):
        fit_model("mpg ~ wt", mtcars.assign(w=-1.0), weight="w")
    with pytest.raises(TypeError, match="DataFrame"):
        fit_model("mpg ~ wt", mtcars.to_dict())


def test_fit_model_does_not_modify_data(mtcars: pd.DataFrame) -> None:
    data = mtcars.assign(flag=mtcars["am"].astype(bool), w=np.linspace(1, 2, 32))
    data.loc[3, "hp"] = -1  # keep a value to notice changes
    before = data.copy(deep=True)
    fit_model("flag ~ wt", data, kind="logit", weight="w")
    fit_model("cyl ~ wt", data, kind="ordinal")
    fit_model("mpg ~ wt + C(cyl)", data, weight="w")
    pd.testing.assert_frame_equal(data, before)


# --------------------------------------------------------------------------------------------
# relative_importance
# --------------------------------------------------------------------------------------------


def test_relative_weights_match_published_rwa_output(mtcars: pd.DataFrame) -> None:
    """Oracle: R package ``rwa`` (Chan), vignette "Regression Methods",
    ``rwa_multiregress(mtcars, "mpg", c("cyl", "disp", "hp", "wt"))``: Raw.RelWeight
    cyl 0.2096904, disp 0.1883043, hp 0.1799590, wt 0.2706812; Rescaled.RelWeight 24.70914,
    22.18908, 21.20570, 31.89607; R-squared 0.8486, n 32."""
    table = relative_importance(mtcars, "mpg", ["cyl", "disp", "hp", "wt"], n_boot=0)
    table = table.set_index("driver")
    expected = {"cyl": 0.2096904, "disp": 0.1883043, "hp": 0.1799590, "wt": 0.2706812}
    assert table["raw_weight"].to_dict() == pytest.approx(expected, abs=5e-8)
    rescaled = {"cyl": 24.70914, "disp": 22.18908, "hp": 21.20570, "wt": 31.89607}
    assert table["rescaled"].to_dict() == pytest.approx(rescaled, abs=5e-6)
    assert table["rank"].to_dict() == {"wt": 1, "cyl": 2, "disp": 3, "hp": 4}
    assert table["r2"].iloc[0] == pytest.approx(0.8486, abs=5e-5)
    assert (table["n"] == 32).all()
    assert table[["ci_low", "ci_high"]].isna().all().all()


def test_dominance_matches_all_subsets_regressions(mtcars: pd.DataFrame) -> None:
    """Oracle: general dominance by definition (Azen & Budescu 2003), from the R² of all 16
    statsmodels OLS fits of mpg on subsets of cyl, disp, hp, wt (relaimpo's ``lmg``)."""
    drivers = ["cyl", "disp", "hp", "wt"]
    fits = {
        frozenset(s): smf.ols("mpg ~ " + " + ".join(s), mtcars).fit().rsquared
        for k in range(1, 5)
        for s in itertools.combinations(drivers, k)
    }

    def r2(subset: tuple[str, ...]) -> float:
        return fits[frozenset(subset)] if subset else 0.0

    expected = {}
    for j in drivers:
        others = [d for d in drivers if d != j]
        expected[j] = sum(
            np.mean([r2((*s, j)) - r2(s) for s in itertools.combinations(others, k)])
            for k in range(len(drivers))
        ) / len(drivers)
    table = relative_importance(mtcars, "mpg", drivers, method="dominance", n_boot=0)
    assert table.set_index("driver")["raw_weight"].to_dict() == pytest.approx(expected, abs=1e-12)
    assert table["driver"].tolist() == ["wt", "cyl", "disp", "hp"]


def test_weights_sum_to_the_model_r2(responses: pd.DataFrame) -> None:
    """Oracle: R² of the statsmodels OLS/WLS fit of the same model on the complete rows; both
    methods' raw weights sum to it, and the rescaled weights sum to 100."""
    formula = "nps ~ " + " + ".join(ITEMS)
    weighted = responses.assign(w=np.random.default_rng(3).uniform(0.5, 2, len(responses)))
    r2 = fit_model(formula, responses).rsquared
    r2_w = fit_model(formula, weighted, weight="w").rsquared
    for method in ("relative_weights", "dominance"):
        table = relative_importance(responses, "nps", ITEMS, method=method, n_boot=0)
        assert table["raw_weight"].sum() == pytest.approx(r2, rel=1e-10)
        assert table["r2"].iloc[0] == pytest.approx(r2, rel=1e-10)
        assert table["rescaled"].sum() == pytest.approx(100)
        assert table["n"].iloc[0] == 1364  # complete cases, README planted truth 4
        table_w = relative_importance(weighted, "nps", ITEMS, method=method, weight="w", n_boot=0)
        assert table_w["raw_weight"].sum() == pytest.approx(r2_w, rel=1e-10)


def test_orthogonal_drivers_get_their_squared_correlations() -> None:
    """Oracle: with uncorrelated drivers, relative weights = squared standardised betas =
    general dominance = squared zero-order correlations (Johnson 2000, p. 8; Budescu 1993).
    Drivers: a replicated 2^3 factorial (+-1 coding), exactly orthogonal."""
    design = np.array(list(itertools.product([-1.0, 1.0], repeat=3)) * 3)
    rng = np.random.default_rng(11)
    y = design @ [3.0, 2.0, 1.0] + rng.normal(scale=2, size=len(design))
    data = pd.DataFrame(design, columns=["a", "b", "c"]).assign(y=y)
    r_squared = {c: np.corrcoef(data[c], y)[0, 1] ** 2 for c in "abc"}
    betas = fit_model("y ~ a + b + c", data).params[["a", "b", "c"]] * data[["a", "b", "c"]].std()
    std_betas = (betas / y.std(ddof=1)) ** 2
    for method in ("relative_weights", "dominance"):
        table = relative_importance(data, "y", ["a", "b", "c"], method=method, n_boot=0)
        weights = table.set_index("driver")["raw_weight"].to_dict()
        assert weights == pytest.approx(r_squared, abs=1e-12)
        assert weights == pytest.approx(std_betas.to_dict(), abs=1e-12)


def test_example_study_integration_and_support_are_the_top_drivers(
    responses: pd.DataFrame,
) -> None:
    """Oracle: the planted truth of the synthetic example study (studies/example/README.md,
    fact 4): integration and support are the two strongest drivers of NPS."""
    for method in ("relative_weights", "dominance"):
        table = relative_importance(responses, "nps", ITEMS, method=method, n_boot=50)
        assert set(table["driver"][:2]) == {"integration", "support"}
        assert table["rank"].tolist() == [1, 2, 3, 4, 5, 6]
        assert (table["ci_low"] <= table["rescaled"]).all()
        assert (table["rescaled"] <= table["ci_high"]).all()
        # the intervals separate the top two from the rest
        assert table["ci_low"].iloc[1] > table["ci_high"].iloc[2]


def test_bootstrap_is_seeded_and_inputs_are_not_modified(mtcars: pd.DataFrame) -> None:
    data = mtcars.assign(w=np.linspace(0.5, 1.5, 32))
    data.loc[4, "hp"] = np.nan
    before = data.copy(deep=True)
    kwargs = {"weight": "w", "n_boot": 200, "random_state": 42}
    first = relative_importance(data, "mpg", ["cyl", "hp", "wt"], **kwargs)
    again = relative_importance(data, "mpg", ["cyl", "hp", "wt"], **kwargs)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(data, before)
    other = relative_importance(data, "mpg", ["cyl", "hp", "wt"], **{**kwargs, "random_state": 1})
    assert not np.allclose(first["ci_low"], other["ci_low"])
    assert first["n"].iloc[0] == 31
    dominance = relative_importance(data, "mpg", ["cyl", "hp", "wt"], method="dominance", **kwargs)
    pd.testing.assert_frame_equal(
        dominance,
        relative_importance(data, "mpg", ["cyl", "hp", "wt"], method="dominance", **kwargs),
    )


def test_relative_importance_errors(mtcars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"driver column 'dsp' is not in data\. Did you mean"):
        relative_importance(mtcars, "mpg", ["cyl", "dsp"])
    with pytest.raises(ValueError, match=r"\['wt', 'wt_kg'\] are perfectly collinear"):
        relative_importance(mtcars.assign(wt_kg=453.6 * mtcars["wt"]), "mpg", ["wt", "wt_kg"])
    with pytest.raises(ValueError, match="driver 'k' is constant"):
        relative_importance(mtcars.assign(k=1), "mpg", ["wt", "k"])
    with pytest.raises(ValueError, match="column 'region' must hold numbers"):
        relative_importance(mtcars.assign(region="EMEA"), "mpg", ["wt", "region"])
    with pytest.raises(ValueError, match="column 'gone' has no values"):
        relative_importance(mtcars.assign(gone=np.nan), "mpg", ["wt", "gone"])
    with pytest.raises(ValueError, match="too few complete rows: 3 rows"):
        relative_importance(mtcars.head(3), "mpg", ["wt", "hp"])
    thirteen = mtcars.assign(**{f"x{i}": np.arange(32.0) ** (1 + i / 10) for i in range(13)})
    with pytest.raises(ValueError, match="limited to p <= 12; got p = 13"):
        relative_importance(thirteen, "mpg", [f"x{i}" for i in range(13)], method="dominance")
    with pytest.raises(ValueError, match="method must be one of"):
        relative_importance(mtcars, "mpg", ["wt"], method="shapley")
    with pytest.raises(ValueError, match="repeated"):
        relative_importance(mtcars, "mpg", ["wt", "wt"])
    with pytest.raises(ValueError, match="must not also be one of the drivers"):
        relative_importance(mtcars, "mpg", ["wt", "mpg"])
    with pytest.raises(ValueError, match="n_boot"):
        relative_importance(mtcars, "mpg", ["wt"], n_boot=-1)


def _population_sample(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(size=(n, 3)) @ np.array([[1.0, 0.5, 0.3], [0.0, 1.0, 0.4], [0.0, 0.0, 1.0]])
    y = x @ np.array([0.5, 0.3, 0.15]) + rng.normal(size=n)
    return pd.DataFrame({"y": y, "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]})


def test_large_samples_bootstrap_fewer_rows_and_keep_the_width_of_the_sampling_spread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Oracle: the spread of the shares over 150 independent samples of the same population.

    Above BOOT_MAX_ROWS complete rows (20,000; 2,000 here to keep the test fast) a replicate
    draws that many rows (m-out-of-n) and the deviations are scaled by sqrt(m / n); the 95%
    interval must still be about as wide as +-1.96 standard deviations of the estimate across
    repeated samples.
    """
    monkeypatch.setattr("voc._importance.BOOT_MAX_ROWS", 2_000)
    n = 8_000  # an interval not scaled by sqrt(m / n) would be twice as wide
    rng = np.random.default_rng(7)
    repeated = pd.concat(
        [
            relative_importance(_population_sample(rng, n), "y", ["a", "b", "c"], n_boot=0)
            for _ in range(150)
        ]
    )
    spread = repeated.groupby("driver")["rescaled"].std()
    data = _population_sample(rng, n)
    table = relative_importance(data, "y", ["a", "b", "c"], n_boot=400, random_state=3)
    assert table["n"].iloc[0] == n
    width = (table["ci_high"] - table["ci_low"]).to_numpy()
    expected = 2 * 1.96 * spread[table["driver"]].to_numpy()
    assert np.all(np.abs(width / expected - 1) < 0.25), (width, expected)
    assert (table["ci_low"] < table["rescaled"]).all()
    assert (table["rescaled"] < table["ci_high"]).all()
    again = relative_importance(data, "y", ["a", "b", "c"], n_boot=400, random_state=3)
    pd.testing.assert_frame_equal(table, again)
