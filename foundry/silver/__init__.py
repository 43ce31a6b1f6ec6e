"""Phase 2: standardized 16 kHz shards, checks and rejects with reasons."""
