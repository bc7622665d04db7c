#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for testing profiles/slurm.
#
#   scripts/local-slurm.sh install   # Debian's slurm-wlm and munge (root or sudo)
#   scripts/local-slurm.sh start     # munged + slurmctld + slurmd on localhost
#   scripts/local-slurm.sh stop
#   scripts/local-slurm.sh env       # prints 'export SLURM_CONF=...' for sbatch/squeue/snakemake
#
# The generated slurm.conf lives in $LOCAL_SLURM_DIR (default /tmp/advrepro-slurm) and is
# linked to /etc/slurm/slurm.conf, where every client (also srun inside a job, which does not
# see SLURM_CONF) looks; an /etc/slurm/slurm.conf that this script did not write is never
# replaced (the script stops instead). Settings: proctrack/linuxproc, task/none,
# select/cons_tres, no accounting storage (so sacct has no data: the profile queries squeue).
set -euo pipefail
STATE=${LOCAL_SLURM_DIR:-/tmp/advrepro-slurm}
CONF=$STATE/slurm.conf
export SLURM_CONF=$CONF

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install() {
    if command -v slurmctld >/dev/null && command -v munged >/dev/null; then return; fi
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq slurm-wlm munge >/dev/null
}

write_conf() {
    mkdir -p "$STATE/ctld" "$STATE/d" "$STATE/log"
    local cpus mem
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
    cat > "$CONF" <<CONF
ClusterName=advrepro-local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
}

link_conf() {
    local system=/etc/slurm/slurm.conf
    if [ -e "$system" ] && ! grep -q '^ClusterName=advrepro-local$' "$system"; then
        echo "$system exists and is not ours; refusing to replace it" >&2
        exit 1
    fi
    as_root mkdir -p /etc/slurm
    as_root ln -sfn "$CONF" "$system"
}

start() {
    install
    write_conf
    link_conf
    if ! pgrep -x munged >/dev/null; then
        as_root mkdir -p /run/munge /var/log/munge /var/lib/munge
        [ -f /etc/munge/munge.key ] || as_root mungekey --create
        as_root chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
        as_root runuser -u munge -- /usr/sbin/munged || as_root /usr/sbin/munged --force
    fi
    pgrep -x slurmctld >/dev/null || as_root env SLURM_CONF="$CONF" slurmctld
    pgrep -x slurmd >/dev/null || as_root env SLURM_CONF="$CONF" slurmd
    for _ in $(seq 1 30); do
        if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            echo "local SLURM is up (SLURM_CONF=$CONF)" >&2
            return
        fi
        sleep 1
    done
    echo "local SLURM did not come up; logs in $STATE/log" >&2
    exit 1
}

stop() {
    as_root pkill -x slurmd || true
    as_root pkill -x slurmctld || true
    for _ in $(seq 1 30); do
        pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || return 0
        sleep 1
    done
    echo "slurmd/slurmctld still running after 30 s" >&2
    exit 1
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *) echo "usage: $0 install|start|stop|env" >&2; exit 2 ;;
esac
