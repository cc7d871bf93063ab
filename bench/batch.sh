#!/usr/bin/env bash
# Batch benchmark (issue 6): N sample models × 2 parties (guest, host),
# native engines, local folder clusters — the examples/batch plan with a
# bigger models.csv. Reports the total wall time and the runner's overhead:
# the share of the run not spent inside the steps' own work.
#
# Overhead is measured with --parallel 1, where steps never overlap, as
#   wall time of `planrun apply` − Σ step durations (from the NDJSON events);
# the run with --parallel P (default 8) gives the wall time that matters.
#
#   bench/batch.sh [N_MODELS=500] [PARALLEL=8]   (KEEP=1 keeps the work directory)
set -euo pipefail
n=${1:-500}
par=${2:-8}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/planrun-batch-bench.XXXXXX)
trap '[ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT
planrun="$work/planrun"
(cd "$repo" && go build -o "$planrun" ./cmd/planrun)

cp "$repo/examples/batch/plan.yaml" "$work/"
{
  echo "key,model_version,role,old_id,new_id,target"
  for i in $(seq 1 "$n"); do
    v=$(printf '2023112512%011d' "$i")
    printf 'm%04d-guest,%s,guest,9999,99,guest-cluster\n' "$i" "$v"
    printf 'm%04d-host,%s,host,10000,100,host-cluster\n' "$i" "$v"
  done
} > "$work/models.csv"

echo "writing $n sample models (2 parties each)..."
cache="$work/clusters/old/model_local_cache"
for i in $(seq 1 "$n"); do
  "$planrun" model sample "$cache" --parties guest:9999,host:10000 --version "$(printf '2023112512%011d' "$i")" --seed "$i" >/dev/null
done
du -sh "$cache" | sed 's/^/models: /'

run() { # run P LABEL
  rm -rf "$work/.planrun" "$work/work" "$work/clusters/guest-99" "$work/clusters/host-100"
  local start end
  start=$(date +%s.%N)
  (cd "$work" && "$planrun" apply plan.yaml --parallel "$1" --output json > "$work/events-$1.ndjson")
  end=$(date +%s.%N)
  python3 - "$work/events-$1.ndjson" "$start" "$end" "$1" <<'PY'
import json, sys
from datetime import datetime
path, start, end, par = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def ts(e):
    return datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
work = inside = 0.0
steps = 0
started = {}
for line in open(path):
    e = json.loads(line)
    t = e.get("type")
    if t == "step_started":
        started[e["step"]] = ts(e)
    if t in ("step_succeeded", "step_failed", "attempt_failed"):
        work += e.get("duration_us", 1000 * e.get("duration_ms", 0)) / 1e6  # the kind's own Run
        inside += ts(e) - started.pop(e["step"], ts(e))   # started..finished, as recorded
        steps += t == "step_succeeded"
wall = end - start
print(f"--parallel {par}: {steps} steps in {wall:.2f}s ({steps / wall:.0f} steps/s); "
      f"steps' own work {work:.2f}s", end="")
if par == "1":
    print(f"; outside the steps' Run {wall - work:.2f}s = {100 * (wall - work) / wall:.1f}% of the total"
          f" (outside started..finished: {wall - inside:.2f}s = {100 * (wall - inside) / wall:.1f}%)")
else:
    print()
PY
}
run 1
run "$par"
