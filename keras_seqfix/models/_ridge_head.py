"""The closed-form head of `build_rocket_classifier`: ridge, as aeon's MiniRocket.

scikit-learn's `RidgeClassifierCV` picks the regularisation by leave-one-out
error over `alphas` (aeon and the MiniRocket paper use `logspace(-3, 3, 10)`)
and gives the scores a linear layer needs. Written here only is what turns
those scores into a softmax layer: one temperature, fitted by log loss on the
leave-one-out scores (not the training scores, which a 10,000-feature ridge
separates perfectly), so that `predict` returns probabilities worth a loss.
"""

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.linear_model import RidgeClassifierCV

#: The paper's and aeon's grid.
DEFAULT_ALPHAS = tuple(np.logspace(-3, 3, 10).tolist())


def fit_ridge_head(features, y, num_classes, alphas):
    """Solve the head on standardised features.

    Args:
        features: `(n, d)` standardised features.
        y: `(n,)` integer class ids in `[0, num_classes)`.
        num_classes: the width of the softmax layer.
        alphas: the regularisation grid.

    Returns:
        `(kernel, bias)`: a `(d, num_classes)` kernel and `(num_classes,)`
        bias for a softmax `Dense` layer.
    """
    ridge = RidgeClassifierCV(alphas=alphas, store_cv_results=True).fit(features, y)
    coef = np.atleast_2d(ridge.coef_)  # (targets, d)
    intercept = np.atleast_1d(ridge.intercept_)
    loo = loo_scores(ridge, features, y)
    if len(ridge.classes_) == 2:  # one score, positive for classes_[1]
        coef = np.concatenate([-coef, coef]) / 2
        intercept = np.concatenate([-intercept, intercept]) / 2
        loo = np.concatenate([-loo, loo], axis=1) / 2
    temperature = fit_temperature(loo, np.searchsorted(ridge.classes_, y))
    kernel = np.zeros((features.shape[1], num_classes), dtype="float64")
    # A class absent from the labels never wins: no weights, and the score a
    # ridge target gives "not this class".
    bias = np.full(num_classes, -1.0)
    kernel[:, ridge.classes_] = coef.T
    bias[ridge.classes_] = intercept
    return (kernel * temperature).astype("float32"), (bias * temperature).astype(
        "float32"
    )


def loo_scores(ridge, features, y):
    """Leave-one-out scores `(n, targets)` at the chosen alpha.

    With its default scoring `RidgeClassifierCV` stores the squared
    leave-one-out errors `(t - s_loo) ** 2` of the +-1 targets `t`; the
    residual `t - s_loo` has the sign of the training residual `t - s` (it is
    that residual over `1 - h_ii > 0`), so the scores follow exactly.
    """
    errors = ridge.cv_results_[..., list(ridge.alphas).index(ridge.alpha_)]
    fitted = ridge.decision_function(features).reshape(len(y), -1)
    classes = ridge.classes_ if fitted.shape[1] > 1 else ridge.classes_[1:]
    targets = np.where(y[:, None] == classes[None], 1.0, -1.0)
    return targets - np.sign(targets - fitted) * np.sqrt(errors)


def fit_temperature(scores, targets):
    """The scale of `scores` that minimises the softmax log loss of `targets`.

    The targets are smoothed by Laplace's rule of succession (an error rate of
    at least 1 / (n + 2)): when every leave-one-out score is right, as on
    GunPoint, the plain log loss falls forever with the scale, and the one
    test error would cost a loss of 10 or more.
    """
    n, k = scores.shape
    eps = 1.0 / (n + 2)
    soft = np.full((n, k), eps / (k - 1))
    soft[np.arange(n), targets] = 1.0 - eps

    def log_loss(log_t):
        logits = scores * np.exp(log_t)
        logits = logits - logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return -(soft * log_p).sum(axis=1).mean()

    best = minimize_scalar(
        log_loss, bounds=(np.log(1e-2), np.log(1e3)), method="bounded"
    )
    return float(np.exp(best.x))
