"""Class imbalance for sequences: resampling, balanced batches, class weights."""
