#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: the synthetic zimage-turbo-1024 suite on one GPU
# with probes, the variants a buyer chooses between, memory caps emulating 12/16/24 GiB cards and
# a short stability pass, in under 4 minutes; then the files are validated.
#
#   bash benchmarks/gpu_check.sh                          # writes measurements/benches/<bench-id>/
#   OUT=/some/dir bash benchmarks/gpu_check.sh            # writes $OUT/<bench-id>/ (the device tool's $OUT)
#   CPU_DRY_RUN=1 OUT=/tmp/x bash benchmarks/gpu_check.sh # the same plumbing, tiny, on a CPU
#
# Needs torch (CUDA build), transformers, accelerate, nvidia-ml-py, click, pandas, tqdm. When
# diffusers or pydantic is missing (the lent H200 image has neither) it installs, offline, the
# wheels in wheels/ at the repo root. wheels/ is git-ignored (9 MB of other projects' builds
# do not belong in history): fill it on a machine with PyPI, then send it along with the working
# tree (the device tool's `carry: ["wheels"]`). For the device's Python 3.12:
#   python -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d wheels \
#     diffusers==0.42.1 pydantic pydantic_core annotated-types typing-inspection importlib_metadata \
#     'typing_extensions>=4.16'
# (pydantic 2.14 / pydantic_core 2.50 require typing_extensions >= 4.16; the image's own version is
# unknown, and a newer one on PYTHONPATH is backward compatible for torch and the rest.)
# Commit the bench it writes: it is measured data for that card (synthetic weights).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 CUDA_DEVICE_ORDER=PCI_BUS_ID

if ! "$PY" -c "import diffusers, pydantic" 2>/dev/null; then
  ls wheels/*.whl >/dev/null 2>&1 || { echo "diffusers/pydantic missing and no wheels/ to install from" >&2; exit 2; }
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/gb-site wheels/*.whl
  export PYTHONPATH=/tmp/gb-site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# fail in seconds with the reason (a missing or too old dependency), not midway through the run
"$PY" -c "import diffusers, pydantic, typing_extensions, guide_builder.measure.command as c; print('diffusers', diffusers.__version__, 'pydantic', pydantic.VERSION)" \
  || { echo "cannot import the harness with $PY (see above)" >&2; exit 2; }

OUT_DIR=${OUT:-measurements/benches}
if [ -n "${CPU_DRY_RUN:-}" ]; then
  # checks the script itself where there is no GPU: tiny weights, no caps
  SLUG=cpu-dry-run
  SUITE=(--device cpu --weights tiny --variants plain,text_encoder_unload)
else
  SLUG=$("$PY" -c "import pynvml as n; n.nvmlInit(); print(n.nvmlDeviceGetName(n.nvmlDeviceGetHandleByIndex(${GPU:-0})))" \
    | tr 'A-Z' 'a-z' | sed -e 's/nvidia//; s/geforce//; s/[^a-z0-9]\+/-/g; s/^-//; s/-$//')
  SUITE=(--device cuda --gpus "${GPU:-0}" --weights synthetic --memory-caps none,12,16,24
         --variants plain,text_encoder_unload,model_offload --worker-timeout 120)
fi
BENCH_ID=${BENCH_ID:-${SLUG}-check-$(date -u +%Y%m%d-%H%M)}
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/gpu_check.log"
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'gpu', torch.cuda.is_available())" | tee "$LOG"
nvidia-smi --query-gpu=index,name,uuid,driver_version,power.limit,pcie.link.gen.max --format=csv 2>&1 | tee -a "$LOG" || true

# The runs stream into runs.csv as they happen (probes first); SIGINT at the time limit still
# leaves valid, resumable files (status "interrupted"); -k: a parent that does not stop within
# 30 s of the SIGINT is killed, so the device's time limit is never what ends the script.
set +e
timeout -s INT -k 30 225 "$PY" -c "from guide_builder.measure.command import measure_command; measure_command()" \
  "${SUITE[@]}" --workloads zimage-turbo-1024 --warmup 1 --min-iterations 3 --min-seconds 0 \
  --stability 3 --out "$OUT_DIR" --bench-id "$BENCH_ID" \
  --note "benchmarks/gpu_check.sh: synthetic weights; capped rows emulate smaller cards (memory only)" \
  2>&1 | tee -a "$LOG"
status=${PIPESTATUS[0]}
echo "measure exit status: $status" | tee -a "$LOG"

# errexit stays off: with pipefail a failed validation would otherwise end the script at once,
# before its verdict picks the exit status below

"$PY" -c "
import sys
from pathlib import Path
from guide_builder.validate import check_paths
problems = check_paths([Path(sys.argv[1])])
for p in problems:
    print('INVALID:', p)
print('valid' if not problems else f'{len(problems)} problem(s)', sys.argv[1])
sys.exit(1 if problems else 0)
" "$OUT_DIR/$BENCH_ID" 2>&1 | tee -a "$LOG"
valid=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && exit "$valid"
exit "$status"
