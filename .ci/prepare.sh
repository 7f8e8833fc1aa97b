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

# The real agent CLIs of the RealClis end-to-end tests, at pinned versions (pin, never float; specs/families.md, "Shipped
# real-CLI profiles"), installed with npm into a tools folder outside the clone ($WORKERS_CLI_DIR, default
# ~/.cache/workers-clis) and reused when present (the folder name carries the version); each executable is linked into its
# bin/. Claude Code, claude-agent-acp and codex are required (CI fails without them); the others are best effort, and their
# tests skip when they are missing. ~30 s in all, uncached.
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
# Claude Code is a native binary that its npm postinstall (node install.cjs) copies over the bin/claude.exe placeholder; an
# npm that blocks install scripts (npm 11 warns they are "not yet covered by allowScripts") would leave the placeholder.
# So the install counts only once `claude --version` prints the pinned version, checked on every run.
check_version() {
  local executable=$1 version=$2 folder=$3 output
  if ! output=$(timeout 30 "$cli_dir/bin/$executable" --version </dev/null 2>&1) || [[ "$output" != "$version"* ]]; then
    echo "prepare: '$executable --version' should print $version but gave: ${output:-nothing}" >&2
    echo "prepare: the npm postinstall that installs the native binary probably did not run (log: $folder.log);" \
      "remove $folder and run prepare again once npm runs install scripts" >&2
    return 1
  fi
}
claude_code=2.1.332
install_cli required "@anthropic-ai/claude-code@$claude_code" claude
check_version claude "$claude_code" "$cli_dir/anthropic-ai+claude-code-$claude_code"
# claude-agent-acp runs the claude above (its profile sets CLAUDE_CODE_EXECUTABLE=claude), not its bundled Claude Code.
install_cli required @zed-industries/claude-agent-acp@0.23.1 claude-agent-acp
install_cli required @openai/codex@0.171.0 codex
install_cli optional @zed-industries/codex-acp@0.16.0 codex-acp
install_cli optional @google/gemini-cli@0.61.0 gemini
install_cli optional opencode-ai@1.18.33 opencode
# Retired CLIs (specs/families.md, "Retired"): their links go, so no test or benchmark runs them by accident.
rm -f "$cli_dir/bin/claude-code-acp"
