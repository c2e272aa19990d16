"""The parts of the lock-held-channel-wait detector (see
gofixleak.detectors.lock_held_channel_wait)."""
