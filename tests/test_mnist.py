"""autograder/mnist.py: reading idx files, where the files are looked for, verifying them, batching them.

Every test except the one marked ``realdata`` writes its own tiny idx files into ``tmp_path``; the real
files are never copied. The environment is isolated per test: ``GLUON_GRADER_MNIST`` is unset and
``MXNET_HOME`` points into ``tmp_path`` unless a test sets them itself, so no test can find (or download into)
a real cache folder by accident.
"""
from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from autograder import mnist
from autograder.mnist import MnistNotFound

# --- making idx files --------------------------------------------------------------------------------------

def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """An idx file's bytes: magic 0, 0, type, ndim; the sizes as big-endian uint32; the data big-endian."""
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, type_code: int = 0x08) -> Path:
    """Write ``array`` as an idx file at ``path``, gzip-compressed when the name ends in .gz."""
    data = idx_bytes(array, type_code)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def fake_images(count: int, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).randint(0, 256, size=(count, 28, 28)).astype(np.uint8)


def fake_labels(count: int, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed + 1).randint(0, 10, size=count).astype(np.uint8)


def write_split(folder: Path, count: int, split: str = "test", seed: int = 0):
    """Write a fake ``split`` of ``count`` images under the standard file names; return (images, labels)."""
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = fake_images(count, seed), fake_labels(count, seed)
    images_name, labels_name = mnist.SPLITS[split]
    write_idx(folder / images_name, images)
    write_idx(folder / labels_name, labels)
    return images, labels


@pytest.fixture(autouse=True)
def isolated_env(request, monkeypatch, tmp_path):
    """No real MNIST and no real cache for the tests that make their own files."""
    if request.node.get_closest_marker("realdata"):
        return
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "mxnet-home"))


# --- read_idx ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".gz", ""], ids=["gzip", "plain"])
def test_read_idx_round_trips_images_and_labels(tmp_path, suffix):
    images, labels = fake_images(5), fake_labels(5)
    read_images = mnist.read_idx(write_idx(tmp_path / f"images{suffix}", images))
    read_labels = mnist.read_idx(write_idx(tmp_path / f"labels{suffix}", labels))
    assert read_images.dtype == np.uint8 and read_images.shape == (5, 28, 28)
    assert read_labels.dtype == np.uint8 and read_labels.shape == (5,)
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)


def test_read_idx_reads_wider_types_big_endian_into_native_order(tmp_path):
    values = np.array([[1, -2, 70000], [-(2**31), 2**31 - 1, 0]], dtype=np.int32)
    read = mnist.read_idx(write_idx(tmp_path / "ints.gz", values, type_code=0x0C))
    assert read.dtype == np.dtype(np.int32) and read.dtype.isnative
    np.testing.assert_array_equal(read, values)


@pytest.mark.parametrize("suffix", [".gz", ""], ids=["gzip", "plain"])
@pytest.mark.parametrize("body", [
    b"\x00\x00\x07\x01" + struct.pack(">I", 3) + bytes(3),
    b"\x01\x00\x08\x01" + struct.pack(">I", 3) + bytes(3),
    b"PK\x03\x04" + bytes(20),
    b"\x00\x00\x08",
    b"",
], ids=["unknown-type", "nonzero-first-byte", "zip-file", "shorter-than-magic", "empty"])
def test_read_idx_rejects_bad_magic_naming_the_file(tmp_path, suffix, body):
    path = tmp_path / f"labels-idx1-ubyte{suffix}"
    path.write_bytes(gzip.compress(body) if suffix else body)
    with pytest.raises(MnistNotFound, match="bad magic") as caught:
        mnist.read_idx(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("suffix", [".gz", ""], ids=["gzip", "plain"])
def test_read_idx_rejects_truncated_data_naming_the_file(tmp_path, suffix):
    full = idx_bytes(fake_images(3))
    path = tmp_path / f"images-idx3-ubyte{suffix}"
    cut = full[:-100]
    path.write_bytes(gzip.compress(cut) if suffix else cut)
    with pytest.raises(MnistNotFound, match="truncated") as caught:
        mnist.read_idx(path)
    assert str(path) in str(caught.value)


def test_read_idx_rejects_extra_bytes_after_the_data(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(idx_bytes(fake_labels(4)) + b"\x00\x01"))
    with pytest.raises(MnistNotFound, match="does not match") as caught:
        mnist.read_idx(path)
    assert str(path) in str(caught.value)


def test_read_idx_rejects_a_cut_off_gzip_stream_naming_the_file(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(fake_images(3)))[:-12])
    with pytest.raises(MnistNotFound) as caught:
        mnist.read_idx(path)
    assert str(path) in str(caught.value)


def test_read_idx_rejects_a_file_that_is_not_gzip_despite_its_name(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(idx_bytes(fake_labels(3)))  # plain idx bytes under a .gz name
    with pytest.raises(MnistNotFound) as caught:
        mnist.read_idx(path)
    assert str(path) in str(caught.value)


def test_read_idx_rejects_a_file_cut_inside_its_header(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(fake_images(2))[:9])  # magic says 3 dimensions, only 1.25 sizes follow
    with pytest.raises(MnistNotFound) as caught:
        mnist.read_idx(path)
    assert str(path) in str(caught.value)


def test_read_idx_rejects_corrupt_gzip_data_naming_the_file(tmp_path):
    packed = bytearray(gzip.compress(idx_bytes(fake_images(2))))
    for index in range(12, len(packed) - 8):  # flip the deflate stream, keep gzip's header and trailer
        packed[index] ^= 0xFF
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(MnistNotFound) as caught:
        mnist.read_idx(path)
    assert str(path) in str(caught.value)


# --- load_mnist and where it looks -------------------------------------------------------------------------

def test_load_mnist_reads_a_small_split_from_data_dir(tmp_path):
    images, labels = write_split(tmp_path / "mine", 7)
    read_images, read_labels = mnist.load_mnist("test", tmp_path / "mine", verify=False, download=False)
    assert read_images.shape == (7, 28, 28) and read_images.dtype == np.uint8
    assert read_labels.shape == (7,)
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)


def test_load_mnist_reads_the_train_split_under_its_own_names(tmp_path):
    write_split(tmp_path / "d", 2, split="test")
    images, labels = write_split(tmp_path / "d", 5, split="train", seed=9)
    read_images, read_labels = mnist.load_mnist("train", str(tmp_path / "d"), verify=False, download=False)
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)


def test_load_mnist_rejects_images_and_labels_of_different_lengths(tmp_path):
    folder = tmp_path / "odd"
    write_split(folder, 4)
    write_idx(folder / mnist.SPLITS["test"][1], fake_labels(3))
    with pytest.raises(MnistNotFound, match="4 images") as caught:
        mnist.load_mnist("test", folder, verify=False, download=False)
    assert "3 labels" in str(caught.value)


def test_search_order_data_dir_then_env_var_then_course_default_then_cache(tmp_path, monkeypatch):
    argument, from_env, home = tmp_path / "argument", tmp_path / "env", tmp_path / "home"
    course, beside = tmp_path / "course", tmp_path / "shared" / "data" / "mnist"  # the README's layout
    write_split(argument, 1)
    write_split(from_env, 2)
    write_split(home / "datasets" / "mnist", 3)
    write_split(beside, 4)
    course.mkdir()
    (course / "nbgrader_config.py").write_text("")
    monkeypatch.chdir(course)
    monkeypatch.setenv(mnist.ENV_VAR, str(from_env))
    monkeypatch.setenv("MXNET_HOME", str(home))
    checkout = [] if not (Path(mnist.__file__).parents[1] / mnist.COURSE_DEFAULT).is_dir() else [
        (Path(mnist.__file__).parents[1] / mnist.COURSE_DEFAULT).resolve()]  # this kit's own checkout's, if any

    def found(data_dir=None):
        return len(mnist.load_mnist("test", data_dir, verify=False, download=False)[0])

    assert mnist.candidate_dirs(argument) == [argument, from_env, *checkout, beside, home / "datasets" / "mnist"]
    assert mnist.cache_dir() == home / "datasets" / "mnist"
    assert found(argument) == 1      # the argument beats the environment variable
    assert found() == 2              # the environment variable beats the course's default
    monkeypatch.delenv(mnist.ENV_VAR)
    if not checkout:
        assert found() == 4          # ../shared/data/mnist beside the course folder, without any variable
    (course / "nbgrader_config.py").unlink()   # not a course: no default of its own
    if not checkout:
        assert found() == 3          # the cache last
    assert found(argument) == 1


def test_an_incomplete_folder_is_skipped_for_the_next_one(tmp_path, monkeypatch):
    partial, complete = tmp_path / "partial", tmp_path / "complete"
    partial.mkdir()
    write_idx(partial / mnist.SPLITS["test"][0], fake_images(1))  # images only, no labels
    write_split(complete, 2)
    monkeypatch.setenv(mnist.ENV_VAR, str(complete))
    images_path, labels_path = mnist.find_split("test", partial, verify=False, download=False)
    assert images_path.parent == complete and labels_path.parent == complete


def test_verify_rejects_a_fake_file_as_damaged(tmp_path):
    write_split(tmp_path / "fake", 2)
    with pytest.raises(MnistNotFound) as caught:
        mnist.load_mnist("test", tmp_path / "fake", verify=True, download=False)
    message = str(caught.value)
    assert "SHA-1 does not match" in message and "damaged" in message
    assert "t10k-images-idx3-ubyte.gz" in message


def test_missing_files_without_download_name_the_files_and_the_env_var(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "course_dirs", list)  # no course around (this checkout has the README's layout)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(mnist.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(MnistNotFound) as caught:
        mnist.load_mnist("test", empty, download=False)
    message = str(caught.value)
    assert "t10k-images-idx3-ubyte.gz" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert mnist.ENV_VAR in message
    for folder in (empty, tmp_path / "nowhere", mnist.cache_dir()):
        assert str(folder) in message  # every folder that was searched is listed
    assert isinstance(caught.value, FileNotFoundError)


def test_missing_files_do_not_create_the_cache_folder_without_download(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "course_dirs", list)  # no course around (this checkout has the README's layout)
    with pytest.raises(MnistNotFound):
        mnist.find_split("test", tmp_path / "none", download=False)
    assert not mnist.cache_dir().exists()


# --- batching ----------------------------------------------------------------------------------------------

def test_to_batch_array_scales_into_unit_interval():
    images = np.array([[[0] * 28] * 28, [[255] * 28] * 28], dtype=np.uint8)
    batch = mnist.to_batch_array(images)
    assert batch.dtype == np.float32 and batch.shape == (2, 1, 28, 28)
    assert batch[0].max() == 0.0 and batch[1].min() == 1.0


def test_mnist_batches_yields_float_images_in_unit_interval_and_labels(tmp_path):
    images, labels = write_split(tmp_path / "small", 10)
    loader = mnist.mnist_batches(batch_size=4, data_dir=tmp_path / "small", verify=False, download=False)
    batches = list(loader)
    assert [data.shape for data, _ in batches] == [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)]
    data, label = batches[0]
    assert data.dtype == np.float32 and label.shape == (4,)
    values = data.asnumpy()
    assert values.min() >= 0.0 and values.max() <= 1.0
    np.testing.assert_allclose(values[:, 0], images[:4] / 255.0, rtol=0, atol=1e-7)
    all_labels = np.concatenate([label.asnumpy() for _, label in batches])
    np.testing.assert_array_equal(all_labels, labels)  # shuffle=False keeps the file's order


# --- the real files ----------------------------------------------------------------------------------------

@pytest.mark.realdata
def test_real_mnist_verifies_and_reads():
    folder = os.environ.get(mnist.ENV_VAR)
    if not folder:
        pytest.skip(f"{mnist.ENV_VAR} is not set: point it at the folder of the four real MNIST idx .gz files")
    for split in mnist.SPLITS:
        mnist.find_split(split, folder, verify=True, download=False)  # raises MnistNotFound if damaged
    images, labels = mnist.load_mnist("test", folder, verify=True, download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,)
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert set(np.unique(labels).tolist()) == set(range(10))
