#!/bin/sh
# Called by the EmbedScenarios build plugin: writes OUT, a Swift file holding scenarios/schema.json and every
# shipped scenario (scenarios/*.json) as string constants. OUT is rewritten only when its text changes.
# Usage: embed-scenarios.sh SCENARIOS_DIR OUT
set -eu
dir=$1
out=$2
tmp="$out.tmp.$$"
{
  echo "// Generated at build time by scripts/embed-scenarios.sh from scenarios/. Do not edit."
  echo 'let embeddedScenarioSchema = ####"""'
  cat "$dir/schema.json"
  echo '"""####'
  echo "/// The shipped scenarios by name (file name without .json), in name order."
  echo "let embeddedScenarios: [(name: String, text: String)] = ["
  for f in $(ls "$dir"/*.json | grep -v '/schema.json$' | LC_ALL=C sort); do
    n=$(basename "$f" .json)
    echo "    (\"$n\", ####\"\"\""
    cat "$f"
    echo ""
    echo "\"\"\"####),"
  done
  echo "]"
} > "$tmp"
if cmp -s "$tmp" "$out" 2>/dev/null; then rm -f "$tmp"; else mv "$tmp" "$out"; fi
