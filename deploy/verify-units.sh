#!/usr/bin/env bash
# `systemd-analyze verify` on every unit of deploy/systemd, made real: the release `make release`
# built is installed where the units name it, as docs/deployment.md installs it on a server
# (/opt/gardien/releases/gardien-VERSION, linked as /opt/gardien/venv), the system user comes
# from deploy/systemd/gardien.sysusers, and the environment file exists. Any word from
# systemd-analyze (an unknown setting, a missing binary, a bad calendar) fails the check, and so
# does a service whose exposure (systemd-analyze security) is above 2.0.
# Needs root: it writes under /opt, /etc and creates a user, as the operator does.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'verify-units: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "verify-units: run as root (it installs the release under /opt/gardien)" >&2
  exit 1
fi
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "verify-units: systemd-analyze is missing: apt-get install systemd" >&2
  exit 1
fi

python=${PYTHON:-python3}
version=$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
tarball=dist/gardien-$version.tar.gz
[ -f "$tarball" ] || { echo "verify-units: no $tarball; run make release" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
release=$work/gardien-$version

log "system user gardien"
install -D -m 0644 deploy/systemd/gardien.sysusers /etc/sysusers.d/gardien.conf
systemd-sysusers /etc/sysusers.d/gardien.conf
id gardien

log "installing release $version under /opt/gardien"
target=/opt/gardien/releases/gardien-$version
rm -rf "$target"  # the same version again: a check reinstalls it from this build
mkdir -p /opt/gardien/releases
"$release/install-release.sh" "$release/gardien-$version-py3-none-any.whl" \
  "$release/runtime.lock" "$target" >/dev/null
ln -sfn "$target" /opt/gardien/venv
/opt/gardien/venv/bin/gardien --version

if [ ! -e /etc/gardien/gardien.env ]; then
  install -d -m 0750 -g gardien /etc/gardien
  install -m 0640 -g gardien deploy/gardien.env.example /etc/gardien/gardien.env
fi

units=(deploy/systemd/*.service deploy/systemd/*.timer)
log "systemd-analyze verify ${units[*]##*/}"
# --man=no: the units name no man page. Unit files are read from deploy/systemd as they are.
if ! output=$(systemd-analyze verify --man=no "${units[@]}" 2>&1); then
  printf '%s\n' "$output" >&2
  exit 1
fi
if [ -n "$output" ]; then
  printf '%s\n' "$output" >&2
  echo "verify-units: systemd-analyze had something to say: fix the units" >&2
  exit 1
fi
log "${#units[@]} units verified"

# systemd's own judgement of each service's sandbox, 0 (locked down) to 10: above 2.0 a hardening
# option went missing (they all score 1.3 with the block of docs/deployment.md).
for unit in deploy/systemd/*.service; do
  if ! systemd-analyze security --offline=yes --threshold=20 --no-pager "$unit" >"$work/security.txt" 2>&1; then
    cat "$work/security.txt" >&2
    echo "verify-units: ${unit##*/} is exposed above 2.0" >&2
    exit 1
  fi
  log "$(tail -n 1 "$work/security.txt" | sed 's/^→ //')"
done
