#!/usr/bin/env bash
# Installs everything Practicum needs on a fresh Debian machine: system packages (the real
# Fashion-MNIST files), a virtual environment in .venv and the Python packages.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
# dataset-fashion-mnist: real Fashion-MNIST; chromium: the browser the web tests drive (Playwright);
# bubblewrap: the sandbox around each student's notebook server (`practicum up` as root);
# postgresql: the server the tests and benchmarks run the store against (a throwaway cluster)
APT_PACKAGES=(dataset-fashion-mnist chromium bubblewrap postgresql)
# nodejs + npm: JupyterHub's proxy (configurable-http-proxy) is a Node program. Only when npm is
# absent: a Node.js from elsewhere (e.g. NodeSource, which bundles npm) must not be replaced.
command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO="-"; fi
  if [ "$SUDO" = "-" ]; then
    echo "setup: cannot install ${missing[*]} (not root, no sudo); Fashion-MNIST will need 'practicum data fetch'." >&2
  else
    echo "setup: installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.practicum-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into $VENV (torch==2.13.0 CPU build where available)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e ".[dev]"
  "$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
  touch "$stamp"
fi
# JupyterHub's proxy, from the npm registry, inside the venv (practicum up looks there first)
PROXY="$VENV/proxy/node_modules/.bin/configurable-http-proxy"
if [ ! -x "$PROXY" ]; then
  if command -v npm >/dev/null; then
    echo "setup: installing configurable-http-proxy into $VENV/proxy"
    npm install --silent --no-audit --no-fund --prefix "$VENV/proxy" configurable-http-proxy@5 >/dev/null
  else
    echo "setup: npm is missing, so 'practicum up' has no proxy; install nodejs and npm, then rerun." >&2
  fi
fi
echo "setup: ready ($VENV)"
