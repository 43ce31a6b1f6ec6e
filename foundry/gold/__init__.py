"""Phase 3: leak-free per-engine splits in splits/, published atomically as gold/."""
