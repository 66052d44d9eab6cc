r'''Helpers shared by the hostile cells: the source of one notebook cell, kept as a real module for linting.

The corpus puts ``HELPERS`` (this file's code below the marker) into a notebook cell of its own, so the hostile
cells after it can search the filesystem and plant files. Every damaging helper is fenced:

- files are only damaged under a folder that holds the arena marker ``.gluon-grader-hostile-arena`` (the test's
  own temporary class folder) or in the cell's working folder, ``..`` of it and top-level ``/tmp``;
- searches skip system folders and stop after a few seconds;
- leftover processes stop by themselves after a minute.

So if the sandbox is missing and these cells run as plain processes, they damage only the test's temporary files.
'''
# --- cell source starts here ---
import contextlib
import json
import os
import sys
import time

MARK = ".gluon-grader-hostile-arena"
SKIP = {"/proc", "/sys", "/dev", "/run", "/boot", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/var",
        "/snap", "/opt"}
FAKE_RESULTS = {"score": 35.0, "max_score": 35.0, "output": "all checks passed",
                "tests": [{"name": "everything", "score": 35.0, "max_score": 35.0, "status": "passed"}],
                "planted_by": "a hostile submission"}


def search_roots():
    """Likely places first (ancestors of cwd, /tmp, /work, paths in env and argv), then the whole filesystem."""
    here = os.getcwd() if os.path.isdir(".") else "/"
    candidates = [os.path.dirname(here), os.path.dirname(os.path.dirname(here)), "/tmp", "/work", "/root", "/home"]
    for value in list(os.environ.values()) + list(sys.argv):
        for part in str(value).split(os.pathsep):
            if part.startswith("/"):
                candidates.append(part if os.path.isdir(part) else os.path.dirname(part))
    candidates.append("/")
    roots = []
    for candidate in candidates:
        if candidate and candidate not in roots and os.path.isdir(candidate):
            roots.append(candidate)
    return roots


def find_files(match, seconds=8.0, limit=500):
    """Paths of files for which ``match(path)`` holds, searching for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    found, visited = [], set()
    for root in search_roots():
        for top, dirs, files in os.walk(root):
            if time.monotonic() > deadline or len(found) >= limit:
                return found
            if top in visited or top in SKIP:
                dirs[:] = []
                continue
            visited.add(top)
            dirs[:] = [d for d in dirs if d not in (".git", "__pycache__", ".venv", "site-packages")]
            found += [os.path.join(top, name) for name in files
                      if match(os.path.join(top, name)) and os.path.join(top, name) not in found]
    return found


def in_arena(path):
    """True under a folder that the kit's test marked as the class arena: the only place damaged on purpose."""
    path = os.path.abspath(path)
    while path != os.path.dirname(path):
        if os.path.exists(os.path.join(path, MARK)):
            return True
        path = os.path.dirname(path)
    return False


def arena_dirs(seconds=4.0):
    """Every folder of the arena(s) this process can see, found by the marker file."""
    folders = []
    for mark in find_files(lambda p: p.endswith("/" + MARK), seconds, limit=5):
        folders += [top for top, _, _ in os.walk(os.path.dirname(mark))]
    return folders


def plant(folder, name="results.json"):
    """Try to write a perfect-score results.json as ``folder/name``; True when it worked."""
    try:
        with open(os.path.join(folder, name), "w") as stream:
            json.dump(FAKE_RESULTS, stream)
        return True
    except OSError:
        return False


def near_places():
    """cwd, its parent and /tmp: where a grader might look for results."""
    places = ["/tmp"]
    with contextlib.suppress(OSError):
        places += [os.getcwd(), os.path.dirname(os.getcwd())]
    return places


def haunt(seconds=60.0, tag="ghost"):
    """For ``seconds``, once a second: plant results.json near cwd and in every arena folder (a leftover's job)."""
    end, folders = time.monotonic() + seconds, []
    while time.monotonic() < end:
        time.sleep(1)
        folders = folders or arena_dirs(2)
        for folder in near_places() + folders:
            plant(folder)
            plant(folder, f"planted-by-{tag}.json")
