#!/usr/bin/env bash
# Installs, idempotently, what the tests need beyond the .NET SDK. Each step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v setsid >/dev/null 2>&1 || need_apt+=(util-linux)
if [ "${#need_apt[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
