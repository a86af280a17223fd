"""`diagnose`: why a sequence classifier's loss stays high, with the fix."""
