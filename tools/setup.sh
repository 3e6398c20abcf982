#!/usr/bin/env bash
# Installs exactly the Debian 12 packages synface needs that are missing. Idempotent: when
# nothing is missing it only runs dpkg-query (well under a second) and touches nothing.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap        # Bazel 4.2.3, WORKSPACE mode, offline (docs/build.md)
  libtorch-dev           # LibTorch 1.13 CPU
  libgloo-dev            # headers for LibTorch's Gloo process group (data-parallel training)
  libopenblas0-openmp    # a Recommends of libtorch: without it matmul falls back to reference BLAS (40x slower)
  libembree-dev          # Embree 3 ray tracer
  libopenexr-dev         # EXR depth maps
  libassimp-dev          # meshes
  assimp-testmodels      # rigged test models for core/io and synth tests
  libeigen3-dev
  libopencv-dev
  opencv-doc             # example photographs used as default real-image backgrounds
  libtomlplusplus-dev
  libfmt-dev
  libbenchmark-dev
  libgtest-dev
  libgmock-dev
  libmatio-dev           # .mat readers (300W-LP, AFLW2000-3D, NYU v2)
  nlohmann-json3-dev     # JSON for per-sample labels and result records (header-only)
  python3                # the test-summary and benchmark-compare scripts
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: missing ${#missing[@]} package(s): ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "setup: error: not root and no passwordless sudo; install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=()
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: installed ${missing[*]}"
