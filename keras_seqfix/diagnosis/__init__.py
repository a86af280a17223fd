"""`diagnose`: why a sequence classifier's loss stays high, with the fix.

* `diagnose(model, x, y, ...)` -> `DiagnosisReport` of ranked `Finding`s.
* `TrainingMonitor`: the live form, a callback that reports divergence,
  oscillation, plateau and overfitting during `fit`, once each, with the fix.
  Listed in `keras_seqfix.callbacks` with the other callbacks; importable here.
* `CAUSE_CODES`: every cause code a finding can carry.
"""

from keras_seqfix.diagnosis._codes import CAUSE_CODES
from keras_seqfix.diagnosis.diagnose import diagnose
from keras_seqfix.diagnosis.diagnosis_report import DiagnosisReport
from keras_seqfix.diagnosis.finding import Finding
from keras_seqfix.diagnosis.training_monitor import TrainingMonitor

# `TrainingMonitor` is listed in `keras_seqfix.callbacks.__all__` (one place).
__all__ = ["CAUSE_CODES", "DiagnosisReport", "Finding", "diagnose"]
