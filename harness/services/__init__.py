"""Where servers come from: an external URL, or a private instance started from local binaries."""
