#!/usr/bin/env bash
# The chaos suite against a Workers instance (see README.md next to this file). Builds the tool once, then runs it with
# the arguments given, e.g.
#   ops/chaos/chaos.sh --url http://127.0.0.1:8080 --token "$WORKERS_TOKEN" --profile sim-acp --duration 120 --seed 7
# Exit 0: every invariant held; 1: one broke; 2: usage.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tool="$here/Workers.Chaos/bin/Release/net10.0/Workers.Chaos"
if [ ! -x "$tool" ] || [ -n "$(find "$here/Workers.Chaos" -name '*.cs' -newer "$tool" -print -quit)" ]; then
  dotnet build "$here/Workers.Chaos/Workers.Chaos.csproj" -c Release -nologo -v quiet >&2
fi
exec "$tool" "$@"
