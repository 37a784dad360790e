"""What every task stands on: the task spec, the one model cache, the one device manager, media decoding."""
