#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: the synthetic zimage-turbo-1024 suite on one GPU
# with probes, the variants a buyer chooses between (bf16, text encoder unloaded, fp8, GGUF Q8_0,
# GGUF Q4_K_M with the encoder unloaded, group offload), a 12 GiB memory cap and a short stability
# pass; then the files are validated. The whole script ends by DEADLINE_S (default 280 s): the
# measure step gets what is left after start-up minus VALIDATE_S for validation, and every
# uncapped configuration runs before any capped one, so a cut run loses memory emulation first.
#
# Estimated run on an H200 (not yet measured): start-up and probes ~30 s; per uncapped
# configuration ~8 s to build and place the synthetic weights plus 7 images of ~1-3 s; per capped
# one the build plus 2 images: about 6 x 20 s + 6 x 12 s + 30 s = ~220 s, inside the deadline.
#
# Exit status: 0 complete and valid; 1 invalid files; 2 missing dependencies; 3 the measure step
# hit its time limit (the bench is valid but "interrupted": resume it with --resume); other codes
# are the measure command's own.
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
#     diffusers==0.42.1 gguf pydantic pydantic_core annotated-types typing-inspection importlib_metadata \
#     'typing_extensions>=4.16'
# (pydantic 2.14 / pydantic_core 2.50 require typing_extensions >= 4.16; the image's own version is
# unknown, and a newer one on PYTHONPATH is backward compatible for torch and the rest.)
# Commit the bench it writes: it is measured data for that card (synthetic weights).
set -euo pipefail
START=$(date +%s)
DEADLINE_S=${DEADLINE_S:-280}
VALIDATE_S=${VALIDATE_S:-30}
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 CUDA_DEVICE_ORDER=PCI_BUS_ID

if ! "$PY" -c "import diffusers, pydantic, gguf" 2>/dev/null; then
  ls wheels/*.whl >/dev/null 2>&1 || { echo "diffusers/pydantic/gguf missing and no wheels/ to install from" >&2; exit 2; }
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/gb-site wheels/*.whl
  export PYTHONPATH=/tmp/gb-site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# fail in seconds with the reason (a missing or too old dependency), not midway through the run:
# diffusers' top level is lazy, so import what the harness really builds, and check the version
# the committed FLOP counts and memory table came from
PIN=$(sed -n 's/.*"diffusers==\([0-9.]*\)".*/\1/p' pyproject.toml)
"$PY" - "$PIN" <<'PYEOF' || { echo "cannot import the harness with $PY (see above)" >&2; exit 2; }
import sys
import diffusers, gguf, pydantic, typing_extensions  # noqa: F401
from diffusers import ZImagePipeline  # noqa: F401
from diffusers.quantizers.gguf.utils import GGUFLinear  # noqa: F401
from transformers import Qwen3Model  # noqa: F401
import guide_builder.measure.command  # noqa: F401
pin = sys.argv[1]
print("diffusers", diffusers.__version__, "pydantic", pydantic.VERSION, "gguf ok")
if pin and diffusers.__version__ != pin:
    sys.exit(f"diffusers {diffusers.__version__} is not the pinned {pin}: install diffusers=={pin}")
PYEOF

OUT_DIR=${OUT:-measurements/benches}
if [ -n "${CPU_DRY_RUN:-}" ]; then
  # checks the script itself where there is no GPU: tiny weights, no caps
  SLUG=cpu-dry-run
  SUITE=(--device cpu --weights tiny
         --variants plain,text_encoder_unload,fp8,gguf_q8_0,gguf_q4_k_m+text_encoder_unload,group_offload)
else
  SLUG=$("$PY" -c "import pynvml as n; n.nvmlInit(); print(n.nvmlDeviceGetName(n.nvmlDeviceGetHandleByIndex(${GPU:-0})))" \
    | tr 'A-Z' 'a-z' | sed -e 's/nvidia//; s/geforce//; s/[^a-z0-9]\+/-/g; s/^-//; s/-$//')
  SUITE=(--device cuda --gpus "${GPU:-0}" --weights synthetic --memory-caps none,12
         --variants plain,text_encoder_unload,fp8,gguf_q8_0,gguf_q4_k_m+text_encoder_unload,group_offload
         --worker-timeout 120)
fi
BENCH_ID=${BENCH_ID:-${SLUG}-check-$(date -u +%Y%m%d-%H%M)}
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/gpu_check.log"
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'gpu', torch.cuda.is_available())" | tee "$LOG"
nvidia-smi --query-gpu=index,name,uuid,driver_version,power.limit,pcie.link.gen.max --format=csv 2>&1 | tee -a "$LOG" || true

# The runs stream into runs.csv as they happen (probes first); SIGINT at the time limit still
# leaves valid, resumable files (status "interrupted"); -k: a parent that does not stop within
# 20 s of the SIGINT is killed. The limit is what is left of the deadline after start-up, less
# the kill grace and the validation, so the script as a whole ends by DEADLINE_S.
LEFT=$(( DEADLINE_S - ($(date +%s) - START) - VALIDATE_S - 20 ))
if [ "$LEFT" -lt 60 ]; then
  echo "only ${LEFT}s left of DEADLINE_S=${DEADLINE_S} after start-up: not starting" | tee -a "$LOG" >&2
  exit 3
fi
echo "measure time limit: ${LEFT}s (deadline ${DEADLINE_S}s)" | tee -a "$LOG"
set +e
timeout -s INT -k 20 "$LEFT" "$PY" -c "from guide_builder.measure.command import measure_command; measure_command()" \
  "${SUITE[@]}" --workloads zimage-turbo-1024 --warmup 1 --min-iterations 2 --min-seconds 0 \
  --stability 2 --out "$OUT_DIR" --bench-id "$BENCH_ID" \
  --note "benchmarks/gpu_check.sh: synthetic weights; capped rows emulate smaller cards (memory only)" \
  2>&1 | tee -a "$LOG"
status=${PIPESTATUS[0]}
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "measure hit its ${LEFT}s limit: the bench is interrupted (valid; resume with --resume --bench-id $BENCH_ID)" | tee -a "$LOG"
  status=3
fi
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
echo "total $(( $(date +%s) - START ))s of DEADLINE_S=${DEADLINE_S}" | tee -a "$LOG"
[ "$status" -eq 0 ] && exit "$valid"
[ "$valid" -ne 0 ] && [ "$status" -eq 3 ] && exit 1
exit "$status"
