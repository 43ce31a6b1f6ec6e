#!/usr/bin/env bash
# Install everything the workflow and its tests need on a fresh Debian machine (Python 3.11).
# Idempotent: safe to run again. Debian packages need root (or sudo); skip them with FOUNDRY_NO_APT=1.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(espeak-ng sox ffmpeg slurm-wlm munge chromium git)
if [[ "${FOUNDRY_NO_APT:-0}" != 1 ]] && command -v apt-get >/dev/null; then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

PY=${PYTHON:-python3}
# torch first and pinned: any other spec downloads a multi-GB CUDA build.
$PY -m pip install -q "torch==2.13.0"
$PY -m pip install -q -e ".[dev]"
echo "setup: done ($($PY -c 'import snakemake, torch; print("snakemake", snakemake.__version__, "torch", torch.__version__)'))"
