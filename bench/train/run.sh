#!/usr/bin/env bash
# Training-step speed and memory, runner vs transformers + PEFT (+ bitsandbytes NF4), same machine,
# same run: SmolLM2-135M from the same GGUF file, batch 4 × 256, LoRA r=16 on all linear layers,
# gradient checkpointing on. Sides alternate within each repeat so load changes hit all of them;
# each runs in its own process (peak RSS is per process). Run from anywhere:
#   bench/train/run.sh [repeats=3] [steps=3]
# Env: SKIP_BUILD=1 runs the TrainBench already built; SIDES="runner-f32 runner-bf16 runner-nf4-bf16 peft-fp32 peft-nf4" to pick sides;
#      TRAINBENCH=path runs that TrainBench binary; BASELINE=path (an older TrainBench) adds the sides
#      before-f32 / before-bf16 (name them in SIDES) for a same-run before/after comparison.
# Prints a table (bench/train/summarize.py) and writes .build/bench-train/summary.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats=${1:-3}
steps=${2:-3}
sides=${SIDES:-runner-f32 runner-bf16 runner-nf4-f32 runner-nf4-bf16 peft-fp32 peft-nf4}
out=.build/bench-train
mkdir -p "$out"
results="$out/results.jsonl"
: > "$results"
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product TrainBench 2>&1 | tail -1
model=models/SmolLM2-135M-Instruct.Q4_1.gguf
common=(--batch 4 --seq 256 --rank 16 --steps "$steps" --warmup 1)

bench=${TRAINBENCH:-.build/release/TrainBench}
run_side() {
    local side=$1
    case $side in
        runner-f32) "$bench" "$model" "${common[@]}" ;;
        runner-bf16) "$bench" "$model" "${common[@]}" --bf16 ;;
        runner-nf4-f32) "$bench" "$model" "${common[@]}" --nf4 ;;
        runner-nf4-bf16) "$bench" "$model" "${common[@]}" --nf4 --bf16 ;;
        before-f32) "$BASELINE" "$model" "${common[@]}" | sed 's/"side":"runner-/"side":"before-/' ;;
        before-bf16) "$BASELINE" "$model" "${common[@]}" --bf16 | sed 's/"side":"runner-/"side":"before-/' ;;
        peft-fp32) .venv/bin/python bench/train/peft_step.py --model "$model" "${common[@]}" --mode fp32 2>/dev/null ;;
        peft-nf4) .venv/bin/python bench/train/peft_step.py --model "$model" "${common[@]}" --mode nf4 2>/dev/null ;;
        *) echo "unknown side $side" >&2; return 2 ;;
    esac
}

for repeat in $(seq 1 "$repeats"); do
    for side in $sides; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        line=$(run_side "$side" | tail -1) || { echo "$side failed" >&2; continue; }
        echo "{\"repeat\": $repeat, \"load_average\": $load, \"result\": $line}" | tee -a "$results" >&2
    done
done
.venv/bin/python bench/train/summarize.py "$results" "$out/summary.json"
