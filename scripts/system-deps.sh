#!/usr/bin/env bash
# Installs the tools mediadl needs that are not Python or npm packages, from Debian's
# packages, when they are missing and we are root; otherwise names the packages and stops.
# Usage: system-deps.sh run|test. One line per tool: "<command that must exist> <package>".
# Node.js is only ever taken from apt, and only when apt offers a version the web UI can
# be built with; this script never downloads a Node binary.
set -euo pipefail

# Needed to run mediadl.
FOR_RUN=(
  "ffmpeg ffmpeg"
  "ffprobe ffmpeg"
)
# The web UI's build (Vite) needs this Node.js or newer; Debian 12's nodejs is 18.x.
NODE_MIN=20.19
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

# True when dotted version $1 >= $2.
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# The upstream part of the version apt would install ("18.19.0+dfsg-6~deb12u2" -> 18.19.0).
apt_nodejs_version() {
  local candidate
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ] || return 0
  candidate=${candidate#*:}
  echo "${candidate%%[-+~]*}"
}

node_problem=""
# Adds nodejs/npm to the packages to install when apt has a usable Node.js; otherwise
# leaves both out (Debian's npm would pull in its old nodejs) and records why.
check_node() {
  local found offered
  if command -v node >/dev/null; then
    found=$(node --version 2>/dev/null | sed 's/^v//')
    if ! version_at_least "$found" "$NODE_MIN"; then
      node_problem="the installed node is $found"
      return
    fi
    have npm || missing+=("npm")
    return
  fi
  offered=$(apt_nodejs_version)
  if [ -n "$offered" ] && version_at_least "$offered" "$NODE_MIN"; then
    missing+=("nodejs")
    have npm || missing+=("npm")
  else
    node_problem="node is not installed and apt offers nodejs ${offered:-(none)}"
  fi
}

explain_node() {
  cat >&2 <<MSG
The web UI needs Node.js $NODE_MIN or newer (with npm), but $node_problem.
Debian 12's own nodejs package is 18.x and cannot build it. Install Node.js $NODE_MIN or
newer yourself - Debian 13's nodejs and npm packages, the nodejs package of NodeSource's
apt repository (20.x or 22.x), or a version manager such as nvm - then run make again.
MSG
}

missing=()
for entry in "${REQUIRED[@]}"; do
  read -r tool package <<<"$entry"
  have "$tool" || missing+=("$package")
done
check_node
python3 -c 'import ensurepip' 2>/dev/null || missing+=("python3-venv")

if [ ${#missing[@]} -gt 0 ]; then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages: $packages"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
  else
    echo "Missing system packages: $packages- install them (e.g. 'sudo apt-get install $packages') and run make again." >&2
    [ -n "$node_problem" ] && explain_node
    exit 1
  fi
fi
if [ -n "$node_problem" ]; then
  explain_node
  exit 1
fi
exit 0
