#!/usr/bin/env bash
# Installs, idempotently, what the tests need beyond the .NET SDK. Each step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v setsid >/dev/null 2>&1 || need_apt+=(util-linux)
# The Observability tests run a real Prometheus (and promtool, which comes with it) against the service.
# The Debian package starts no service here (no systemd); the tests start and stop it themselves.
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  need_apt+=(prometheus)
fi
# The Deployment tests lint the Helm chart's values and ops/ with yamllint.
command -v yamllint >/dev/null 2>&1 || need_apt+=(yamllint)
# Profiles in conversation isolation run their agents under bubblewrap (specs/isolation.md); the Isolation tests need it.
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)
if [ "${#need_apt[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# The real agent CLIs of the RealClis end-to-end tests, at the versions pinned in shared/reference/real-clis.md (pin, never
# float), installed with npm into a tools folder outside the clone ($WORKERS_CLI_DIR, default ~/.cache/workers-clis) and
# reused when present; each executable is linked into its bin/. Claude Code, claude-code-acp and codex are required (CI
# fails without them); the others are best effort, and their tests skip when they are missing. ~30 s in all, uncached.
cli_dir="${WORKERS_CLI_DIR:-$HOME/.cache/workers-clis}"
mkdir -p "$cli_dir/bin"
install_cli() {
  local need=$1 spec=$2 executable=$3 folder
  folder="$cli_dir/$(printf '%s' "${spec#@}" | tr '/@' '+-')"
  if [ ! -x "$folder/node_modules/.bin/$executable" ]; then
    rm -rf "$folder"
    if ! npm install --prefix "$folder" --no-save --no-audit --no-fund --loglevel=error "$spec" >"$folder.log" 2>&1; then
      echo "prepare: npm install $spec failed (log: $folder.log)" >&2
      [ "$need" = required ] && return 1
      return 0
    fi
  fi
  ln -sfn "$folder/node_modules/.bin/$executable" "$cli_dir/bin/$executable"
}
install_cli required @anthropic-ai/claude-code@2.1.197 claude
install_cli required @zed-industries/claude-code-acp@0.16.2 claude-code-acp
install_cli required @openai/codex@0.169.0 codex
install_cli optional @zed-industries/codex-acp@0.16.0 codex-acp
install_cli optional @google/gemini-cli@0.61.0 gemini
install_cli optional opencode-ai@1.18.33 opencode
