#!/usr/bin/env bash
# Issue 20's m3e-small students on a lent GPU, four at once: {m3e-small, + LAC stacked} x {MSRA + People's
# Daily, + the silver news}; then MSRA dev and modern dev for each, and the best (MSRA dev + modern dev all
# four) packed for the trip back. `bash scripts/gpu_carry.sh` builds what the lease carries (64 MiB in all; the repository's two model
# weights were left behind as symbolic links): .devcarry/whl (pytorch-crf, seqeval wheels),
# .devcarry/m3e-small (data/encoders/m3e-small in float16), .devcarry/data.tar.xz (data/corpora/msra,
# pd, the first 90,000 sentences of inews-silver, data/encoders/lac).
#     bash scripts/gpu_students.sh cuda 5.5        # on the device; results and the best model under $OUT
#     OUT=/tmp/o PY=.venv/bin/python bash scripts/gpu_students.sh cpu 0.2 --train-limit 30 --max-steps 1   # a dry run
DEV=${1:-cuda}; BUDGET=${2:-5.5}; shift 2; EXTRA="$*"
OUT=${OUT:-/tmp/out}; mkdir -p $OUT
PY=${PY:-python3}
if [ "$DEV" = cuda ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .devcarry/whl/*.whl && export PYTHONPATH=/tmp/site
  tar xJf .devcarry/data.tar.xz && rm -rf data/encoders/m3e-small && cp -r .devcarry/m3e-small data/encoders/m3e-small
  nvidia-smi -L
fi
$PY -c "import torch, transformers, torchcrf, seqeval; print('torch', torch.__version__, 'transformers', transformers.__version__, torch.cuda.is_available())"
export OMP_NUM_THREADS=3 PYTHONUNBUFFERED=1
M=data/encoders/m3e-small; S=data/corpora/inews-silver
COMMON="--encoder $M --device $DEV --epochs 2 --batch-size 64 --lr 1e-4 --patience 3 --time-budget $BUDGET --dev-limit 1000 --no-test --save-dtype float16 --quiet $EXTRA"
declare -A DATA=([m3e]=msra,pd [m3e-silver]=msra,pd,$S [m3e-lac]=msra,pd [m3e-lac-silver]=msra,pd,$S)
declare -A STACK=([m3e]= [m3e-silver]= [m3e-lac]="--stack lac" [m3e-lac-silver]="--stack lac")
mkdir -p runs
for v in m3e m3e-silver m3e-lac m3e-lac-silver; do
  echo "python train_job.py --out runs/$v --data ${DATA[$v]} ${STACK[$v]} $COMMON" >> runs/commands.log
  $PY train_job.py --out runs/$v --data ${DATA[$v]} ${STACK[$v]} $COMMON --progress runs/$v.jsonl > runs/$v.log 2>&1 &
done
wait
mkdir -p runs
for v in m3e m3e-silver m3e-lac m3e-lac-silver; do
  tail -3 runs/$v.log
  [ -f runs/$v/config.json ] || continue
  $PY -m core eval --model runs/$v --device $DEV --quiet --json --ignore T data/corpora/msra/dev.txt data/corpora/msra/dev_TAG.txt > runs/$v.msra_dev.json &
  $PY -m core eval --model runs/$v --device $DEV --quiet --json --spans eval/modern/dev.jsonl > runs/$v.modern_dev.json &
  $PY -m core eval --model runs/$v --device $DEV --quiet --json --ignore T --spans eval/modern/dev.jsonl > runs/$v.modern_dev_3.json &
done
wait
$PY - <<'PY' > $OUT/results.json
import json, glob, os
rows = {}
for v in ["m3e", "m3e-silver", "m3e-lac", "m3e-lac-silver"]:
    try:
        f = lambda s: json.load(open(f"runs/{v}.{s}.json"))["entities"]["micro"]["f1"]
        rows[v] = {"msra_dev": f("msra_dev"), "modern_dev_all4": f("modern_dev"), "modern_dev_3": f("modern_dev_3")}
    except Exception as e:
        rows[v] = {"error": repr(e)}
ok = {v: r for v, r in rows.items() if "error" not in r}
best = max(ok, key=lambda v: ok[v]["msra_dev"] + ok[v]["modern_dev_all4"]) if ok else None
print(json.dumps({"variants": rows, "best": best}, indent=1))
PY
cat $OUT/results.json
BEST=$($PY -c "import json; print(json.load(open('$OUT/results.json'))['best'] or '')")
tar czf $OUT/logs.tar.gz runs/*.log runs/*.jsonl runs/*.json runs/*/curves.json runs/*/scores.json 2>/dev/null
if [ -n "$BEST" ]; then tar cf - -C runs $BEST | split -b 15M - $OUT/best.tar.part-; fi
ls -la $OUT
if [ -n "$BEST" ] && [ "$DEV" = cuda ]; then
  timeout 75 $PY bench/gpu.py --model runs/$BEST --encoder $M --steps 30 --repeats 2 > $OUT/gpu_bench.log 2>&1; echo "gpu bench rc $?" >> $OUT/gpu_bench.log
fi
