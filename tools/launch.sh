# Sourced by the launchers (tools/{dist,slurm}_{train,test}.sh, tools/benchmarks/**): the
# argument check and the two ways of starting a tool of this folder on several processes.
# Environment: PYTHON (default: the repository's .venv, else python; see find_python.sh);
# torchrun: NNODES, NODE_RANK, MASTER_ADDR, PORT; srun: GPUS (8), GPUS_PER_NODE (8),
# CPUS_PER_TASK (5), SRUN_ARGS (several srun options).
LAUNCH_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=find_python.sh
source "$LAUNCH_TOOLS/find_python.sh"

# `require_args N USAGE ARGS...`: exit 2 with "usage: <launcher> USAGE" unless N arguments.
require_args() {
    local needed=$1 usage=$2
    shift 2
    if [ $# -lt "$needed" ]; then
        echo "usage: $0 $usage" >&2
        exit 2
    fi
}

# `torchrun_tool TOOL GPUS ARGS...`: tools/TOOL ARGS on GPUS processes per node under
# torch.distributed.run (the repository root on PYTHONPATH, for configs' custom_imports).
torchrun_tool() {
    local tool=$1 gpus=$2
    shift 2
    PYTHONPATH="$LAUNCH_TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
    "$PYTHON" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" \
        --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$gpus" \
        --master_port="${PORT:-29500}" \
        "$LAUNCH_TOOLS/$tool" "$@"
}

# `srun_tool TOOL PARTITION JOB_NAME ARGS...`: tools/TOOL ARGS as a Slurm job step.
srun_tool() {
    local tool=$1 partition=$2 job=$3
    shift 3
    local gpus_per_node=${GPUS_PER_NODE:-8}
    # SRUN_ARGS is deliberately word-split: it holds several srun options.
    # shellcheck disable=SC2086
    PYTHONPATH="$LAUNCH_TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
    srun -p "$partition" \
        --job-name="$job" \
        --gres=gpu:"$gpus_per_node" \
        --ntasks="${GPUS:-8}" \
        --ntasks-per-node="$gpus_per_node" \
        --cpus-per-task="${CPUS_PER_TASK:-5}" \
        --kill-on-bad-exit=1 \
        ${SRUN_ARGS:-} \
        "$PYTHON" -u "$LAUNCH_TOOLS/$tool" "$@"
}
