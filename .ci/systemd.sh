#!/usr/bin/env bash
# Boots a real systemd beside the tests on a machine whose PID 1 is not systemd (see the project's
# reference notes on real systemd in CI): systemd-nspawn --volatile=yes --boot of the host's own /usr.
#   eval "$(.ci/systemd.sh start)"   exports DBUS_SYSTEM_BUS_ADDRESS, RKTLET_TEST_SYSTEMD_LEADER and
#                                    RKTLET_TEST_SHARED_DIR (a directory the units see at the same path)
#   .ci/systemd.sh stop
# Two traps this avoids:
# - Never bind the host's /tmp: the booting systemd empties /tmp (systemd-tmpfiles --boot), and would
#   wipe the host's. Units share only the repository and $SHARED with the host.
# - nspawn --keep-unit makes supervisor/payload cgroups under its own cgroup and moves its cgroup's
#   processes there; it is started from a subshell that first moves itself into a cgroup of its own, so
#   the caller (CI's shell) stays where it is.
set -euo pipefail
NAME=rktlet-ci-systemd
STATE=/run/$NAME
SHARED_ROOT=/var/lib/$NAME
SHARED=$SHARED_ROOT/shared
repo=$(cd "$(dirname "$0")/.." && pwd)

start() {
  [ "$(id -u)" = 0 ] || { echo "booting systemd needs root" >&2; exit 1; }
  command -v systemd-nspawn >/dev/null || { echo "systemd-nspawn missing: apt-get install systemd-container" >&2; exit 1; }
  mkdir -p "$STATE" "$SHARED"
  if [ -f "$STATE/leader" ] && [ -d "/proc/$(cat "$STATE/leader")" ]; then cat "$STATE/env"; return; fi
  # /etc starts empty, so every installed service would start: mask the ones that cannot run here.
  local masks=() u
  for u in containerd docker docker-registry nftables systemd-firstboot systemd-networkd systemd-resolved console-getty \
           postgresql redis-server nginx memcached ssh cron rsyslog getty@tty1 systemd-timesyncd apt-daily apt-daily-upgrade; do
    masks+=("systemd.mask=$u.service")
  done
  (
    for h in systemd unified; do
      [ -d "/sys/fs/cgroup/$h" ] || continue
      mkdir -p "/sys/fs/cgroup/$h/$NAME" && echo "$BASHPID" > "/sys/fs/cgroup/$h/$NAME/cgroup.procs"
    done
    exec setsid systemd-nspawn -D / --volatile=yes --boot --register=no --keep-unit --console=pipe --machine="$NAME" \
      --bind="$repo:$repo" --bind="$SHARED:$SHARED" --bind-ro=/etc/alternatives -- "${masks[@]}" \
      </dev/null >"$STATE/nspawn.log" 2>&1
  ) &
  echo $! > "$STATE/nspawn"
  local leader="" _
  for _ in $(seq 1 400); do
    leader=$(pgrep -P "$(cat "$STATE/nspawn")" | head -n1 || true)
    [ -n "$leader" ] && [ -S "/proc/$leader/root/run/dbus/system_bus_socket" ] && break
    kill -0 "$(cat "$STATE/nspawn")" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$leader" ] || [ ! -S "/proc/$leader/root/run/dbus/system_bus_socket" ]; then
    echo "systemd did not boot:" >&2; tail -20 "$STATE/nspawn.log" >&2; stop; exit 1
  fi
  local state
  state=$(timeout 60 nsenter -t "$leader" -a -- systemctl is-system-running --wait || true)
  echo "$leader" > "$STATE/leader"
  # what sd_booted() checks on the host; removed again by stop if this script made it
  if [ ! -d /run/systemd/system ]; then mkdir -p /run/systemd/system && touch "$STATE/made-run-systemd"; fi
  printf 'export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/proc/%s/root/run/dbus/system_bus_socket\nexport RKTLET_TEST_SYSTEMD_LEADER=%s\nexport RKTLET_TEST_SHARED_DIR=%s\n' \
    "$leader" "$leader" "$SHARED" > "$STATE/env"
  echo "systemd booted beside the tests: $state (leader pid $leader)" >&2
  cat "$STATE/env"
}

stop() {
  [ -f "$STATE/nspawn" ] || return 0
  local pid _
  pid=$(cat "$STATE/nspawn")
  # nspawn's own pid is the subshell's (it exec'd); TERM makes it shut the container down cleanly
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  if [ -f "$STATE/made-run-systemd" ]; then rmdir /run/systemd/system 2>/dev/null || true; fi
  for h in systemd unified; do find "/sys/fs/cgroup/$h/$NAME" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
  rm -rf "$STATE" "$SHARED_ROOT"
}

"${1:-start}"
