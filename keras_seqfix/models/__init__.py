"""Model builders: `build_lstm_classifier`, `build_cnn_lstm`, `unfreeze_backbone`."""
