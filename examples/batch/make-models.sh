#!/usr/bin/env bash
# Writes the 50 sample FATE models models.csv lists (guest 9999 and host
# 10000 each) into clusters/old/model_local_cache. Run from anywhere; uses
# $PLANRUN if set, else builds planrun from this repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
planrun=${PLANRUN:-}
if [ -z "$planrun" ]; then
  planrun="$here/work/planrun"
  mkdir -p "$here/work"
  (cd "$here/../.." && go build -o "$planrun" ./cmd/planrun)
fi
cache="$here/clusters/old/model_local_cache"
for version in $(tail -n +2 "$here/models.csv" | cut -d, -f2 | sort -u); do
  if [ -d "$cache/guest#9999#guest-9999#host-10000#model/$version" ]; then
    continue
  fi
  "$planrun" model sample "$cache" --parties guest:9999,host:10000 --version "$version" --seed "$((10#${version: -4}))" >/dev/null
done
echo "models in $cache: $(ls "$cache" | wc -l) parties, $(tail -n +2 "$here/models.csv" | cut -d, -f2 | sort -u | wc -l) versions"
