"""Fast checks of the retry policy, error classification, redaction and lock-file writing
(no server: the end-to-end versions live in test_hub_faults.py / test_refresh.py)."""

from __future__ import annotations

import httpx
import pytest
from huggingface_hub import errors

from foundry.ingest import hub, refresh


def _http_error(status: int, headers: dict[str, str] | None = None) -> Exception:
    request = httpx.Request("GET", "http://127.0.0.1/api/datasets/o/n/revision/main")
    response = httpx.Response(status, headers=headers or {}, request=request)
    return errors.HfHubHTTPError(f"{status} error", response=response)


def _run(exc_seq: list[Exception], max_retries: int = 5):
    calls, sleeps = [], []

    def fn():
        calls.append(1)
        if len(calls) <= len(exc_seq):
            raise exc_seq[len(calls) - 1]
        return "ok"

    what = lambda e: hub.classify(e, "ds", "o/n", "main")  # noqa: E731
    result = hub.with_retries(
        fn, what=what, max_retries=max_retries, backoff=0.1, max_backoff=5.0, sleep=sleeps.append
    )
    return result, len(calls), sleeps


@pytest.mark.parametrize("status", [401, 403, 404])
def test_permanent_errors_are_not_retried(status):
    with pytest.raises(hub.PermanentHubError) as info:
        _run([_http_error(status)])
    assert "dataset 'ds'" in str(info.value) and "o/n" in str(info.value)


def test_offline_mode_fails_at_once_with_what_to_do():
    with pytest.raises(hub.PermanentHubError, match="offline mode.*Unset HF_HUB_OFFLINE") as info:
        _run([errors.OfflineModeIsEnabled("offline")] * 10)
    assert "dataset 'ds'" in str(info.value)


def test_transient_errors_retry_with_bounded_backoff_and_retry_after():
    faults = [
        _http_error(503),
        _http_error(429, {"Retry-After": "3"}),
        httpx.ReadTimeout("stalled"),
        httpx.RemoteProtocolError("peer closed connection"),
    ]
    result, calls, sleeps = _run(faults)
    assert result == "ok" and calls == 5
    assert sleeps[1] >= 3.0  # Retry-After honoured
    assert all(0 < s <= 5.0 for s in sleeps)  # capped by max_backoff


def test_transient_errors_give_up_after_max_retries():
    with pytest.raises(hub.TransientHubError, match="gave up after 3 attempts"):
        _run([_http_error(500)] * 10, max_retries=2)


def test_token_like_strings_are_redacted(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "sekrit-value-123")
    err = hub.IngestError("failed: Authorization: Bearer sekrit-value-123 and hf_abcdefghijklmnop")
    assert "sekrit" not in str(err) and "hf_abcdefghijklmnop" not in str(err)


def test_refresh_rewrites_only_changed_entries(tmp_path, monkeypatch):
    heads = {"o/a": "a" * 40, "o/b": "b" * 40}

    def resolved(ds, spec, cfg, revision=None):
        return heads[spec["hub"]], spec.get("revision", "main"), [], None

    monkeypatch.setattr(hub, "resolve_data_revision", resolved)
    pinned = "c" * 40
    cfg = {
        "hub": {},
        "datasets": {
            "b": {"hub": "o/b", "revision": "main"},
            "a": {"hub": "o/a", "revision": "main"},
            "c": {"hub": "o/c", "revision": pinned},
            "local": {"path": "somewhere"},
        },
    }
    lock = tmp_path / "hub.lock.json"
    assert [c.dataset for c in refresh.refresh(cfg, lock)] == ["a", "b", "c"]
    first = lock.read_bytes()
    assert b'"local"' not in first and first.index(b'"a"') < first.index(b'"b"')
    mtime = lock.stat().st_mtime_ns
    assert refresh.refresh(cfg, lock) == [] and lock.stat().st_mtime_ns == mtime
    heads["o/a"] = "d" * 40
    changes = refresh.refresh(cfg, lock)
    assert [(c.dataset, c.old, c.new) for c in changes] == [("a", "a" * 40, "d" * 40)]
    entries = refresh.read_lock(lock)
    assert entries["c"]["sha"] == pinned and entries["b"]["sha"] == "b" * 40
    with pytest.raises(hub.IngestError, match="not in config"):
        refresh.refresh(cfg, lock, only=["nope"])


def test_refresh_of_some_datasets_keeps_the_others(tmp_path, monkeypatch):
    seen = []

    def fake(ds, spec, cfg, revision=None):
        seen.append(ds)
        return "e" * 40, "main", [], None

    monkeypatch.setattr(hub, "resolve_data_revision", fake)
    cfg = {"hub": {}, "datasets": {d: {"hub": f"o/{d}", "revision": "main"} for d in ("x", "y")}}
    refresh.refresh(cfg, tmp_path / "l.json")
    seen.clear()
    refresh.refresh(cfg, tmp_path / "l.json", only=["y"])
    assert seen == ["y"]


def test_is_commit_sha():
    assert hub.is_commit_sha("0" * 40) and not hub.is_commit_sha("main")
    assert not hub.is_commit_sha("A" * 40)  # the Hub returns lowercase hex
