"""Request audio to the model's 16 kHz mono PCM16 WAV, through the pipeline's own functions.

Audio runs through the very functions the pipeline uses (``foundry.audio``) with the same
checks, so a clip the pipeline would reject is refused with the same reason name; the header is
read first, so a long or many-sample file is refused before its samples are decoded.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from foundry import audio, telephony
from foundry.deploy.limits import (
    _BYTES_NOTE,
    _CONFIG_NOTE,
    DEFAULT_LIMITS,
    ClientError,
    Limits,
    sanitize,
)
from foundry.engines import SAMPLE_RATE

log = logging.getLogger("foundry.deploy.serve")


def audio_format(
    content_type: str | None, encoding: Any = None, sample_rate: Any = None
) -> tuple[str | None, int | None]:
    """(encoding, sample rate) of telephone audio from the Content-Type and explicit fields."""
    enc, rate = None, None
    if content_type:
        base, _, params = content_type.partition(";")
        enc, rate = AUDIO_TYPES.get(base.strip().lower(), (None, None))
        for part in params.split(";"):
            key, _, value = part.partition("=")
            if key.strip().lower() == "rate" and value.strip():
                rate = _rate(value.strip())
    if encoding not in (None, ""):
        if not isinstance(encoding, str):
            raise ClientError(400, "bad_field", "'encoding' must be a string, e.g. mulaw.")
        enc = encoding
    if sample_rate not in (None, ""):
        rate = _rate(sample_rate)
    return enc, rate


def _rate(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ClientError(400, "bad_sample_rate", "'sample_rate' must be an integer in Hz.")
    text = str(value).strip()
    # ASCII digits only: "²".isdigit() is True, but int("²") fails
    if not (text.isascii() and text.isdecimal()) or len(text) > 7:
        raise ClientError(400, "bad_sample_rate", "'sample_rate' must be an integer in Hz.")
    return int(text)


def telephone_wav(
    data: bytes, encoding: str | None, sample_rate: int | None, limits: Limits = DEFAULT_LIMITS
) -> bytes:
    """Telephone audio (WAV G.711/PCM at any rate, or headerless G.711/PCM with its encoding and
    rate) -> canonical 16 kHz mono PCM16 WAV with the pipeline's checks, or a ClientError."""
    if encoding is None or encoding.strip().lower() in ("wav", "container", ""):
        if sample_rate is not None:
            _same_rate_as_header(data, sample_rate)
        return standard_wav(data, limits)
    try:
        x, sr = telephony.decode_telephony(
            data, encoding, sample_rate, max_duration=limits.checks.max_duration
        )
    except telephony.TelephonyError as exc:
        raise ClientError(400, exc.reason, sanitize(exc.detail)) from None
    if sr > limits.max_sample_rate:
        raise _reject("unsupported_sample_rate", f"{sr} Hz is above {limits.max_sample_rate} Hz")
    return standard_wav(audio.encode_wav(audio.to_pcm16(x), sr), limits)


def _same_rate_as_header(data: bytes, sample_rate: int) -> None:
    """A file that names its own rate must agree with an explicit 'sample_rate': which one is
    true cannot be known, and a wrong guess plays the call too fast or too slow."""
    import soundfile as sf

    try:
        header = int(sf.info(io.BytesIO(data)).samplerate)
    except (sf.SoundFileError, RuntimeError, ValueError, EOFError, OSError):
        return  # not a container: standard_wav names what is wrong with it
    if header != sample_rate:
        raise ClientError(
            400,
            "bad_sample_rate",
            f"'sample_rate' says {sample_rate} Hz but the audio file's header says {header} Hz; "
            "drop 'sample_rate' (a file carries its own) or send audio at that rate.",
        )


def _reject(reason: str, detail: str, status: int = 400) -> ClientError:
    return ClientError(status, reason, sanitize(f"audio rejected ({reason}): {detail}."))


def _audio_message(exc: audio.AudioReject) -> ClientError:
    """The pipeline's reject reason with its detail, minus config names and echoed bytes."""
    detail = _CONFIG_NOTE.sub("", _BYTES_NOTE.sub("", exc.detail))
    cause = exc.__cause__
    if exc.reason == "undecodable" and cause is not None:
        why = getattr(cause, "error_string", None) or str(cause)
        detail = _undecodable(why)
    return _reject(exc.reason, detail.rstrip("."))


def _undecodable(why: str) -> str:
    """libsndfile's reason and what to send instead (a raw telephone stream needs its format)."""
    return (
        f"not decodable as an audio file ({_libsndfile(why)}); send a WAV, FLAC, OGG or MP3 "
        "file, or headerless telephone samples with encoding= and sample_rate="
    )


def _libsndfile(why: str) -> str:
    why = sanitize(why).replace("Error opening <object>: ", "")
    return why.rstrip(". ").replace(". ", "; ")


def standard_wav(data: bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Any soundfile-readable bytes -> canonical 16 kHz mono PCM16 WAV, or a ClientError.

    16 kHz mono PCM16 WAV keeps its samples untouched (the models were evaluated on exactly these
    bytes); anything else goes through ``audio.standardize``. Both get the pipeline's checks.
    """
    import soundfile as sf

    checks = limits.checks
    try:
        if not data:
            raise audio.AudioReject("empty_audio", "0 bytes of input (empty file)")
        try:
            with sf.SoundFile(io.BytesIO(data)) as f:
                sr, channels, frames = int(f.samplerate), int(f.channels), int(f.frames)
                fmt = f"{f.format}/{f.subtype}"
        except (sf.SoundFileError, RuntimeError, ValueError, EOFError, OSError) as exc:
            why = getattr(exc, "error_string", None) or str(exc)
            raise _reject("undecodable", _undecodable(why)) from None
        if sr > limits.max_sample_rate:
            raise _reject(
                "unsupported_sample_rate",
                f"{sr} Hz is above the {limits.max_sample_rate} Hz this service takes",
            )
        if 0 < sr and frames > 0 and frames / sr <= checks.max_duration:
            if frames * channels > limits.max_audio_samples:
                raise _reject(
                    "too_many_samples",
                    f"{frames} frames x {channels} channels is over "
                    f"{limits.max_audio_samples} samples",
                    413,
                )
        if fmt == "WAV/PCM_16" and sr == SAMPLE_RATE and channels == 1:
            x, sr, _ = audio.decode(data, max_duration=checks.max_duration)
            audio.check_source(x, sr, checks)
            pcm = audio.to_pcm16(x[:, 0])  # exact: soundfile read PCM16 as k / 32768
            # judged as the pipeline would judge it (after DC removal), served as it came
            audio.check_standard(audio.to_pcm16(audio.remove_dc(x[:, 0])), checks)
            return audio.encode_wav(pcm)
        return audio.encode_wav(audio.standardize(data, checks).pcm16)
    except ClientError:
        raise
    except audio.AudioReject as exc:
        raise _audio_message(exc) from None
    except MemoryError:
        raise _reject("too_many_samples", "the audio does not fit in memory", 413) from None
    except Exception as exc:  # a decoder fault on hostile bytes is still the caller's input
        log.warning("audio input failed unexpectedly: %s", sanitize(repr(exc)))
        raise _reject("undecodable", "the audio could not be decoded") from None


# Content types of a raw audio body, as telephony platforms send them: (encoding, default rate).
# None = a container (WAV, FLAC …) whose header says it all.
AUDIO_TYPES: dict[str, tuple[str | None, int | None]] = {
    "audio/wav": (None, None),
    "audio/wave": (None, None),
    "audio/x-wav": (None, None),
    "audio/flac": (None, None),
    "audio/basic": ("mulaw", 8000),  # RFC 2046: headerless 8-bit mu-law at 8 kHz
    "audio/pcmu": ("mulaw", 8000),  # RFC 3551 names
    "audio/pcma": ("alaw", 8000),
    "audio/l16": ("l16", None),  # big-endian 16-bit; needs rate=
    "application/octet-stream": (None, None),
}


def is_raw_audio(content_type: str | None) -> bool:
    """A raw audio body rather than JSON (audio engines only)."""
    return bool(content_type) and content_type.split(";", 1)[0].strip().lower() in AUDIO_TYPES
