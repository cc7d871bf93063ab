#!/usr/bin/env bash
# Transfer benchmark: planrun's `transfer` vs scp -r and rsync -a over the
# same OpenSSH sshd on 127.0.0.1, and vs cp -r locally. Measured side by
# side in one run; prints a table of wall times and throughputs.
#
#   bench/transfer.sh            # full size: ~1 GiB (4 x 240 MiB + 2,000 small files)
#   SIZE=small bench/transfer.sh # quick: ~110 MiB (4 x 24 MiB + 2,000 small files)
#   BEFORE=/tmp/planrun-old bench/transfer.sh  # also time an older planrun binary
#                                              # on the same data, side by side
#   DEST=/dev/shm bench/transfer.sh   # write the copies under DEST (e.g. tmpfs, where
#                                     # per-file protocol costs show without the disk's)
#   SETS="small" bench/transfer.sh    # only these sets (of: large small tree local)
#   REPS=3 bench/transfer.sh          # each case 3 times, in rotated order; medians
#   KEEP=0 bench/transfer.sh          # empty one destination before each case instead of
#                                     # keeping the copies (see fresh)
#
# Needs /usr/sbin/sshd, scp, rsync, ssh-keygen, go. Uses a temp dir (removed).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-full}
case $SIZE in
  full) LARGE_MB=240 ;;
  small) LARGE_MB=24 ;;
  *) echo "SIZE must be full or small" >&2; exit 2 ;;
esac
NLARGE=4 NSMALL=2000

SETS=${SETS:-large small tree local}
W=$(mktemp -d /tmp/planrun-bench.XXXXXX)
OUT=$W
[ -z "${DEST:-}" ] || OUT=$(mktemp -d "$DEST/planrun-bench.XXXXXX")
DST=$OUT/dst
mkdir -p "$DST"
SSHD_PID=
cleanup() { [ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null; rm -rf "$W" "$OUT"; }
trap cleanup EXIT

go build -o "$W/planrun" ./cmd/planrun

# --- the data: large files and many small ones, real random content ---
mkdir -p "$W/src/tree/large" "$W/src/tree/small"
for i in $(seq 1 $NLARGE); do
  head -c $((LARGE_MB << 20)) /dev/urandom > "$W/src/tree/large/part-$i.bin"
done
python3 - "$W/src/tree/small" $NSMALL <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 40))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%04d.pb" % i), "wb") as f:
        f.write(os.urandom(rnd.randint(1024, 64 * 1024)))
PY
mkdir -p "$W/src/large" "$W/src/small"
cp -r "$W/src/tree/large/." "$W/src/large/"
cp -r "$W/src/tree/small/." "$W/src/small/"
TOTAL_MB=$(du -sm "$W/src/tree" | cut -f1)
SMALL_MB=$(du -sm "$W/src/small" | cut -f1)
echo "data: $TOTAL_MB MiB tree ($NLARGE x $LARGE_MB MiB + $NSMALL small files, $SMALL_MB MiB); copies to $DST ($(stat -f -c %T "$DST"))"

# --- an sshd on a free loopback port, as this user, with fresh keys ---
ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$W/userkey"
cp "$W/userkey.pub" "$W/authorized_keys"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$W/sshd_config" <<CFG
Port $PORT
ListenAddress 127.0.0.1
HostKey $W/hostkey
PidFile $W/sshd.pid
AuthorizedKeysFile $W/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
LogLevel ERROR
CFG
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/sshd.log" &
SSHD_PID=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$W/hostkey.pub")" > "$W/known_hosts"
USER_NAME=$(id -un)
SSHOPTS=(-i "$W/userkey" -o UserKnownHostsFile="$W/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes)
mkdir -p "$DST"

now() { date +%s.%N; }
declare -A T
timeit() { # name command...  (dirty pages of earlier cases are flushed first)
  sync
  local s e; s=$(now); "${@:2}" >/dev/null; e=$(now)
  T[$1]="${T[$1]:-} $(echo "$e - $s" | bc -l)"
}
median() { # the median of the numbers given
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

BIN="$W/planrun"
planrun_copy() { # from to
  local plan="$W/plan-$RANDOM.yaml"
  cat > "$plan" <<PLAN
version: 1
hosts:
  target: {ssh: "$USER_NAME@127.0.0.1:$PORT", identity_files: ["$W/userkey"], known_hosts: "$W/known_hosts"}
steps:
  - id: copy
    kind: transfer
    with: {from: "$1", to: "$2"}
PLAN
  "$BIN" apply "$plan" --state "$W/state-$RANDOM" --output json >/dev/null
}

# Each case copies into a new directory, and only the large files of the
# last case are deleted (a few inodes, to bound the disk space), so no
# case runs right after thousands of files were deleted. Everything is
# removed at the end.
#
# Why: on ext4 without a journal (this machine's root fs), the kernel
# skips inodes freed in the last 60-300 s when it allocates one, so every
# file created right after thousands were deleted costs 0.5-1 ms of kernel
# CPU, whoever creates it. Deleting the last copy before each case made
# that cost, not the tools, decide most of the small-file times (and swing
# them from run to run).
#
# KEEP=0 is the older method: one destination, emptied before each case.
#
# The copies' pages are also dropped from the page cache (written out
# first) before the next case, so that every case writes into pages the
# kernel has used before. On a VM, a page of guest memory touched for the
# first time since boot is slow to get (the host backs it then): a cp -r
# of the tree that took 0.45-0.85 s on reused pages took 2.6-2.9 s on
# fresh ones, five runs in a row, on this 2-core VM. Without this, which
# case first grew the page cache past its old peak was slowed, whatever
# the tool. The source stays cached.
NCASE=0
evict() { # drop the page cache of every file under the directories given
  sync
  python3 - "$@" <<'PY'
import os, sys
for top in sys.argv[1:]:
    for d, _, files in os.walk(top):
        for f in files:
            try:
                fd = os.open(os.path.join(d, f), os.O_RDONLY)
            except OSError:
                continue
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
PY
}
fresh() {
  evict "$DST"
  if [ "${KEEP:-1}" = 0 ]; then rm -rf "$DST"; mkdir -p "$DST"; return; fi
  find "$DST" -type f -size +8M -delete
  NCASE=$((NCASE + 1)); DST=$OUT/dst-$NCASE; mkdir -p "$DST"
}

# One case: fresh destination, timed, checked. A case's position in a run
# matters on ext4 (see fresh), so with REPS > 1 the cases of a set are run
# in a rotated order each repetition and the median is reported.
run_case() { # tool set
  local tool=$1 set=$2 from to
  [ "$tool" != before ] || [ -n "${BEFORE:-}" ] || return 0
  fresh
  if [ "$set" = local ]; then from="local:$W/src/tree" to="local:$DST/tree"; else from="local:$W/src/$set" to="target:$DST/$set"; fi
  case $tool in
    before|planrun) # this build, or the BEFORE binary
      local bin=$BIN
      [ "$tool" = before ] && bin=$BEFORE
      local name="$tool/$set"; [ "$set" = local ] && name="$tool-local/tree"
      BIN=$bin timeit "$name" planrun_copy "$from" "$to"
      [ "$tool/$set" = planrun/tree ] && timeit "planrun-rerun/$set" planrun_copy "$from" "$to"
      diff -r "${from#local:}" "$DST/${to##*/}" >/dev/null || { echo "$tool copy of $set differs" >&2; exit 1; } ;;
    scp)
      timeit "scp/$set" scp -q -r -P "$PORT" "${SSHOPTS[@]}" "$W/src/$set" "$USER_NAME@127.0.0.1:$DST/$set" ;;
    rsync)
      timeit "rsync/$set" rsync -a -e "ssh -p $PORT ${SSHOPTS[*]}" "$W/src/$set/" "$USER_NAME@127.0.0.1:$DST/$set/"
      [ "$set" = tree ] && timeit "rsync-rerun/$set" rsync -a -e "ssh -p $PORT ${SSHOPTS[*]}" "$W/src/$set/" "$USER_NAME@127.0.0.1:$DST/$set/" ;;
    cp) # timed as timeit does, and its CPU (user + sys) noted for the floor below
      sync
      local s e; s=$(now)
      { TIMEFORMAT='%U %S'; time cp -r "$W/src/tree" "$DST/tree"; } 2> "$W/cp-cpu"
      e=$(now)
      T[cp/tree]="${T[cp/tree]:-} $(echo "$e - $s" | bc -l)"
      CPCPU="${CPCPU:-} $(awk '{print $1 + $2}' "$W/cp-cpu")" ;;
  esac
  return 0
}
# A first copy of the tree, dropped from the cache, so that the first
# case, too, writes into pages used before (see fresh).
cp -r "$W/src/tree" "$OUT/warm"
evict "$OUT/warm"
REPS=${REPS:-1}
for set in large small tree local; do
  case " $SETS " in *" $set "*) ;; *) continue ;; esac
  tools=(before planrun scp rsync)
  [ "$set" = local ] && tools=(before planrun cp)
  for rep in $(seq 0 $((REPS - 1))); do
    n=${#tools[@]}
    for i in $(seq 0 $((n - 1))); do
      run_case "${tools[$(((i + rep) % n))]}" "$set"
    done
  done
done
# The floor for the local goal: a copy that computes the sha256 of every
# byte spends at least cp's CPU (moving the bytes; noted in the timed cp
# runs above) plus the hash's, spread at best over every core. The hash's
# is openssl's user time for SHA-256 alone on the same data (its reads
# are in cp's part).
case " $SETS " in *" local "*)
  TIMEFORMAT='%U %S'
  for _ in $(seq "$REPS"); do
    SHACPU="${SHACPU:-} $({ time find "$W/src/tree" -type f -exec openssl dgst -sha256 -r {} + >/dev/null; } 2>&1 | awk '{print $1}')"
  done
  # shellcheck disable=SC2086
  CPCPU=$(median $CPCPU) SHACPU=$(median $SHACPU)
  unset TIMEFORMAT ;;
esac
fresh
# Each time is the median over the repetitions.
for k in "${!T[@]}"; do
  # shellcheck disable=SC2086
  T[$k]=$(median ${T[$k]})
done

mb() { case $1 in large) echo $((NLARGE * LARGE_MB));; small) echo "$SMALL_MB";; tree) echo "$TOTAL_MB";; esac; }
printf '\n%-22s %9s %10s\n' "case" "seconds" "MiB/s"
for k in before/large planrun/large scp/large rsync/large before/small planrun/small scp/small rsync/small \
         before/tree planrun/tree scp/tree rsync/tree planrun-rerun/tree rsync-rerun/tree \
         before-local/tree planrun-local/tree cp/tree; do
  [ -n "${T[$k]:-}" ] || continue
  set=${k#*/}
  printf '%-22s %9.2f %10.1f\n' "$k" "${T[$k]}" "$(echo "$(mb "$set") / ${T[$k]}" | bc -l)"
done
ratio() { # label a b goal: prints a/b when both were timed
  [ -n "${T[$2]:-}" ] && [ -n "${T[$3]:-}" ] || return 0
  printf '  %-24s %6.2f  %s\n' "$1" "$(echo "${T[$2]} / ${T[$3]}" | bc -l)" "$4"
}
echo; echo "ratios:"
ratio "scp/planrun large" scp/large planrun/large "(goal >= 1)"
ratio "scp/planrun small" scp/small planrun/small "(goal >= 3)"
ratio "rsync/planrun small" rsync/small planrun/small ""
ratio "scp/planrun tree" scp/tree planrun/tree ""
ratio "planrun-local/cp" planrun-local/tree cp/tree "(goal <= 1.2)"
ratio "rerun/first" planrun-rerun/tree planrun/tree "(goal < 0.1)"
if [ -n "${CPCPU:-}" ] && [ -n "${T[cp/tree]:-}" ]; then
  NCPU=$(nproc)
  FLOOR=$(echo "($CPCPU + $SHACPU) / $NCPU" | bc -l)
  printf '  %-24s %6.2f  %s\n' "floor-local/cp" "$(echo "$FLOOR / ${T[cp/tree]}" | bc -l)" \
    "(no copy that hashes every byte beats this here: (cp CPU $CPCPU s + SHA-256 CPU $SHACPU s) / $NCPU cores)"
fi
if [ -n "${BEFORE:-}" ]; then
  ratio "scp/before large" scp/large before/large ""
  ratio "scp/before small" scp/small before/small ""
  ratio "rsync/before small" rsync/small before/small ""
  ratio "before-local/cp" before-local/tree cp/tree ""
  ratio "before/planrun small" before/small planrun/small "(old time / new time)"
  ratio "before/planrun local" before-local/tree planrun-local/tree "(old time / new time)"
fi
