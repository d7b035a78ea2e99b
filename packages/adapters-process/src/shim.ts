/**
 * The few lines of POSIX sh that wrap every unit's command. sh stays the unit's main process, forwards
 * SIGTERM/SIGINT/SIGHUP to the command, waits for it and records its exit status in a file, so the
 * status survives the daemon: whoever asks later reads the file. The command runs in the background of
 * a non-interactive sh, so it starts with stdin from /dev/null (a unit has no stdin anyway).
 */
export const SHIM_SCRIPT = [
  'status_file="$1"; shift',
  '"$@" &',
  "child=$!",
  "trap 'kill -TERM \"$child\" 2>/dev/null' TERM",
  "trap 'kill -INT \"$child\" 2>/dev/null' INT",
  "trap 'kill -HUP \"$child\" 2>/dev/null' HUP",
  "while :; do",
  '  wait "$child"; rc=$?',
  // wait returns early when a trapped signal arrives; loop until the command is really gone.
  '  kill -0 "$child" 2>/dev/null || break',
  "done",
  'printf "%s\\n" "$rc" > "$status_file.tmp" && mv -f "$status_file.tmp" "$status_file"',
  'exit "$rc"',
].join("\n");
