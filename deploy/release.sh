#!/usr/bin/env bash
# Build a gardien release: dist/gardien-VERSION.tar.gz holds the wheel, requirements/runtime.lock,
# install-release.sh, the systemd units, the environment file template, the Caddyfile and the
# Prometheus alert rules (docs/deployment.md).
#
# The wheel is built by the locked hatchling of the development environment (PYTHON, given by
# `make release`), without build isolation; file times come from the last commit
# (SOURCE_DATE_EPOCH), so building the same commit twice gives the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-.venv/bin/python}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

version=$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
name=gardien-$version
rm -rf "dist/$name" "dist/$name.tar.gz" dist/gardien-"$version"-*.whl
mkdir -p "dist/$name"

"$python" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .
wheel=dist/gardien-$version-py3-none-any.whl
[ -f "$wheel" ] || { echo "release: the build made no $wheel" >&2; exit 1; }

cp "$wheel" requirements/runtime.lock deploy/install-release.sh deploy/gardien.env.example "dist/$name/"
cp -r deploy/systemd "dist/$name/systemd"
cp -r deploy/caddy "dist/$name/caddy"
cp -r deploy/prometheus "dist/$name/prometheus"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
  -C dist -cf - "$name" | gzip -n > "dist/$name.tar.gz"
rm -rf "dist/$name"
echo "release: dist/$name.tar.gz ($(sha256sum "dist/$name.tar.gz" | cut -d' ' -f1))"
