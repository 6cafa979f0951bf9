# Sourced by the benchmark launchers. `pretrain_options KIND CHECKPOINT` fills the array
# PRETRAIN_OPTIONS with the --cfg-options that put a pre-training checkpoint into a benchmark
# config's init_cfgs (configs/benchmarks/*: `Pretrained` in mmpcd's scope, prefix backbone.):
#   KIND backbone: model.backbone only; c4: also model.roi_head.shared_head (res5 of C4 lives
#   in the RoI head and loads backbone.layer4.*); fcos: also model.neck and the towers of
#   model.bbox_head (second entry of its init_cfg), from a checkpoint in mmdet FCOS's layout
#   (extract_backbone_weights.py --fcos). INIT_FPN=1 also loads model.neck from the
#   checkpoint's neck.* (a PixPro-FPN checkpoint).
source "$(dirname "${BASH_SOURCE[0]}")/../launch.sh"

pretrain_options() {
    local kind=$1 checkpoint=$2
    if [[ "$checkpoint" != *://* && ! -f "$checkpoint" ]]; then
        echo "pre-training checkpoint $checkpoint does not exist: pass the .pth written by" \
             "tools/train.py (or tools/model_converters/extract_backbone_weights.py)" >&2
        exit 2
    fi
    PRETRAIN_OPTIONS=(--cfg-options "model.backbone.init_cfg.checkpoint=$checkpoint")
    if [ "$kind" = c4 ]; then
        PRETRAIN_OPTIONS+=("model.roi_head.shared_head.init_cfg.checkpoint=$checkpoint")
    elif [ "$kind" = fcos ]; then
        PRETRAIN_OPTIONS+=("model.neck.init_cfg.checkpoint=$checkpoint"
                           "model.bbox_head.init_cfg.1.checkpoint=$checkpoint")
    fi
    if [ "${INIT_FPN:-0}" = 1 ]; then
        PRETRAIN_OPTIONS+=(model.neck.init_cfg.type=Pretrained
                           model.neck.init_cfg._scope_=mmpcd
                           "model.neck.init_cfg.checkpoint=$checkpoint"
                           model.neck.init_cfg.prefix=neck.)
    fi
}

# `dist_benchmark KIND CONFIG CHECKPOINT GPUS [train.py options]`: tools/train.py under
# torchrun with the checkpoint injected and WORK_DIR (default work_dirs/benchmarks/<config
# name>); options given after the checkpoint's (a later --work-dir, more --cfg-options) take
# precedence.
dist_benchmark() {
    local kind=$1
    shift
    require_args 3 'CONFIG PRETRAIN_CHECKPOINT GPUS [train.py options]' "$@"
    local config=$1 checkpoint=$2 gpus=$3
    shift 3
    pretrain_options "$kind" "$checkpoint"
    local name
    name=$(basename "${config%.py}")
    torchrun_tool train.py "$gpus" "$config" --launcher pytorch \
        --work-dir "${WORK_DIR:-work_dirs/benchmarks/$name}" "${PRETRAIN_OPTIONS[@]}" "$@"
}

# `slurm_benchmark KIND PARTITION JOB_NAME CONFIG CHECKPOINT WORK_DIR [train.py options]`:
# tools/train.py as a Slurm job step (GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS as for
# tools/slurm_train.sh).
slurm_benchmark() {
    local kind=$1
    shift
    require_args 5 'PARTITION JOB_NAME CONFIG PRETRAIN_CHECKPOINT WORK_DIR [train.py options]' \
        "$@"
    local partition=$1 job=$2 config=$3 checkpoint=$4 work_dir=$5
    shift 5
    pretrain_options "$kind" "$checkpoint"
    srun_tool train.py "$partition" "$job" "$config" --work-dir="$work_dir" --launcher=slurm \
        "${PRETRAIN_OPTIONS[@]}" "$@"
}
