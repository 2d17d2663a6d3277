#!/usr/bin/env bash
# Stop the single-node SLURM started by start-slurm.sh and leave nothing behind:
#
#   tests/slurm/stop-slurm.sh BASE        # KEEP_STATE=1 keeps BASE (logs) instead of deleting it
#
# 1. cancels the cluster's jobs and waits until none is running, so no slurmstepd or job process outlives it;
# 2. stops slurmd, slurmctld, munged by the pids in BASE/run/*.pid (TERM, then KILL after 10 s);
# 3. removes /etc/slurm/slurm.conf only if it points into BASE, and BASE only if start-slurm.sh made it.
# Exits non-zero if a daemon or a job could not be stopped.
set -uo pipefail

BASE=${1:?usage: stop-slurm.sh BASE}
BASE=$(cd "$BASE" 2>/dev/null && pwd) || { echo "stop-slurm.sh: no such directory: $1" >&2; exit 1; }
[ -e "$BASE/.mimicry-slurm" ] || { echo "stop-slurm.sh: $BASE was not made by start-slurm.sh" >&2; exit 1; }
export SLURM_CONF=$BASE/etc/slurm.conf
LINK=/etc/slurm/slurm.conf
status=0

alive() { [ -s "$BASE/run/$1.pid" ] && kill -0 "$(cat "$BASE/run/$1.pid")" 2>/dev/null; }

if alive slurmctld; then
  jobs=$(squeue -h -o %i -t pending,running,suspended,completing 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    echo "cancelling jobs: $jobs"
    scancel $jobs
    for _ in $(seq 1 100); do
      [ -z "$(squeue -h -o %i -t pending,running,suspended,completing 2>/dev/null)" ] && break
      sleep 0.2
    done
    left=$(squeue -h -o '%i %T' -t pending,running,suspended,completing 2>/dev/null)
    [ -z "$left" ] || { echo "stop-slurm.sh: jobs still active after 20 s: $left" >&2; status=1; }
  fi
fi

stop() { # stop <name>...: TERM them together (each takes about 2 s to exit), KILL what is left after 10 s
  local name pid pids=()
  for name in "$@"; do
    [ -s "$BASE/run/$name.pid" ] || continue
    pid=$(cat "$BASE/run/$name.pid")
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" && pids+=("$name:$pid")
  done
  for entry in "${pids[@]}"; do
    name=${entry%%:*}; pid=${entry#*:}
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$name ($pid) did not exit on TERM; sending KILL" >&2
      kill -KILL "$pid"; sleep 0.2
      kill -0 "$pid" 2>/dev/null && { echo "stop-slurm.sh: $name ($pid) still alive" >&2; status=1; continue; }
    fi
    echo "stopped $name ($pid)"
    rm -f "$BASE/run/$name.pid"
  done
}
stop slurmd slurmctld
stop munged   # last: the slurm daemons authenticate through it until they exit

[ "$(readlink "$LINK" 2>/dev/null)" = "$BASE/etc/slurm.conf" ] && rm -f "$LINK"
if [ "${KEEP_STATE:-0}" != 1 ] && [ $status = 0 ]; then
  rm -rf "$BASE"
fi
exit $status
