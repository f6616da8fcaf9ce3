#!/usr/bin/env bash
# diff_ci_doc.sh: the CI recipe in docs/ci.md parses, and its svcmap steps work as written.
#
# Every ```yaml block of the page must parse (yq); every `run:` script of the workflow
# must pass `bash -n`. Then the steps that call svcmap are run as they stand, on the
# shop example: a snapshot database holding release v1.4.0 (shop v1), traces of this
# change (shop v2), docs/architecture.md with markers, a stand-in for `gh`. The map
# must be drawn and injected, the comparison must report and trip the page's own
# FAIL_ON rules (status=1 in GITHUB_OUTPUT), and the release step must store a snapshot.
set -u
bin=$1
build=$2
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
    echo "FAIL: $1" >&2
    fail=1
}
if ! command -v yq >/dev/null; then
    echo "FAIL: yq (the jq wrapper for YAML, Debian package yq) is needed" >&2
    exit 1
fi

doc=$src/docs/ci.md
awk -v dir="$tmp" '
    /^```yaml$/ { n++; file = dir "/block" n ".yaml"; inside = 1; next }
    /^```$/ { inside = 0; next }
    inside { print > file }
' "$doc"
nblocks=$(ls "$tmp"/block*.yaml 2>/dev/null | wc -l)
[ "$nblocks" -ge 2 ] || check "docs/ci.md has the collector and workflow YAML blocks"
for b in "$tmp"/block*.yaml; do
    yq . "$b" >/dev/null 2>"$tmp/yqerr" || { check "$(basename "$b") does not parse"; cat "$tmp/yqerr"; }
done
collector=$tmp/block1.yaml
workflow=$tmp/block2.yaml
[ "$(yq -r '.exporters.file.path' "$collector")" = /traces/traces.jsonl ] || check "collector: file exporter path"
[ "$(yq -r '.service.pipelines.traces.exporters[0]' "$collector")" = file ] || check "collector: pipeline"
[ "$(yq -r '.jobs.map."runs-on"' "$workflow")" = ubuntu-24.04 ] || check "workflow: runs-on"
yq -e '.on.pull_request == null and .on.release.types == ["published"]' "$workflow" >/dev/null ||
    check "workflow: triggers"
nsteps=$(yq '.jobs.map.steps | length' "$workflow")
for i in $(seq 0 $((nsteps - 1))); do
    yq -r ".jobs.map.steps[$i].run // empty" "$workflow" >"$tmp/step.sh"
    [ -s "$tmp/step.sh" ] || continue
    bash -n "$tmp/step.sh" 2>"$tmp/err" || { check "step $i does not parse: $(cat "$tmp/err")"; }
done

# run the svcmap steps as written
step() { # step NAME: prints the run script of the named step
    yq -r --arg n "$1" '.jobs.map.steps[] | select(.name == $n) | .run' "$workflow"
}
work=$tmp/repo
mkdir -p "$work/traces" "$work/docs" "$tmp/bin"
ln -s "$bin" "$tmp/bin/svcmap"
cat >"$tmp/bin/gh" <<'EOF'
#!/bin/sh
echo "gh $*" >>"$GH_LOG"
EOF
chmod +x "$tmp/bin/gh"
shop() {
    local fixture=$src/fixtures/shop/shop-otlp.jsonl
    [ "$1" = v2 ] && fixture=$src/fixtures/shop/shop-v2-otlp.jsonl
    if [ -f "$fixture" ]; then cp "$fixture" "$2"; else "$build/svcmap-gen" shop --format otlp --variant "$1" --seed 1 -o "$2" 2>/dev/null; fi
}
shop v1 "$tmp/v1.jsonl"
shop v2 "$work/traces/traces.jsonl"
printf '# Architecture\n\n<!-- svcmap:begin services -->\n<!-- svcmap:end services -->\n\nThe end.\n' \
    >"$work/docs/architecture.md"
snapshots=$(yq -r '.env.SNAPSHOTS' "$workflow")
fail_on=$(yq -r '.env.FAIL_ON' "$workflow")
"$bin" store ingest -q --db "$work/$snapshots" --label v1.4.0 "$tmp/v1.jsonl" || check "ingest the base release"
run_step() { # run_step NAME [VAR=VALUE...]
    local name=$1
    shift
    step "$name" >"$tmp/run.sh"
    [ -s "$tmp/run.sh" ] || { check "no step named '$name'"; return 1; }
    (cd "$work" && env PATH="$tmp/bin:$PATH" SNAPSHOTS="$snapshots" FAIL_ON="$fail_on" \
        GITHUB_OUTPUT="$tmp/output" GITHUB_STEP_SUMMARY="$tmp/summary" GH_LOG="$tmp/gh.log" \
        "$@" bash -e "$tmp/run.sh") >"$tmp/step.out" 2>&1
}
run_step "Draw the map" || { check "Draw the map failed"; cat "$tmp/step.out"; }
for f in map.json architecture.svg architecture.mmd; do
    [ -s "$work/out/$f" ] || check "Draw the map: out/$f"
done
xmllint --noout "$work/out/architecture.svg" 2>/dev/null || check "out/architecture.svg parses"
grep -q '^flowchart LR' "$work/docs/architecture.md" || check "the Mermaid block is injected"
tail -1 "$work/docs/architecture.md" | grep -q '^The end.$' || check "the rest of the page is kept"

run_step "Compare with the last release" BASE=v1.4.0 || { check "Compare failed"; cat "$tmp/step.out"; }
grep -qx 'status=1' "$tmp/output" || { check "Compare: the page's FAIL_ON rules trip on shop v2"; cat "$tmp/output"; }
grep -q '^### svcmap diff: v1.4.0 -> out/map.json$' "$work/out/diff.md" || check "Compare: out/diff.md"
grep -q 'removed-edge: vanished edge payments -> fraud-check' "$work/out/diff.md" || check "Compare: the reason in the report"
grep -q 'removed-edge: ' "$tmp/step.out" || check "Compare: the reason in the log"
cmp -s "$work/out/diff.md" "$tmp/summary" || check "Compare: the job summary"
xmllint --noout "$work/out/diff.svg" 2>/dev/null || check "Compare: out/diff.svg"
jq -e '.summary.edges_removed == 1' "$work/out/diff.json" >/dev/null || check "Compare: out/diff.json"
grep -q 'id="svcmap-gate" class="gate-failed"' "$work/out/diff.html" || check "Compare: out/diff.html with the gate on top"

run_step "Keep this release's snapshot" TAG=v1.5.0 || { check "Keep the snapshot failed"; cat "$tmp/step.out"; }
"$bin" store list --db "$work/$snapshots" -f json | jq -e 'map(.label) == ["v1.4.0", "v1.5.0"]' >/dev/null ||
    check "the release's snapshot is stored"
grep -q "gh release upload v1.5.0 $snapshots --clobber" "$tmp/gh.log" || check "the database is uploaded"
[ -s "$work/$snapshots-wal" ] && check "the WAL is folded in before the upload"
exit $fail
