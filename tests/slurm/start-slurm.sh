#!/usr/bin/env bash
# Start a real single-node SLURM "cluster" on localhost (munged + slurmctld + slurmd), for the tests
# and for trying the slurm profile on a workstation. Debian/Ubuntu, run as root.
#
#   tests/slurm/start-slurm.sh [BASE]     # prints BASE=<dir>; stop with: tests/slurm/stop-slurm.sh <dir>
#
# BASE (default: a new /tmp/mimicry-slurm.XXXXXX) holds the whole state: munge key and socket,
# slurm.conf, spool, logs and pid files. The only thing outside it is one symlink,
# /etc/slurm/slurm.conf -> BASE/etc/slurm.conf, which is required: the executor plugin's job step strips
# SLURM_CONF before the inner `srun`, so srun inside a job only finds the default path.
# Missing packages (slurmctld slurmd slurm-client munge) are installed with apt-get.
# No slurmdbd: `sacct` does not work, so the profile uses `slurm-status-command: squeue` and this
# cluster keeps finished jobs in squeue for MinJobAge=3600 s (>= 3 x the profile's first status check).
# On any failure everything started so far is stopped again. Environment overrides:
#   SLURMCTLD_PORT (6817), SLURMD_PORT (6818), SLURM_REAL_MEMORY_MB (node memory, default: MemTotal).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CTLD_PORT=${SLURMCTLD_PORT:-6817}
SLURMD_PORT=${SLURMD_PORT:-6818}
LINK=/etc/slurm/slurm.conf
PACKAGES="slurmctld slurmd slurm-client munge"
MARKER=.mimicry-slurm

t0=$EPOCHREALTIME
step() { printf '[%6.2fs] %s\n' "$(echo "$EPOCHREALTIME $t0" | awk '{print $1 - $2}')" "$*"; }
die() { echo "start-slurm.sh: error: $*" >&2; exit 1; }
wait_for() { # wait_for <seconds> <what> <command...>: poll every 0.2 s
  local n=$(( $1 * 5 )) what=$2; shift 2
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "timed out after $(( n / 5 )) s waiting for $what (logs in $BASE/log)"
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

[ "$(id -u)" = 0 ] || die "needs root (it installs packages, runs the daemons as SlurmUser=root and owns $LINK);
run the tests as root, e.g. in the CI container, or start it with sudo"

# ---------------------------------------------------------------- packages
missing=$(for p in $PACKAGES; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done | xargs)
if [ -n "$missing" ]; then
  command -v apt-get >/dev/null || die "packages missing ($missing) and no apt-get to install them"
  step "apt-get install $missing"
  # No daemon may be started by the packages' maintainer scripts: only the ones we start, by pid.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# mimicry start-slurm.sh: no service starts during install\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
  if ! install; then
    step "apt-get update (package lists missing or stale)"
    apt-get update -qq && install || { [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; die "apt-get install $missing failed"; }
  fi
  [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# ---------------------------------------------------------------- refuse to clobber another SLURM
if [ -e "$LINK" ] || [ -L "$LINK" ]; then
  target=$(readlink "$LINK" || true)
  base_of_link=${target%/etc/slurm.conf}
  if [ -n "$target" ] && [ -e "$base_of_link/$MARKER" ]; then
    die "$LINK belongs to another mimicry SLURM at $base_of_link; stop it first: $HERE/stop-slurm.sh $base_of_link"
  elif [[ "$target" == */etc/slurm.conf ]] && [ ! -e "$base_of_link" ]; then
    echo "removing stale symlink $LINK -> $target (its cluster is gone)"; rm -f "$LINK"
  else
    die "$LINK exists and is not ours (a real SLURM is configured on this machine?); not touching it"
  fi
fi
for port in "$CTLD_PORT" "$SLURMD_PORT"; do
  port_in_use "$port" && die "port $port is in use (another slurmctld/slurmd?); set SLURMCTLD_PORT/SLURMD_PORT"
done

# ---------------------------------------------------------------- state directory; stop all on failure
BASE=${1:-$(mktemp -d /tmp/mimicry-slurm.XXXXXX)}
mkdir -p "$BASE"
BASE=$(cd "$BASE" && pwd)
[ -z "$(ls -A "$BASE")" ] || die "$BASE is not empty"
[ ${#BASE} -le 80 ] || die "$BASE is too long for a unix socket path"
touch "$BASE/$MARKER"
trap 'status=$?; if [ $status != 0 ]; then echo "start failed; stopping what was started" >&2; "$HERE/stop-slurm.sh" "$BASE" >&2 || true; fi' EXIT
mkdir -p "$BASE"/{etc,run,log,munge,spool/ctld,spool/d}
chmod 755 "$BASE" "$BASE/run"  # munged insists that every directory above its socket is searchable
chmod 700 "$BASE/munge"
export SLURM_CONF=$BASE/etc/slurm.conf
step "state in $BASE"

# ---------------------------------------------------------------- munge
mungekey --create --keyfile="$BASE/munge/munge.key" --bits=1024
munged --key-file="$BASE/munge/munge.key" --socket="$BASE/run/munge.socket" --pid-file="$BASE/run/munged.pid" \
       --log-file="$BASE/log/munged.log" --seed-file="$BASE/munge/munged.seed"
wait_for 10 munged bash -c "munge -S '$BASE/run/munge.socket' -n | unmunge -S '$BASE/run/munge.socket'"
step "munged up"

# ---------------------------------------------------------------- slurm.conf
host=$(hostname -s)
cpus=$(nproc)
mem_mb=${SLURM_REAL_MEMORY_MB:-$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)}
cat >"$SLURM_CONF" <<EOF
# Single-node SLURM for the mimicry tests, written by tests/slurm/start-slurm.sh (no cgroups, no slurmdbd).
ClusterName=mimicry
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$BASE/run/munge.socket
StateSaveLocation=$BASE/spool/ctld
SlurmdSpoolDir=$BASE/spool/d
SlurmctldPidFile=$BASE/run/slurmctld.pid
SlurmdPidFile=$BASE/run/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
# memory is a consumable: a job without --mem gets DefMemPerCPU per cpu, not the whole node
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
ReturnToService=2
KillWait=5
# squeue keeps finished jobs this long (s): the plugin trusts squeue only if >= 3 x its first status check
# (profile: 5 s); an hour lets a test check every job of a long run after the run
MinJobAge=3600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus Sockets=1 CoresPerSocket=$cpus ThreadsPerCore=1 RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
mkdir -p /etc/slurm
ln -s "$SLURM_CONF" "$LINK"
step "slurm.conf written ($cpus cpus, $mem_mb MB), $LINK linked"

# ---------------------------------------------------------------- slurmctld + slurmd
slurmctld
wait_for 30 slurmctld scontrol ping
step "slurmctld up"
slurmd
wait_for 60 "node $host idle" bash -c "sinfo -h -N -o %T | grep -qx idle"
step "node idle"
out=$(srun -N1 -n1 -t 1 hostname) || die "smoke test srun hostname failed"
[ "$out" = "$(hostname)" ] || die "smoke test: srun hostname gave '$out'"
step "smoke test passed: srun hostname -> $out"
echo "BASE=$BASE"
