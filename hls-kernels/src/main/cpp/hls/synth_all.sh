#!/usr/bin/env bash
# Synthesizes every tokenfab kernel with Vitis HLS into a .xo (needs AMD Vitis 2023.2 or newer on
# PATH: `source <Vitis>/settings64.sh`). Not runnable in CI (no Vitis there); the CPU C-simulation
# of the same sources is what `make test` / the Maven build runs.
#   ./synth_all.sh                 # all kernels: C-simulation in Vitis, then synthesis + package
#   ./synth_all.sh tf_gemv_q8 ...  # selected kernels
# Reports land in hls/<kernel>/build/<kernel>/hls/syn/report/ (csynth.rpt: latency, II, resources);
# the .xo files in hls/<kernel>/build/<kernel>.xo feed bitstreams/ (v++ -l).
set -euo pipefail
cd "$(dirname "$0")"
command -v v++ >/dev/null || { echo "synth_all.sh: v++ not found; source Vitis settings64.sh first" >&2; exit 2; }
kernels=("$@")
if [ ${#kernels[@]} -eq 0 ]; then
  mapfile -t kernels < <(find . -mindepth 1 -maxdepth 1 -type d -name 'tf_*' -printf '%f\n' | sort)
fi
for k in "${kernels[@]}"; do
  echo "== $k"
  (cd "$k" && v++ -c --mode hls --config hls_config.cfg --work_dir build)
done
