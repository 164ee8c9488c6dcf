#!/usr/bin/env bash
# Check the release `make release` built (docs/deployment.md, "Releases"): install it as a server
# would, into a fresh virtual environment (runtime.lock with --require-hashes, then the wheel
# with --no-deps, through the tarball's own install-release.sh), then run it from outside the
# source tree:
#   - the wheel holds every file of src/gardien that git tracks (templates, static files, the
#     French catalogue read at run time, the policy, the migrations);
#   - `gardien --version` names the version of pyproject.toml;
#   - `gardien db upgrade` migrates a new SQLite file to head; `gardien policy check` agrees;
#   - `gardien notice` renders in French and in English;
#   - `gardien serve` in production mode answers /health, /ready, the home page in both
#     languages, the privacy notice and the stylesheet, then stops on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

python=${PYTHON:-python3}
version=$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
tarball=dist/gardien-$version.tar.gz
[ -f "$tarball" ] || { echo "check-release: no $tarball; run make release" >&2; exit 1; }

work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill "$server"; wait "$server" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

log() { printf 'check-release: %s\n' "$*"; }

tar -xzf "$tarball" -C "$work"
release=$work/gardien-$version
wheel=$release/gardien-$version-py3-none-any.whl
log "installing $(basename "$tarball") into a fresh environment"
"$release/install-release.sh" "$wheel" "$release/runtime.lock" "$work/venv" >/dev/null
bin=$work/venv/bin

log "the wheel holds every tracked file of src/gardien"
git ls-files -- src/gardien > "$work/tracked.txt"
"$bin/python" - "$wheel" "$work/tracked.txt" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
lines = open(sys.argv[2], encoding="utf-8").read().splitlines()
tracked = [line.strip().removeprefix("src/") for line in lines if line.strip()]
missing = [name for name in tracked if name not in names]
if not tracked or missing:
    sys.exit(f"missing from the wheel: {missing or 'every file (git ls-files found none)'}")
print(f"  {len(tracked)} files, none missing")
PY

# From here on, nothing of the source tree or of the caller's settings is in reach.
cd "$work"
clean_env=(env -i PATH=/usr/bin:/bin HOME="$work" LANG=C.UTF-8
  GARDIEN_DATABASE_URL="sqlite:///$work/gardien.sqlite3")
run() { "${clean_env[@]}" "$@"; }

said=$(run "$bin/gardien" --version)
[ "$said" = "gardien $version" ] || { echo "check-release: --version said '$said'" >&2; exit 1; }
log "$said"

log "gardien db upgrade on a new SQLite file"
run "$bin/gardien" db upgrade
run "$bin/gardien" db current
run "$bin/gardien" policy check >/dev/null

log "gardien notice, in French and in English"
run "$bin/gardien" notice | grep -q "^# Protection de vos données personnelles"
run "$bin/gardien" notice --lang en | grep -q "^# Protecting your personal data"

log "gardien serve in production mode"
port=$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret=$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
# Started without a shell function around it, so that $! is the server itself (env execs it).
"${clean_env[@]}" GARDIEN_ENVIRONMENT=production GARDIEN_SECRET_KEY="$secret" \
  GARDIEN_PUBLIC_URL="http://127.0.0.1:$port" \
  "$bin/gardien" serve --host 127.0.0.1 --port "$port" --workers 2 2>"$work/serve.log" &
server=$!
"$bin/python" - "$port" <<'PY' || { cat "$work/serve.log" >&2; exit 1; }
import sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"

def get(path: str) -> str:
    with urllib.request.urlopen(base + path, timeout=10) as answer:
        assert answer.status == 200, (path, answer.status)
        return answer.read().decode("utf-8")

deadline = time.monotonic() + 60
while True:
    try:
        health = get("/health")
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("the server did not answer /health within 60 s")
        time.sleep(0.3)
assert '"status":"ok"' in health.replace(" ", ""), health
checks = {
    "/": 'lang="fr"',
    "/en": 'lang="en"',
    "/confidentialite": "Protection de vos données personnelles",
    "/privacy": "Protecting your personal data",
    "/ready": "\"status\":\"ready\"",
    "/static/gardien.css": ".data-table",
}
for path, expected in checks.items():
    body = get(path)
    assert expected in body, f"{path}: {expected!r} not found"
    print(f"  {path}: 200, {expected!r}")
PY
kill -TERM "$server"
wait "$server"
server=
log "the server stopped on SIGTERM; release $version checked"
