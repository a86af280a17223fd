"""Training callbacks: early-stopping presets, LR range finder, gradient norms."""
