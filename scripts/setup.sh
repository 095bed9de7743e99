#!/usr/bin/env bash
# Prepares this checkout on a Debian/Ubuntu machine: PostgreSQL server + pg_cron (apt, when
# missing), a virtualenv in .venv, and pgrollup built and installed into it (pip install ., not
# editable, so the wheel's SQL files are what runs). Works as root and as a user with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

have_server=""
for dir in /usr/lib/postgresql/*/; do
  if [ -x "${dir}bin/initdb" ] && [ -e "${dir}lib/pg_cron.so" ]; then have_server=yes; fi
done
packages=()
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
if [ -z "$have_server" ]; then
  as_root apt-get update -qq
  if apt-cache show postgresql-15 >/dev/null 2>&1; then
    packages+=(postgresql-15 postgresql-15-cron)
  else
    # a distribution without PostgreSQL 15: its default major version and that version's pg_cron
    ver=$(apt-cache depends postgresql | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1)
    packages+=(postgresql "postgresql-${ver:?no PostgreSQL server package found}-cron")
  fi
elif [ ${#packages[@]} -gt 0 ]; then
  as_root apt-get update -qq
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "installing ${packages[*]} with apt" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q '.[test]'
.venv/bin/python -m pip install -q --force-reinstall --no-deps .
