#!/usr/bin/env bash
# The Debian packages the tests use: tshark (an independent decoder the trace
# tests compare against). Installs the missing ones when running as root with
# apt-get (CI, fresh machines); otherwise says what to install.
set -u
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test prerequisites: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || {
    echo "could not install ${need[*]}" >&2
    exit 1
  }
else
  echo "the tests need: ${need[*]} (on Debian/Ubuntu: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
