/**
 * A terminal for `rkt app exec` with tty: rkt execs the command with the stdio it is given, so the caller
 * provides the pseudo-terminal. Node cannot allocate one without a native module; Python's standard
 * library can, so a small Python program runs rkt under a pty, copies bytes between our pipes and the pty,
 * applies terminal sizes written to its fd 3 (one JSON object per line), and exits with the command's
 * status. The terminal turns stdin EOF into ^D, which is what a shell expects at a terminal. The pty puts
 * the command in a session of its own, out of reach of a signal to our process group: on SIGTERM the
 * program kills the command's whole group itself.
 */
export const PTY_PROGRAM = String.raw`
import errno, fcntl, json, os, pty, select, signal, struct, sys, termios
pid, master = pty.fork()
if pid != 0:
    def stop(*_):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        os._exit(137)
    signal.signal(signal.SIGTERM, stop)
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    except OSError as e:
        os.write(2, ("cannot run %s: %s\n" % (sys.argv[1], e.strerror)).encode())
    os._exit(127)
def size(line):
    try:
        s = json.loads(line)
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", int(s["height"]), int(s["width"]), 0, 0))
    except (ValueError, KeyError, TypeError, OSError):
        pass
inputs, ctl = [0, 3], b""
while True:
    try:
        ready = select.select(inputs + [master], [], [])[0]
    except InterruptedError:
        continue
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError as e:
            if e.errno != errno.EIO:
                raise
            data = b""
        if not data:
            break
        os.write(1, data)
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(master, data)
        else:
            os.write(master, b"\x04")
            inputs.remove(0)
    if 3 in ready:
        data = os.read(3, 4096)
        if not data:
            inputs.remove(3)
        ctl += data
        while b"\n" in ctl:
            line, ctl = ctl.split(b"\n", 1)
            size(line)
status = os.waitpid(pid, 0)[1]
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
`;

/** The argv prefix that runs a command under the pty program. */
export function ptyWrapper(python = "python3"): string[] {
  return [python, "-c", PTY_PROGRAM];
}
