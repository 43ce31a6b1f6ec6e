#!/usr/bin/env bash
# A throwaway one-node SLURM cluster on localhost (munged + slurmctld + slurmd, no accounting
# database), used to test profiles/slurm for real. Config, state, logs, pid files, the munge key
# and socket all live in one folder (DIR), with free ports picked per folder; the system's own
# munge/SLURM files are not used. The one exception is a symlink, explained below.
#
#   scripts/slurm_local_cluster.sh start  [DIR]  # idempotent; prints export SLURM_CONF=…
#   scripts/slurm_local_cluster.sh status [DIR]  # exit 0 when the node answers, 1 when not
#   scripts/slurm_local_cluster.sh stop   [DIR]  # idempotent; stops only the daemons of DIR
#
# DIR defaults to $SLURM_LOCAL_DIR, else /tmp/foundry-slurm. SLURM clients find the config through
# SLURM_CONF=DIR/slurm.conf (`start` also writes DIR/env) and, because snakemake's slurm-jobstep
# plugin drops every SLURM_* variable before its inner `srun`, through a symlink
# /etc/slurm/slurm.conf -> DIR/slurm.conf. That symlink is the one thing written outside DIR: it is
# made only where no slurm.conf exists (or an earlier one of ours, no longer running), and `stop`
# removes it again. A real slurm.conf on the machine is never touched (start refuses, exit 2).
# Exit status 2 means "cannot run here" (not root, or slurm-wlm / munge not installed).
# Environment: SLURM_LOCAL_CPUS (default: nproc), SLURM_LOCAL_MEM_MB (default: machine memory
# minus 1 GiB), SLURM_LOCAL_WAIT_S (default 60: bound for every wait below).
set -euo pipefail

action=${1:-status}
DIR=$(realpath -m "${2:-${SLURM_LOCAL_DIR:-/tmp/foundry-slurm}}")
CONF=$DIR/slurm.conf
SYS_CONF=/etc/slurm/slurm.conf
WAIT_S=${SLURM_LOCAL_WAIT_S:-60}
export SLURM_CONF=$CONF

say() { echo "slurm_local_cluster: $*" >&2; }

# Poll a command every 0.2 s until it succeeds; give up after WAIT_S seconds.
wait_for() {
    local what=$1
    shift
    local deadline=$((SECONDS + WAIT_S))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            say "gave up after ${WAIT_S}s waiting for $what (logs: $DIR/log/)"
            return 1
        fi
        sleep 0.2
    done
}

# The pid in a pid file, only if that process is still the daemon we expect (no pid reuse).
live_pid() {
    local file=$1 name=$2 pid
    [[ -s $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name" || return 1
    echo "$pid"
}

stop_daemon() {
    local file=$1 name=$2 pid deadline
    pid=$(live_pid "$file" "$name") || return 0
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + WAIT_S))
    while [[ -e /proc/$pid ]] && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if [[ -e /proc/$pid ]]; then
        say "$name (pid $pid) ignored SIGTERM for ${WAIT_S}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

node_up() {
    # The node counts as up once slurmctld answers and reports it usable.
    local state
    state=$(sinfo --noheader --Node --format=%T 2>/dev/null | head -n1) || return 1
    [[ $state =~ ^(idle|mixed|allocated|completing)$ ]]
}

check_can_run() {
    local missing=()
    for bin in munged mungekey slurmctld slurmd sbatch srun squeue sinfo scontrol scancel; do
        command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
    done
    if ((${#missing[@]})); then
        say "missing ${missing[*]}: install the Debian packages slurm-wlm and munge"
        exit 2
    fi
    if [[ $(id -u) != 0 ]]; then
        say "must run as root (slurmd starts each job as the submitting user); running as $(id -un)"
        exit 2
    fi
}

# Point /etc/slurm/slurm.conf at our config (see the header), never over someone else's.
link_system_conf() {
    local target
    if [[ -L $SYS_CONF ]]; then
        target=$(readlink "$SYS_CONF")
        [[ $target == "$CONF" ]] && return 0
        if [[ $target == */slurm.conf && -e $target ]] &&
            grep -q '^# Written by scripts/slurm_local_cluster.sh' "$target" &&
            SLURM_CONF=$target timeout 5 scontrol ping >/dev/null 2>&1; then
            say "another local test cluster is running ($target): stop it first"
            exit 1
        fi
    elif [[ -e $SYS_CONF ]]; then
        say "$SYS_CONF exists and is not ours: this machine has its own SLURM; use that instead"
        exit 2
    fi
    mkdir -p "$(dirname "$SYS_CONF")"
    ln -sfn "$CONF" "$SYS_CONF"
}

unlink_system_conf() {
    if [[ -L $SYS_CONF && $(readlink "$SYS_CONF") == "$CONF" ]]; then
        rm -f "$SYS_CONF"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() {
    local host cpus mem_mb ctld_port slurmd_port
    host=$(hostname -s)
    cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
    mem_mb=${SLURM_LOCAL_MEM_MB:-$(($(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo) - 1024))}
    if [[ -s $DIR/ports ]]; then
        read -r ctld_port slurmd_port <"$DIR/ports"
    else
        ctld_port=$(free_port)
        slurmd_port=$(free_port)
        while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(free_port); done
        echo "$ctld_port $slurmd_port" >"$DIR/ports"
    fi
    cat >"$CONF.tmp" <<EOF
# Written by scripts/slurm_local_cluster.sh: a one-node test cluster, no accounting database.
ClusterName=foundry-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
# Reject at submission what the node can never run, rather than leave it pending forever.
EnforcePartLimits=ALL
# Finished jobs stay visible to squeue for 10 min (snakemake's status poll relies on it).
MinJobAge=600
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$CONF.tmp" "$CONF"
    printf 'export SLURM_CONF=%q\n' "$CONF" >"$DIR/env"
}

start() {
    check_can_run
    if [[ -s $CONF ]] && node_up; then
        link_system_conf
        say "already running ($DIR)"
        echo "export SLURM_CONF=$CONF"
        return 0
    fi
    if ((${#DIR} > 80)); then
        say "folder path too long for munge's UNIX socket (${#DIR} > 80 characters): $DIR"
        exit 1
    fi
    mkdir -p "$DIR"/{munge,state,spool,log}
    chmod 700 "$DIR" "$DIR/munge"
    write_config
    link_system_conf

    if ! live_pid "$DIR/munge/munged.pid" munged >/dev/null; then
        [[ -s $DIR/munge/munge.key ]] || mungekey --create --keyfile="$DIR/munge/munge.key"
        chmod 400 "$DIR/munge/munge.key"
        # --force: as root, munged otherwise refuses over the log file's ownership.
        munged --force \
            --key-file="$DIR/munge/munge.key" \
            --socket="$DIR/munge/munge.socket" \
            --pid-file="$DIR/munge/munged.pid" \
            --log-file="$DIR/log/munged.log" \
            --seed-file="$DIR/munge/munged.seed"
    fi
    wait_for "munged's socket" test -S "$DIR/munge/munge.socket"

    if ! live_pid "$DIR/slurmctld.pid" slurmctld >/dev/null; then
        slurmctld -f "$CONF"
    fi
    wait_for "slurmctld to answer" scontrol ping
    if ! live_pid "$DIR/slurmd.pid" slurmd >/dev/null; then
        slurmd -f "$CONF"
    fi
    wait_for "the node to become idle" node_up
    say "up: $(sinfo --noheader --Node --format='%N %T cpus=%c mem=%m' | head -n1) ($DIR)"
    echo "export SLURM_CONF=$CONF"
}

stop() {
    if [[ -s $CONF ]] && live_pid "$DIR/slurmctld.pid" slurmctld >/dev/null; then
        # Cancel whatever is still queued or running in this throwaway cluster.
        timeout 10 scancel --full --user="$(id -un)" 2>/dev/null || true
    fi
    stop_daemon "$DIR/slurmd.pid" slurmd
    stop_daemon "$DIR/slurmctld.pid" slurmctld
    stop_daemon "$DIR/munge/munged.pid" munged
    unlink_system_conf
    say "stopped ($DIR)"
}

status() {
    if [[ -s $CONF ]] && node_up; then
        sinfo --Node --format='%N %P %T %c %m'
        return 0
    fi
    say "not running ($DIR)"
    return 1
}

case $action in
start) start ;;
stop) stop ;;
status) status ;;
*)
    say "unknown action '$action': use start, stop or status"
    exit 64
    ;;
esac
