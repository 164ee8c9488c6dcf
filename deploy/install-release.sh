#!/usr/bin/env bash
# Install a gardien release into a new virtual environment: the locked dependencies, each file
# checked against its hash, then the wheel without dependencies (docs/deployment.md).
#
#   install-release.sh WHEEL RUNTIME_LOCK TARGET_VENV
#
# TARGET_VENV must not exist: a release is never installed over another. On a server, install
# into /opt/gardien/releases/gardien-VERSION and point /opt/gardien/venv at it (the path the
# systemd units name); switching back is moving the link back. PYTHON names the interpreter
# (default python3, which must be Python 3.11 or later).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 WHEEL RUNTIME_LOCK TARGET_VENV" >&2
  exit 2
fi
wheel=$1 lock=$2 venv=$3
python=${PYTHON:-python3}

for file in "$wheel" "$lock"; do
  [ -f "$file" ] || { echo "install-release: no such file: $file" >&2; exit 1; }
done
if [ -e "$venv" ]; then
  echo "install-release: $venv exists; install each release into a new folder" >&2
  exit 1
fi
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "install-release: $python is older than Python 3.11" >&2
  exit 1
}

"$python" -m venv "$venv"
# Wheels wherever the locked version has one (every compiled package has one for Linux x86_64);
# dkimpy, pure Python, ships only its source archive, checked against its hash like the rest
# and built by pip with setuptools (docs/deployment.md, "Locked dependencies").
"$venv/bin/pip" install --quiet --no-input --require-hashes --prefer-binary -r "$lock"
"$venv/bin/pip" install --quiet --no-input --no-deps "$wheel"
# The wheel's own requirements, met by the locked versions: a lock older than pyproject.toml
# would fail here rather than at the first import on the server.
"$venv/bin/pip" check
"$venv/bin/gardien" --version
