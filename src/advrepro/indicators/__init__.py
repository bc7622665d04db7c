"""Attack-failure indicators, measured while an evaluation runs (Pintor et al. 2022,
"Indicators of Attack Failure"; Carlini et al. 2019). Each one is a share of the examples it
checked; the masking report (advrepro.reporting.masking) flags a model above a threshold.

* ``unavailable_gradients``: the input gradient of the cross-entropy at the clean input is
  zero or not finite (quantisation, saturated softmax, non-differentiable layers): a gradient
  attack has nothing to follow.
* ``silent_success``: the model's differentiable output (what the attack's loss sees) says
  the example is misclassified, but the model's decision does not (e.g. DunDi's relaxation
  against its oracle vote). Pintor et al.'s indicator compares the loss's verdict with the
  returned point; ours compares it with the decision that is scored.
* ``incomplete_optimisation``: ``probe_steps`` more projected steps from where an iterative
  white-box gradient attack stopped (same ball, step eps/4) still flip examples the attack left
  correct: the attack had not converged. Pintor et al. read the loss curve's last steps; the
  attack classes here (torchattacks, ART) do not expose it, the continuation asks the same.
* ``unstable_predictions``: a second decision on the same adversarial input differs
  (randomised defences, layers left in training mode).
* ``transfer_failure``: of the examples that fooled the source model, the share the target
  still classifies correctly (transfer attacks only; a high share means the transfer was not
  a test of the target).

An indicator that does not apply to an attack (a probe for a decision-based attack, transfer
failure for a white-box one) is ``None``. At most ``examples`` attacked examples per record
are checked (the first ones, in test-set order), so the indicators cost a few percent of an
evaluation.
"""

from __future__ import annotations

# No torch here: the reporting jobs read these names and thresholds (advrepro.reporting.masking);
# the measurement itself is advrepro.indicators.tally.
NAMES = (
    "unavailable_gradients",
    "silent_success",
    "incomplete_optimisation",
    "unstable_predictions",
    "transfer_failure",
)
# defaults of the masking check ``indicators`` (config key ...checks[*].thresholds overrides)
THRESHOLDS = {
    "unavailable_gradients": 0.01,
    "silent_success": 0.01,
    "incomplete_optimisation": 0.02,
    "unstable_predictions": 0.0,
    "transfer_failure": 1.0,
}
