"""MNIST for the course's units: find the four idx files, verify them, read them, batch them.

Where the files are looked for, in order:

1. the ``data_dir`` argument (the autograder's ``--mnist-dir`` option passes it);
2. the directory in the ``GLUON_GRADER_MNIST`` environment variable;
3. the course's own default, ``../shared/data/mnist`` beside the course folder (the checkout this package is in,
   or the current folder when it is a course: it holds ``nbgrader_config.py``), where that folder exists;
4. MXNet's usual cache folder, ``$MXNET_HOME/datasets/mnist`` (``~/.mxnet/datasets/mnist``);
5. a download into that cache folder from MXNet's dataset mirror, checked against MXNet's SHA-1 sums,
   where the network allows.

Reading is plain NumPy (the idx format is a 4-byte magic, the sizes, then the bytes), so this module is also
usable on the judge's side without MXNet; batching uses Gluon's own ``ArrayDataset`` and ``DataLoader``.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np

ENV_VAR = "GLUON_GRADER_MNIST"
#: Where a course keeps MNIST, relative to its folder (the one with nbgrader_config.py): what the README documents.
COURSE_DEFAULT = Path("..", "shared", "data", "mnist")

#: The standard four files and the SHA-1 sums MXNet's own ``MNIST`` dataset checks them against.
FILES = {
    "train-images-idx3-ubyte.gz": "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d",
    "train-labels-idx1-ubyte.gz": "2a80914081dc54586dbdf242f9805a6b8d2a15fc",
    "t10k-images-idx3-ubyte.gz": "c3a25af1f52dad7f726cce8cacb138654b760d48",
    "t10k-labels-idx1-ubyte.gz": "763e7fa3757d93b0cdec073cef058b2004252c17",
}
SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32, 0x0D: np.float32, 0x0E: np.float64}


class MnistNotFound(FileNotFoundError):
    """The MNIST files are missing or damaged; the message says which and where they were looked for."""


def cache_dir() -> Path:
    """MXNet's usual dataset cache folder for MNIST (``$MXNET_HOME/datasets/mnist``)."""
    home = os.environ.get("MXNET_HOME") or os.path.join(os.path.expanduser("~"), ".mxnet")
    return Path(home) / "datasets" / "mnist"


def course_dirs() -> list[Path]:
    """The course's default folders, ``../shared/data/mnist`` beside each course folder that is here: the checkout
    this package runs from, and the current folder, when they hold ``nbgrader_config.py`` (an installed wheel is in
    no course: then there is none). Only existing folders, so the error message lists what was really looked in."""
    courses = [Path(__file__).resolve().parents[1], Path.cwd()]
    found = [(course / COURSE_DEFAULT).resolve() for course in courses if (course / "nbgrader_config.py").is_file()]
    return [folder for folder in dict.fromkeys(found) if folder.is_dir()]


def candidate_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for the files, in the order they are tried."""
    dirs = [Path(data_dir)] if data_dir else []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]))
    dirs += course_dirs()
    dirs.append(cache_dir())
    return dirs


def sha1_of(path: Path) -> str:
    """The SHA-1 hex digest of a file."""
    digest = hashlib.sha1(usedforsecurity=False)  # MXNet's published checksums are SHA-1: integrity, not security
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_split(split: str = "test", data_dir=None, *, verify: bool = True, download: bool = True) -> tuple[Path, Path]:
    """Return the (images, labels) paths of ``split``, verified, downloading into the cache as a last resort."""
    names = SPLITS[split]
    searched = candidate_dirs(data_dir)
    for folder in searched:
        if all((folder / name).is_file() for name in names):
            paths = tuple(folder / name for name in names)
            if verify:
                _verify(paths)
            return paths
    if download:
        fetched = _download(names)
        if fetched:
            return fetched
    raise MnistNotFound(_missing_message(names, searched, download))


def find_mnist_dir(data_dir=None) -> Path:
    """The folder holding the test split (what notebooks and probes read), found as :func:`find_split` does.

    The batch grader mounts this folder read-only into each sandbox.
    """
    return find_split("test", data_dir)[0].parent


def _verify(paths) -> None:
    for path in paths:
        if sha1_of(path) != FILES[path.name]:
            raise MnistNotFound(
                f"{path} is damaged or not the original MNIST file (its SHA-1 does not match). "
                f"Replace it with the original {path.name}."
            )


def _download(names) -> tuple[Path, Path] | None:
    try:
        from mxnet.gluon.utils import _get_repo_file_url, download
    except ImportError:
        return None
    target = cache_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        return tuple(
            Path(download(_get_repo_file_url("gluon/dataset/mnist", name), path=str(target),
                          sha1_hash=FILES[name], retries=1))
            for name in names
        )
    except Exception:  # noqa: BLE001  (no network, a proxy page, a bad checksum: "not available here")
        return None


def _missing_message(names, searched, download: bool) -> str:
    where = "\n".join(f"  - {folder}" for folder in searched)
    fetched = f"the download into {cache_dir()} failed (no network?)" if download else "downloading was off"
    return (
        f"MNIST files not found: {', '.join(names)}.\n"
        f"Looked in:\n{where}\n"
        f"and {fetched}.\n"
        f"Put the four idx .gz files in {COURSE_DEFAULT} beside the course folder, or in any folder and set "
        f"{ENV_VAR}=/path/to/that/folder (or pass --mnist-dir)."
    )


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one idx file (gzip-compressed or not) into a NumPy array of its declared type and shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise MnistNotFound(f"{path} cannot be read as an idx file: {error}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise MnistNotFound(f"{path} is not an idx file (bad magic number).")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MnistNotFound(f"{path} is truncated: its header is cut off.")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[raw[2]]).newbyteorder(">")
    count = int(np.prod(shape))
    if len(raw) - header != count * dtype.itemsize:
        raise MnistNotFound(f"{path} is truncated: its header says {shape} but the data does not match.")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


#: Splits already read in this process, by file paths, times and sizes: the grader's worker reads MNIST once
#: before it forks the process of each submission, so a notebook's own ``mnist_batches()`` costs no decompression.
_READ: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def load_mnist(split: str = "test", data_dir=None, *, verify: bool = True, download: bool = True):
    """Return ``(images, labels)`` of a split as read-only uint8 arrays of shapes (N, 28, 28) and (N,)."""
    images_path, labels_path = find_split(split, data_dir, verify=verify, download=download)
    key = tuple((str(path), os.stat(path).st_mtime_ns, os.stat(path).st_size) for path in (images_path, labels_path))
    if key not in _READ:
        images, labels = read_idx(images_path), read_idx(labels_path)
        if len(images) != len(labels):
            raise MnistNotFound(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels.")
        for array in (images, labels):
            array.flags.writeable = False  # shared by every later caller in this process
        _READ[key] = (images, labels)
    return _READ[key]


def to_batch_array(images: np.ndarray) -> np.ndarray:
    """Images as the float32 (N, 1, 28, 28) array in [0, 1] that the course feeds to its nets."""
    return (images.astype(np.float32) / 255.0)[:, None, :, :]


def mnist_batches(batch_size: int = 64, split: str = "test", data_dir=None, *, shuffle: bool = False, **kwargs):
    """A Gluon ``DataLoader`` over a split, yielding (data (B, 1, 28, 28) float32, label int32) NDArray batches."""
    from mxnet import gluon

    images, labels = load_mnist(split, data_dir, **kwargs)
    dataset = gluon.data.ArrayDataset(to_batch_array(images), labels.astype(np.int32))
    return gluon.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
