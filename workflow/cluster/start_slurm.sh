#!/usr/bin/env bash
# A throw-away single-node SLURM on this machine: to prove the SLURM profile (tests/test_cluster.py)
# and to try workflow/profiles/slurm by hand. Everything lives in one folder (munge key and socket,
# slurm.conf with this node's CPUs and memory, state, spool, logs); every daemon started here is
# stopped by its PID on exit (trap), with any job still running, so nothing is left behind.
#
#   workflow/cluster/start_slurm.sh [--dir DIR] -- COMMAND [ARGS...]
#       start, run COMMAND with SLURM_CONF exported, stop; exits with COMMAND's status
#   workflow/cluster/start_slurm.sh [--dir DIR]
#       start, print `export SLURM_CONF=...` and a line `ready`, hold until stdin closes
#       (Enter, Ctrl-D, or the parent process exiting) or a signal (Ctrl-C, TERM), then stop
#
# --dir DIR: use (and keep) DIR; by default a new folder under /tmp, removed on exit.
# /etc/slurm/slurm.conf becomes a link to DIR/slurm.conf while the cluster runs (the job-step
# executor drops SLURM_CONF from the environment of its srun, which then reads the default path);
# the script refuses to start if that file exists and is not a stale link of an earlier run.
# Needs root (munged and slurmd run as root) and Debian's packages: apt-get install -y slurm-wlm munge
#
# No accounting (no slurmdbd, no database): the executor plugin must poll job states with squeue,
#   snakemake --profile workflow/profiles/slurm --slurm-status-command squeue ...
# MinJobAge=300 keeps finished jobs visible to squeue for 5 minutes, far above the plugin's polling
# interval (the plugin falls back to sacct when MinJobAge < 3 x --slurm-init-seconds-before-status-checks).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
NAME=start_slurm.sh

die() { echo "$NAME: $*" >&2; exit 2; }

dir= keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) [ $# -ge 2 ] || die "--dir needs a folder"; dir=$2; keep=1; shift 2 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

[ "$(id -u)" = 0 ] || die "needs root (munged and slurmd run as root): run it as root"
missing=()
for tool in munged slurmctld slurmd sinfo sbatch squeue scontrol scancel srun; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} = 0 ] || die "missing ${missing[*]}: install them with: apt-get install -y slurm-wlm munge"

SYSTEM_CONF=/etc/slurm/slurm.conf
if [ -L "$SYSTEM_CONF" ]; then
    owner=$(dirname "$(readlink "$SYSTEM_CONF")")
    if [ -f "$owner/.bbm-slurm" ] && kill -0 "$(cat "$owner/slurmctld.pid" 2>/dev/null)" 2>/dev/null; then
        die "another throw-away cluster runs ($SYSTEM_CONF -> $owner); stop it first"
    fi
    [ -f "$owner/.bbm-slurm" ] || [ ! -e "$SYSTEM_CONF" ] || \
        die "$SYSTEM_CONF exists: this machine has a SLURM configuration; use that cluster instead"
    rm -f "$SYSTEM_CONF"   # left by an earlier run that was killed
elif [ -e "$SYSTEM_CONF" ]; then
    die "$SYSTEM_CONF exists: this machine has a SLURM configuration; use that cluster instead"
fi

if [ -n "$dir" ]; then
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
else
    dir=$(mktemp -d /tmp/bbm-slurm.XXXXXX)
fi
chmod 700 "$dir"
touch "$dir/.bbm-slurm"
# A marker in every daemon's environment: slurmstepd and the jobs' processes inherit it, so the
# cleanup finds strays by it (munge's socket path must also stay short: sun_path is 108 bytes).
export BBM_SLURM_DIR="$dir"
export SLURM_CONF="$dir/slurm.conf"

reader=
pids=()   # started daemons, in start order; stopped in reverse
names=()

stop_all() {
    local status=$? i pid deadline
    trap - EXIT INT TERM HUP
    set +e
    [ -z "$reader" ] || kill "$reader" 2>/dev/null
    if [ ${#pids[@]} -ge 2 ]; then   # the controller runs: cancel what is queued or running
        scancel --quiet --full --user=root >/dev/null 2>&1
        deadline=$((SECONDS + 15))
        while [ -n "$(squeue --noheader --states=RUNNING,COMPLETING,PENDING 2>/dev/null)" ] && [ $SECONDS -lt $deadline ]; do
            sleep 0.5
        done
    fi
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid=${pids[i]}
        kill -TERM "$pid" 2>/dev/null || continue
        deadline=$((SECONDS + 10))
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null && echo "$NAME: ${names[i]} (pid $pid) ignored TERM; killed" >&2
        wait "$pid" 2>/dev/null
    done
    # slurmstepd and job processes outlive slurmd: stop any that carry this cluster's marker, by PID.
    for environ in /proc/[0-9]*/environ; do
        pid=${environ#/proc/}; pid=${pid%/environ}
        [ "$pid" = $$ ] && continue
        if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qxF "BBM_SLURM_DIR=$dir"; then
            kill -KILL "$pid" 2>/dev/null && echo "$NAME: stopped leftover process $pid" >&2
        fi
    done
    [ "$(readlink "$SYSTEM_CONF" 2>/dev/null)" = "$SLURM_CONF" ] && rm -f "$SYSTEM_CONF"
    rm -f "$dir/.bbm-slurm"
    [ "$keep" = 1 ] || rm -rf "$dir"
    exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

start() {   # NAME COMMAND...: a daemon in the foreground of a background job, output to DIR/NAME.out
    local name=$1; shift
    "$@" </dev/null >>"$dir/$name.out" 2>&1 &
    pids+=($!)
    names+=("$name")
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ctld_port=
for base in $(seq 6817 10 7817); do
    if port_free "$base" && port_free $((base + 1)); then ctld_port=$base; break; fi
done
[ -n "$ctld_port" ] || die "no free pair of ports between 6817 and 7818"

# munge: a fresh key, its own socket, no system files touched.
mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
chmod 700 "$dir/munge"
head -c 1024 /dev/urandom >"$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
start munged munged --foreground --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
for _ in $(seq 100); do [ -S "$dir/munge/socket" ] && break; sleep 0.1; done
[ -S "$dir/munge/socket" ] || { tail -n 20 "$dir/munged.out" >&2; die "munged did not start"; }

# The node as slurmd sees it (CPUs, sockets, cores, threads, memory in MB).
node=$(slurmd -C | head -n 1)
host=$(hostname -s)
case "$node" in NodeName=*" CPUs="*" RealMemory="*) ;; *) die "unexpected 'slurmd -C' output: $node" ;; esac
hardware=${node#NodeName=* }
cat >"$SLURM_CONF" <<EOF
# Written by workflow/cluster/start_slurm.sh: a throw-away single-node cluster, no accounting.
ClusterName=bbm
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups (containers rarely allow them); jobs are bound to their CPUs as on a real cluster.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=300
KillWait=5
InactiveLimit=0
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

mkdir -p "$(dirname "$SYSTEM_CONF")"
ln -s "$SLURM_CONF" "$SYSTEM_CONF"

start slurmctld slurmctld -D -f "$SLURM_CONF"
start slurmd slurmd -D -f "$SLURM_CONF"

# Ready when the node is idle; a daemon that exits meanwhile is reported with its log.
deadline=$((SECONDS + 60))
until [ "$(sinfo --noheader --nodes="$host" --format=%T 2>/dev/null)" = idle ]; do
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[i]}" 2>/dev/null; then
            tail -n 20 "$dir/${names[i]}.out" >&2
            die "${names[i]} exited during start-up (logs in $dir)"
        fi
    done
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2; die "node not idle after 60 s"; }
    sleep 0.2
done
echo "$NAME: node $host idle (${hardware%% Boards*}, ${hardware##*RealMemory=} MB, partition main, ports $ctld_port-$((ctld_port + 1)), folder $dir)" >&2

if [ $# -gt 0 ]; then
    set +e
    "$@"
    exit $?
fi
echo "export SLURM_CONF=$SLURM_CONF"
echo ready
# Hold until a line or the end of stdin; `read` waits in the background so that signals reach the
# traps at once (stop_all ends it).
read -r _ <&0 &
reader=$!
wait "$reader" || true
