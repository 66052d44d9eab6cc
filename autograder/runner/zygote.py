"""The warm worker inside the sandbox: MXNet imported once, one forked subject child per submission.

``python -m autograder.runner.zygote SETTINGS_JSON`` reads jobs from fd ``settings["in_fd"]`` and writes to
``settings["out_fd"]``. For each job it writes the notebook into a fresh scratch folder, forks a child that drops
to the student's uid under resource limits and runs :func:`autograder.runner.server.serve`, relays frames
between judge and child (re-tagging the child's as ``C``), and when the child ends or the judge says ``stop``,
kills every process the submission left behind, wipes the scratch folder and reports ``finished`` with the
child's exit status.

One submission, one lifetime: every process a submission starts dies with it, whatever it does (threads, a main
thread that exits alone and leaves a zombie leader, ``setsid``, double forks, ``SYS_exit``, ignored signals):

- *The student uid killed whole* (a grader running as root: the uid is this worker's alone on the host, claimed
  from :mod:`.slots`): a helper that becomes that uid sends ``kill(-1, SIGKILL)``, which the kernel delivers to
  every process of the uid under one lock (a fork racing it fails), and the zygote waits until ``/proc`` shows
  none of them, zombies included. Nothing the submission started can change its uid (no_new_privs, no
  capabilities), so nothing escapes this.
- *Every descendant* found in ``/proc`` (zombie leaders included: their live threads and children die with their
  pid), killed and reaped, the zygote being their subreaper: what a grader that is not root has (bubblewrap's PID
  namespace then keeps them inside the sandbox, and they die with it at the latest).

Not a PID namespace per submission: MXNet's fork handlers restart its engine threads in the forking process, and a
process that has made a PID namespace for its children can no longer start threads (``clone(CLONE_THREAD)``
fails with EINVAL), so the zygote or any keeper between it and the subject aborts; Gradescope's container
(Docker's seccomp profile) refuses ``unshare(CLONE_NEWPID)`` in any case.
"""
from __future__ import annotations

import base64
import contextlib
import ctypes
import functools
import json
import os
import re
import resource
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
from pathlib import Path

from . import channel

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 4, 36, 38
#: How long the zygote waits for a submission's processes to be gone before it reports them as left over.
END_SECONDS = 10.0

#: Exit codes of a child whose own (grader) side failed: in general, or for want of memory.
GRADER_FAILED, OUT_OF_MEMORY = 70, 71
_libc = ctypes.CDLL(None, use_errno=True)


def prctl(option: int, value: int) -> None:
    """Linux prctl(2) with one argument."""
    _libc.prctl(option, value, 0, 0, 0)


def warm_up(probe_modules: list[str]) -> None:
    """Import what every submission needs, once, before any fork: MXNet, every unit's probes, MNIST."""
    import importlib

    import mxnet  # noqa: F401
    from IPython.core import inputtransformer2  # noqa: F401  (cells with %magics and !commands)

    from . import server

    for module in probe_modules:
        importlib.import_module(module)

    server.preload_mnist()


def main(settings: dict) -> None:
    """Serve jobs until the judge closes the pipe."""
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    prctl(PR_SET_DUMPABLE, 0)        # students, even with our uid, cannot ptrace us or open /proc/<us>/fd
    prctl(PR_SET_CHILD_SUBREAPER, 1)  # whatever a submission forks stays our descendant, so we can kill it
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    warm_up(settings["probe_modules"])
    judge = channel.FrameReader(settings["in_fd"], max_bytes=settings["max_notebook_bytes"] * 2)
    out_fd = settings["out_fd"]
    baseline = address_space()
    channel.send(out_fd, channel.ZYGOTE, {"event": "ready", "pid": os.getpid()})
    for number in iter(int, 1):
        try:
            _, job = judge.read()
        except channel.ChannelClosed:
            return
        outcome = run_job(job, number, judge, settings, baseline)
        channel.send(out_fd, channel.ZYGOTE, {"event": "finished", **outcome})


def run_job(job: dict, number: int, judge: channel.FrameReader, settings: dict, baseline: int) -> dict:
    """Run one submission to its end and clean up after it; return how the child ended."""
    scratch = fresh_scratch(settings, number)
    notebook = scratch / job["name"]
    notebook.write_bytes(base64.b64decode(job["notebook"]))
    request_r, request_w = channel.pipe()
    reply_r, reply_w = channel.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(request_w)
        os.close(reply_r)
        child(job, settings, baseline, scratch, notebook, request_r, reply_w)
    os.close(request_r)
    os.close(reply_w)
    try:
        reason = relay(judge, pid, request_w, reply_r, settings)
    finally:
        left = end_submission(settings.get("uid"))
        status = reap(pid)
        os.close(request_w)
        os.close(reply_r)
        wipe(scratch, settings)
    return {"reason": reason, **status, **({"left": left} if left else {})}


def child(job, settings, baseline, scratch: Path, notebook: Path, request_fd: int, reply_fd: int):
    """The forked subject: isolate, limit, drop privileges, serve; never returns."""
    code = 0
    try:
        os.setsid()
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        close_other_fds({request_fd, reply_fd})
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        restore_fatal_signals()
        apply_limits(job["limits"], baseline, settings)
        prctl(PR_SET_NO_NEW_PRIVS, 1)  # no setuid program or file capability gives the student more rights
        drop_privileges(settings)
        drop_capabilities()
        enter(scratch)
        from . import server

        server.serve(str(notebook), str(scratch), request_fd, reply_fd, job["settings"])
    except MemoryError:  # the notebook holds (nearly) all the memory it may have: nothing more can be answered
        code = OUT_OF_MEMORY
    except BaseException:  # noqa: BLE001  (never return into the zygote)
        code = GRADER_FAILED
    os._exit(code)


def restore_fatal_signals() -> None:
    """Default actions for SIGPIPE and the crash signals.

    MXNet installs a SIGSEGV handler that logs and exits with 255; with the default action a crash reaches the
    zygote as "killed by SIGSEGV", which the feedback can name.
    """
    for number in (signal.SIGPIPE, signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGABRT):
        signal.signal(number, signal.SIG_DFL)


def close_other_fds(keep: set[int]) -> None:
    """Close every file descriptor above 2 but ``keep`` (the judge's pipes above all)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def apply_limits(limits: dict, baseline: int, settings: dict) -> None:
    """Memory, CPU time, file size and process-count limits of the child and everything it starts."""
    memory = baseline + limits["memory_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    file_size = limits["file_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if settings.get("uid") is not None:  # a uid of its own: the process count is this submission's alone
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))


def drop_privileges(settings: dict) -> None:
    """Become the unprivileged student uid, when there is one to become."""
    uid = settings.get("uid")
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def drop_capabilities() -> None:
    """Clear every capability (a non-root grader's sandbox gives the zygote some in its user namespace, and
    without a student uid to become the child would keep them)."""
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)  # two empty __user_cap_data_struct: effective, permitted, inheritable
    if _libc.capset(ctypes.c_char_p(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def enter(scratch: Path) -> None:
    """Make the scratch folder home, temp dir and working directory."""
    for name in ("HOME", "MXNET_HOME", "TMPDIR", "MPLCONFIGDIR"):
        os.environ[name] = str(scratch)
    tempfile.tempdir = None
    os.chdir(scratch)


def relay(judge: channel.FrameReader, pid: int, request_fd: int, reply_fd: int, settings: dict) -> str:
    """Pass frames both ways until the child ends (``exited``), the judge says stop, or a reply is too big."""
    replies = channel.FrameReader(reply_fd)
    out_fd = settings["out_fd"]
    while True:
        ready, _, _ = select.select([judge.fd, reply_fd], [], [], 0.05)
        if judge.fd in ready:
            judge.fill(time.monotonic())
            while (frame := judge.pop()) is not None:
                tag, payload = frame
                if tag == channel.ZYGOTE:
                    return "stopped"
                with contextlib.suppress(OSError):
                    channel.write_all(request_fd, channel.frame(channel.CHILD, payload))
        if reply_fd in ready:
            try:
                replies.fill(time.monotonic())
                forward_whole_frames(replies, out_fd)
            except channel.ChannelClosed:
                return "exited"
            except Exception:  # noqa: BLE001  (garbled framing: trust nothing more)
                return "oversized"
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _reaped[pid] = status
            forward_rest(replies, out_fd)
            return "exited"


def forward_whole_frames(replies: channel.FrameReader, out_fd: int) -> None:
    """Pass on, tagged as the child's, every whole frame read so far from the child."""
    while (frame := replies.pop()) is not None:
        channel.write_all(out_fd, channel.frame(channel.CHILD, frame[1]))


def forward_rest(replies: channel.FrameReader, out_fd: int) -> None:
    """Forward the whole frames a finished child left in its pipe."""
    try:
        while select.select([replies.fd], [], [], 0)[0]:
            replies.fill(time.monotonic())
        forward_whole_frames(replies, out_fd)
    except Exception:  # noqa: BLE001, S110  (a closed or garbled pipe simply ends the forwarding)
        pass


_reaped: dict[int, int] = {}


def reap(pid: int) -> dict:
    """Wait for the child (already killed if need be) and describe its end."""
    status = _reaped.pop(pid, None)
    if status is None:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return {"exit": None, "signal": None}
    if os.WIFSIGNALED(status):
        return {"exit": None, "signal": os.WTERMSIG(status)}
    return {"exit": os.WEXITSTATUS(status), "signal": None}


def end_submission(uid: int | None) -> int:
    """Kill every process of the submission and wait until they are gone; how many were still there at the end
    (0: none; the zygote says so in its report otherwise)."""
    if uid is not None and os.geteuid() == 0:
        kill_uid(uid)
    kill_descendants()
    if uid is None or os.geteuid() != 0:
        return 0
    deadline = time.monotonic() + END_SECONDS
    while (left := processes_of(uid)) and time.monotonic() < deadline:
        kill_uid(uid)
        time.sleep(0.01)
        reap_any()
    return len(left)


def kill_uid(uid: int) -> None:
    """SIGKILL every process running as ``uid`` (in this PID namespace and below), all at once: a forked helper
    becomes ``uid`` and sends ``kill(-1, SIGKILL)``, which the kernel delivers to all of them under one lock, so
    none can fork a new one past it."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
        except BaseException:  # noqa: BLE001, S110  (never return into the zygote)
            pass
        os._exit(0)
    os.waitpid(pid, 0)


def processes_of(uid: int, *, zombies: bool = True) -> list[int]:
    """Pids of every process whose real uid is ``uid`` (zombies too, unless ``zombies`` is false)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status", "rb") as stream:
                    status = stream.read(2048)
            except OSError:
                continue
            start = status.find(b"\nUid:") + 5
            if start > 4 and int(status[start:status.find(b"\t", start + 1)]) == uid and (
                    zombies or b"\nState:\tZ" not in status):
                found.append(int(entry))
    return found


def kill_descendants() -> None:
    """Stop, then kill, every process below the zygote until none is left, reaping as we go.

    Stopped first, all of them (SIGSTOP cannot be caught or ignored, and a stopped process cannot fork): a process
    that keeps forking and exiting gets a new pid faster than one walk of ``/proc`` can kill it, but each walk
    stops every one it finds, until a walk finds none still running; then all of them are killed.
    """
    me = os.getpid()
    for _ in range(1000):
        victims = descendants(me)
        if not victims:
            return
        running = [pid for pid, state in victims.items() if state not in STOPPED_OR_DEAD]
        for pid in running or victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP if running else signal.SIGKILL)
        if not running:
            time.sleep(0.01)
            reap_any()


#: States in /proc/<pid>/stat of a process that can no longer start another: stopped, traced, zombie, dead.
STOPPED_OR_DEAD = frozenset("TtZXx")


def reap_any() -> None:
    """Collect every dead child, keeping the statuses of the ones we will ask about."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _reaped[pid] = status


def descendants(root: int) -> dict[int, str]:
    """``{pid: state}`` of every process whose chain of parents reaches ``root``, zombies included: a zombie may be
    a thread group's leader whose other threads still run (and whose children still live), and killing its pid
    kills them; one that is only waiting to be reaped is collected by the next :func:`reap_any`."""
    parents, states = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            parents[int(entry)], states[int(entry)] = int(fields[1]), fields[0]
    found, frontier = {}, {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found.update((pid, states[pid]) for pid in frontier)
    return found


def fresh_scratch(settings: dict, number: int) -> Path:
    """An empty folder for this job, owned by the student uid."""
    scratch = Path(settings["scratch_root"]) / f"job-{number}"
    scratch.mkdir(mode=0o700)
    uid = settings.get("uid")
    if uid is not None and os.geteuid() == 0:
        os.chown(scratch, uid, uid)
    return scratch


def wipe(scratch: Path, settings: dict) -> None:
    """Remove the job's scratch folder and, in the sandbox, everything it left in the private /tmp."""
    rmtree(scratch)
    if settings.get("sandboxed"):
        wipe_around(Path("/tmp"), mounts_under_tmp())  # noqa: S108  (the sandbox's private /tmp, wiped)


def wipe_around(folder: Path, keep: list[str]) -> None:
    """Empty ``folder`` except the mounts in ``keep`` and the folders that lead to them.

    The grader's Python environment may itself live under /tmp (a CI checkout); the sandbox binds it read-only
    into the private /tmp, and it must survive every wipe.
    """
    for entry in folder.iterdir():
        path = str(entry)
        leads_to = [point for point in keep if point == path or point.startswith(path + "/")]
        if not leads_to:
            rmtree(entry)
        elif path not in keep:
            wipe_around(entry, leads_to)


@functools.cache
def mounts_under_tmp() -> list[str]:
    """The binds below /tmp, read once: bubblewrap made every mount before the zygote started."""
    return [point for point in mount_points() if point.startswith("/tmp/")]  # noqa: S108  (a prefix, not a file)


def mount_points() -> list[str]:
    """Where this mount namespace has something mounted (from /proc/self/mountinfo)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    return [_unescape(line.split()[4]) for line in lines if len(line.split()) > 4]


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes (``\\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


def rmtree(path: Path) -> None:
    """Delete ``path`` even where the student took away permissions (never touching what holds ``path``)."""
    top = str(path)

    def retry(function, name, _):
        try:
            if os.path.dirname(name).startswith(top):
                os.chmod(os.path.dirname(name), 0o700)
            os.chmod(name, 0o700)
            function(name)
        except OSError:
            pass

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=retry)
    else:
        path.unlink(missing_ok=True)


def address_space() -> int:
    """This process's virtual memory size in bytes (the child's memory limit is counted above it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
