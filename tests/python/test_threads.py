"""The extension releases the GIL around C work: concurrent calls from Python threads must be
safe and give the same results as sequential ones (no timing is asserted)."""

import threading

import numpy as np

import cz


def _run_in_threads(target, count):
    results = [None] * count
    errors = []

    def work(slot):
        try:
            results[slot] = target()
        except BaseException as exc:  # report failures from the worker in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_concurrent_fills_are_identical():
    gold = cz.Lattice.prototype("fcc", "Au", a=4.08)
    rotation = cz.Transform.random_rotation(seed=5, center=(0, 0, 0))
    volume = cz.Sphere(40.0).transformed(rotation)
    reference = cz.fill(gold, volume, rotation, nthreads=1)
    results = _run_in_threads(lambda: cz.fill(gold, volume, rotation, nthreads=1), 2)
    for atoms in results:
        assert len(atoms) == len(reference)
        assert np.array_equal(atoms.positions, reference.positions)
        assert np.array_equal(atoms.numbers, reference.numbers)


def test_concurrent_scene_calls_are_serialised():
    gold = cz.Lattice.prototype("fcc", "Au", a=4.08)
    scene = cz.Scene()

    def add_and_populate():
        scene.add(gold, cz.Sphere(6.0))
        return len(scene.to_atoms())

    _run_in_threads(add_and_populate, 4)
    assert len(scene) == 4


def test_errors_are_per_thread():
    def failing():
        try:
            cz.Sphere(-1.25)
        except ValueError as exc:
            return str(exc)
        return None

    messages = _run_in_threads(failing, 4)
    assert all(m is not None and "-1.25" in m for m in messages)
