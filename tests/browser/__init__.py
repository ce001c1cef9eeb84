"""Browser tests: the real app in a real Chromium (marker ``browser``)."""
