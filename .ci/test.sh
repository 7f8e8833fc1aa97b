#!/usr/bin/env bash
# The test command of Workers, for a fresh machine with the .NET SDK: installs what the tests need
# (idempotently), builds, runs every test project, and ends with one line `N passed, N failed, N skipped`
# counted from the test result files.
set -uo pipefail
cd "$(dirname "$0")/.."

results="${WORKERS_TEST_RESULTS:-artifacts/test-results}"
rm -rf "$results"
mkdir -p "$results"

.ci/prepare.sh || { echo "0 passed, 1 failed"; exit 1; }

if ! dotnet build Workers.sln -c Release -nologo -v quiet; then
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
dotnet test --solution Workers.sln -c Release --no-build --results-directory "$results" --report-xunit-xml --no-progress || status=$?

passed=0; failed=0; skipped=0; reports=0
for report in "$results"/*.xml; do
  [ -e "$report" ] || continue
  while read -r assembly; do
    value() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$assembly"; }
    passed=$((passed + $(value passed)))
    failed=$((failed + $(value failed) + $(value errors)))
    skipped=$((skipped + $(value skipped)))
    reports=$((reports + 1))
  done < <(grep -o '<assembly [^>]*>' "$report")
done

# A test host that crashed wrote no report: count it as a failure rather than let it vanish.
projects=$(grep -l 'xunit.v3' tests/*/*.csproj | wc -l)
if [ "$reports" -lt "$projects" ]; then
  failed=$((failed + projects - reports))
fi
if [ "$failed" -eq 0 ] && [ "$status" -ne 0 ]; then
  failed=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
