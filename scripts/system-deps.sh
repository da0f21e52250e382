#!/usr/bin/env bash
# Installs the tools mediadl needs that are not Python or npm packages, from Debian's
# packages, when they are missing and we are root; otherwise names the packages and stops.
# Usage: system-deps.sh run|test. One line per tool: "<command that must exist> <package>".
set -euo pipefail

# Needed to run mediadl.
FOR_RUN=(
  "ffmpeg ffmpeg"
  "ffprobe ffmpeg"
  "node nodejs"
  "npm npm"
)
# Needed only by the test suite, which starts its own throwaway servers from these binaries.
FOR_TEST=(
  "postgres_server postgresql"
  "redis-server redis-server"
  "docker-compose docker-compose"
  "chromium chromium"
)

REQUIRED=("${FOR_RUN[@]}")
[ "${1:-run}" = test ] && REQUIRED+=("${FOR_TEST[@]}")

have() {
  case "$1" in
    # Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<version>/bin.
    postgres_server) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

missing=()
for entry in "${REQUIRED[@]}"; do
  read -r tool package <<<"$entry"
  have "$tool" || missing+=("$package")
done
python3 -c 'import ensurepip' 2>/dev/null || missing+=("python3-venv")
[ ${#missing[@]} -eq 0 ] && exit 0

packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: $packages"
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
else
  echo "Missing system packages: $packages- install them (e.g. 'sudo apt-get install $packages') and run make again." >&2
  exit 1
fi
