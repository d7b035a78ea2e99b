#!/usr/bin/env bash
# Boots a real systemd beside the tests on a machine whose PID 1 is not systemd (see the project's
# reference notes on real systemd in CI): systemd-nspawn --volatile=yes --boot of the host's own /usr.
#   .ci/systemd.sh start   -> prints `export DBUS_SYSTEM_BUS_ADDRESS=…; export RKTLET_TEST_SYSTEMD_LEADER=…`
#   .ci/systemd.sh stop
# Not wired into .ci/run yet. Found here: nspawn --keep-unit moves itself (and creates payload/supervisor
# cgroups) under its caller's cgroup, which hid the calling job from this workplace's process supervisor;
# booting it from CI needs a launcher that keeps .ci/run itself untouched. And units run in the container's
# PID namespace, so a pod's pids as rkt-sim records them inside a unit mean nothing on the host.
set -euo pipefail
NAME=rktlet-ci-systemd
STATE=/run/$NAME
repo=$(cd "$(dirname "$0")/.." && pwd)

start() {
  command -v systemd-nspawn >/dev/null || { echo "systemd-nspawn missing: apt-get install systemd-container" >&2; exit 1; }
  mkdir -p "$STATE"
  if [ -f "$STATE/leader" ] && kill -0 "$(cat "$STATE/leader")" 2>/dev/null; then cat "$STATE/env"; return; fi
  # Two nspawn instances started from one cgroup fight over unit cgroups; only one runs here, so the
  # caller stays where it is (moving it would hide it from whatever supervises this script).
  # /etc starts empty, so every installed service would start: mask the ones that cannot run here.
  masks=()
  for u in containerd docker docker-registry nftables systemd-firstboot systemd-networkd systemd-resolved console-getty \
           postgresql redis-server nginx memcached ssh cron rsyslog getty@tty1 systemd-timesyncd apt-daily apt-daily-upgrade; do
    masks+=("systemd.mask=$u.service")
  done
  setsid systemd-nspawn -D / --volatile=yes --boot --register=no --keep-unit --console=pipe --machine="$NAME" \
    --bind="$repo:$repo" --bind=/tmp:/tmp --bind-ro=/etc/alternatives -- "${masks[@]}" </dev/null >"$STATE/nspawn.log" 2>&1 &
  echo $! > "$STATE/nspawn"
  local leader=""
  for _ in $(seq 1 200); do
    leader=$(pgrep -P "$(cat "$STATE/nspawn")" | head -n1 || true)
    [ -n "$leader" ] && [ -S "/proc/$leader/root/run/dbus/system_bus_socket" ] && break
    sleep 0.05
  done
  [ -n "$leader" ] || { echo "systemd did not boot:" >&2; tail -20 "$STATE/nspawn.log" >&2; exit 1; }
  state=$(timeout 60 nsenter -t "$leader" -a -- systemctl is-system-running --wait || true)
  echo "$leader" > "$STATE/leader"
  # what sd_booted() checks on the host; removed again by stop if this script made it
  if [ ! -d /run/systemd/system ]; then mkdir -p /run/systemd/system && touch "$STATE/made-run-systemd"; fi
  printf 'export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/proc/%s/root/run/dbus/system_bus_socket\nexport RKTLET_TEST_SYSTEMD_LEADER=%s\n' "$leader" "$leader" > "$STATE/env"
  echo "systemd booted beside the tests: $state (leader pid $leader)" >&2
  cat "$STATE/env"
}

stop() {
  [ -f "$STATE/nspawn" ] || return 0
  kill -TERM "$(cat "$STATE/nspawn")" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$(cat "$STATE/nspawn")" 2>/dev/null || break; sleep 0.05; done
  [ -f "$STATE/made-run-systemd" ] && rmdir /run/systemd/system 2>/dev/null || true
  rm -rf "$STATE"
}

"${1:-start}"
