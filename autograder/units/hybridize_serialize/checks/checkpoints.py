"""What ``save_checkpoint`` and ``load_checkpoint`` are judged against: the judge's own run of the kit's training.

The judge chooses the starting values and the MNIST batches, trains the kit's net with its own MXNet (Adam, or SGD
with momentum), and keeps the parameters after every step, the trainer's state at the checkpoint and the files a
checkpoint then holds. ``save_checkpoint``'s files come back as bytes and are read here (:mod:`.files`) and
compared with that state; ``load_checkpoint`` gets the judge's files, and the parameters after loading and after
the resumed steps are compared with the judge's uninterrupted run. No comparison is made in the student's process.
"""
from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed

from .files import Unreadable, read_params, read_states, update_counts
from .inputs import digest, mlp_shapes, mnist_batches, xavier_values
from .replay import training
from .shared import answer, finished, same_values

#: Adam keeps a state per parameter (moments, step count): resuming without it takes other steps.
ADAM = {"name": "adam", "options": {"learning_rate": 0.01}}
CHECKPOINT_SIZES = [16, 16, 16, 16]
HIDDEN = [16]
STATE_HINT = ("save the trainer's state too, trainer.save_states(path + '.states'), and load it with "
              "trainer.load_states(path + '.states'): Adam's moments are part of where training stands")
PARAMS_HINT = ("net.save_parameters(path + '.params') and trainer.save_states(path + '.states'), of the net and "
               "the trainer you are given")


def judge_run(subject, optimizer: dict, seed: int) -> dict:
    """The judge's inputs and its own uninterrupted run: values, batches, the checkpoint after half of them."""
    values = xavier_values(mlp_shapes(HIDDEN), seed)
    batches = mnist_batches(subject, CHECKPOINT_SIZES, seed)
    half = len(batches) // 2
    run = training(HIDDEN, values, batches, optimizer, save_after=half)
    return {"values": values, "batches": batches, "half": half, **run}


def as_param_states(values: list[np.ndarray]) -> list[dict]:
    """Values in the kit net's order as the parameter states the probes report (names for the feedback)."""
    names = [f"dense{index // 2}_{'weight' if index % 2 == 0 else 'bias'}" for index in range(len(values))]
    return [{"name": name, "shape": list(value.shape), "value": value} for name, value in zip(names, values,
                                                                                                strict=True)]


def batch_list(batches) -> list:
    """Batches as the plain ``[[images, labels], ...]`` a probe takes."""
    return [list(batch) for batch in batches]


def batch_key(values, batches, *extra) -> str:
    """The fingerprint of a request's arrays."""
    return digest(*values, *(array for batch in batches for array in batch), *extra)


# --- save_checkpoint -----------------------------------------------------------------------------------------

def probe_save(subject, name: str, optimizer: dict = ADAM, seed: int = 8) -> tuple[dict, dict]:
    """The student's save_checkpoint after the kit's first steps on the judge's batches; the judge's run beside."""
    run = judge_run(subject, optimizer, seed)
    trained = run["batches"][:run["half"]]
    reply = subject.probe("save_checkpoint", hidden=HIDDEN, values=run["values"], batches=batch_list(trained),
                          optimizer=optimizer, key=batch_key(run["values"], trained))
    return finished(answer(reply, name), name), run


def saved_values(params: dict[str, np.ndarray], count: int) -> list | None:
    """The kit net's parameters in order from a parameter file: save_parameters' names (``0.weight``), or the
    parameters' own names (``collect_params().save``), which load_parameters reads too; None when absent."""
    plain = {key.split(":", 1)[-1]: value for key, value in params.items()}
    for naming in (lambda layer, kind: f"{layer}.{kind}", lambda layer, kind: f"hybridsequential0_dense{layer}_{kind}"):
        keys = [naming(index // 2, "weight" if index % 2 == 0 else "bias") for index in range(count)]
        if all(key in plain for key in keys) and len(plain) == count:
            return [plain[key] for key in keys]
    return None


def read_checkpoint(reply: dict) -> tuple[list | None, tuple | None, str]:
    """The saved parameters and trainer state read from the files' bytes, and what is wrong with them ("": none)."""
    params = states = None
    problem = ""
    if reply["params"] is None:
        problem = "there is no <path>.params"
    else:
        try:
            params = saved_values(read_params(reply["params"].tobytes()), 2 * (len(HIDDEN) + 1))
            if params is None:
                problem = "<path>.params does not hold the net's parameters under their names"
        except Unreadable as error:
            problem = f"<path>.params is not a parameter file: {error}"
    if reply["states"] is None:
        problem = problem or "there is no <path>.states"
    else:
        try:
            states = read_states(reply["states"].tobytes())
        except Unreadable as error:
            problem = problem or f"<path>.states is not a trainer's state file: {error}"
    return params, states, problem


def judge_files(reply: dict, files: list[str]) -> None:
    """Both files are there and are what save_parameters and save_states write."""
    missing = [name for name in files if name not in reply["files"]]
    if missing:
        hint = STATE_HINT if missing == [files[1]] else PARAMS_HINT
        raise CheckFailed(f"save_checkpoint(net, trainer, path) to write {files[0]} and {files[1]}",
                          ", ".join(reply["files"]) or "no file at all", hint)
    _, _, problem = read_checkpoint(reply)
    if problem:
        raise CheckFailed("<path>.params as net.save_parameters writes it and <path>.states as trainer.save_states "
                          "writes it", problem, PARAMS_HINT)


def judge_saved(reply: dict, run: dict, what: str) -> None:
    """The files hold the judge's parameters and trainer state at the checkpoint: resuming from them takes the
    uninterrupted run's steps."""
    params, states, problem = read_checkpoint(reply)
    expected = run["after"][run["half"] - 1]
    if params is None:
        hint = STATE_HINT if problem == "there is no <path>.states" else PARAMS_HINT
        raise CheckFailed(f"a checkpoint training can resume from ({what})", problem, hint)
    differs = same_values(as_param_states(params), as_param_states(expected), atol=1e-6)
    if differs:
        raise CheckFailed(f"<path>.params to hold the net's parameters at the checkpoint ({what})", differs,
                          PARAMS_HINT)
    if states is None:
        raise CheckFailed(f"a checkpoint training can resume from ({what})", problem, STATE_HINT)
    arrays, optimizer = states
    problem = state_difference(arrays, update_counts(optimizer), run)
    if problem:
        raise CheckFailed(f"<path>.states to hold the trainer's state at the checkpoint ({what})", problem,
                          "trainer.save_states(path + '.states') of the trainer you are given, after its steps")


def state_difference(arrays: dict, counts: dict, run: dict) -> str:
    """"" when a saved trainer state is the judge's at the checkpoint, else what differs."""
    expected = run["state_arrays"]
    if sorted(arrays) != sorted(expected):
        return f"states for {len(arrays)} parameters, not {len(expected)}"
    for index, states in expected.items():
        found = arrays[index]
        if len(found) != len(states) or any(
                mine.shape != theirs.shape or not np.allclose(mine, theirs, rtol=1e-4, atol=1e-7)
                for mine, theirs in zip(found, states, strict=False)):
            return f"the state of parameter {index} (dense{index // 2}) differs"
    if any(counts.get(index) != count for index, count in run["counts"].items()):
        return "the optimizer's step counts differ (Adam's bias correction depends on them)"
    return ""


# --- load_checkpoint -----------------------------------------------------------------------------------------

def probe_load(subject, name: str, optimizer: dict = ADAM, seed: int = 8) -> tuple[dict, dict]:
    """A fresh kit net and trainer loaded with the student's load_checkpoint from the judge's checkpoint files,
    then trained on; the judge's run beside."""
    run = judge_run(subject, optimizer, seed)
    fresh = xavier_values(mlp_shapes(HIDDEN), seed + 1)
    rest = run["batches"][run["half"]:]
    params = np.frombuffer(run["params"], dtype=np.uint8)
    states = np.frombuffer(run["states"], dtype=np.uint8)
    reply = subject.probe("load_checkpoint", hidden=HIDDEN, values=fresh, params=params, states=states,
                          batches=batch_list(rest), optimizer=optimizer,
                          key=batch_key(fresh, rest, params, states))
    return finished(answer(reply, name), name), run


def judge_restored(reply: dict, run: dict) -> None:
    """The net given to load_checkpoint holds the checkpoint's parameters afterwards."""
    differs = same_values(reply["restored"], as_param_states(run["after"][run["half"] - 1]), atol=0)
    if differs:
        raise CheckFailed("after load_checkpoint(net, trainer, path), the given net's parameters to be the saved ones",
                          differs, "net.load_parameters(path + '.params') into the net you are given (not a new one), "
                          "and do not initialize it afterwards: that draws new values over the loaded ones")


def judge_resumed(reply: dict, run: dict, optimizer: dict, what: str) -> None:
    """The resumed run's parameters equal the judge's uninterrupted run's, parameter by parameter."""
    expected = as_param_states(run["after"][-1])
    differs = same_values(reply["resumed"], expected, atol=1e-6)
    if not differs:
        return
    saved = run["after"][run["half"] - 1]
    if same_values(reply["restored"], as_param_states(saved), atol=1e-6):
        hint = ("the fresh net did not get the checkpoint's parameters: load with net.load_parameters(path + "
                "'.params') into the net you are given, and do not initialize it afterwards")
    else:
        alone = training(HIDDEN, saved, run["batches"][run["half"]:], optimizer, save_after=0)["after"][-1]
        if not same_values(reply["resumed"], as_param_states(alone), atol=1e-6):
            hint = "the parameters were restored but not the trainer's state: " + STATE_HINT
        else:
            hint = "restore both halves of the checkpoint: the parameters and the trainer's state"
    raise CheckFailed("training resumed from the checkpoint to take exactly the steps of the uninterrupted run "
                      f"({what})", f"after two more steps, {differs}", hint)
