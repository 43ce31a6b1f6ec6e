"""Phase 1: pinned downloads of Hub (or local) datasets into raw/, any common layout."""
