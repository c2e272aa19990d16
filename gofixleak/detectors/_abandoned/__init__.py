"""The parts of the abandoned-sender detector (see gofixleak.detectors.abandoned_sender)."""
