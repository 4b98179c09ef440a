"""TensorBoard event files: a fixture from TensorBoard's own writer, and a reader for runner's files.

    .venv/bin/pip install tensorboard
    .venv/bin/python tools/reference/tensorboard_check.py fixture
        writes Tests/ReportsTests/Fixtures/tensorboard/{events.out.tfevents.fixture,scalars.json} with
        tensorboard's RecordWriter and Event protos (the Swift test compares its own bytes to them)
    .venv/bin/python tools/reference/tensorboard_check.py check RUN_DIR [--metrics]
        loads every event file under RUN_DIR/tensorboard with tensorboard's EventAccumulator, prints
        each series and, with --metrics, checks loss/learning_rate/grad_norm/eval_loss against the train
        stage's metrics.json found in the run record's cache (exit 1 on any mismatch)
"""
import json
import math
import pathlib
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE_DIR = ROOT / "Tests/ReportsTests/Fixtures/tensorboard"

# A short training run's scalars: (tag, step, value, wall_time). Not zeros, not round numbers.
FIXTURE_SCALARS = [
    ("grad_norm", 1, 1.0375, 1763800001.25),
    ("learning_rate", 1, 6.666666e-05, 1763800001.25),
    ("loss", 1, 2.8824, 1763800001.25),
    ("grad_norm", 2, 0.9812, 1763800002.5),
    ("learning_rate", 2, 0.0002, 1763800002.5),
    ("loss", 2, 2.71875, 1763800002.5),
    ("eval_loss", 3, 2.6931, 1763800003.75),
    ("loss", 3, -0.125, 1763800003.75),
    ("tokens_per_second", 3, 98.4, 1763800003.75),
    ("loss", 300, 1.5e-3, 1763800400.0),
]
FIXTURE_CREATED = 1763800000.5


def make_fixture():
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    path = FIXTURE_DIR / "events.out.tfevents.fixture"
    with open(path, "wb") as f:
        writer = RecordWriter(f)
        writer.write(event_pb2.Event(wall_time=FIXTURE_CREATED, file_version="brain.Event:2").SerializeToString())
        for tag, step, value, wall in FIXTURE_SCALARS:
            summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
            writer.write(event_pb2.Event(wall_time=wall, step=step, summary=summary).SerializeToString())
        writer.flush()
    (FIXTURE_DIR / "scalars.json").write_text(json.dumps({
        "created": FIXTURE_CREATED,
        "scalars": [{"tag": t, "step": s, "value": v, "wall_time": w} for t, s, v, w in FIXTURE_SCALARS],
    }, indent=1) + "\n")
    # Read it back the way TensorBoard does, to be sure the fixture itself is valid.
    series = load(FIXTURE_DIR)
    assert series["loss"][-1] == (300, FIXTURE_SCALARS[-1][2]) or math.isclose(series["loss"][-1][1], 1.5e-3, rel_tol=1e-6)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


def load(directory):
    """tag → [(step, value)] from the event files directly in `directory`."""
    acc = EventAccumulator(str(directory), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def check(run_dir, compare_metrics):
    run_dir = pathlib.Path(run_dir)
    stages = sorted(p for p in (run_dir / "tensorboard").iterdir() if p.is_dir())
    if not stages:
        sys.exit(f"{run_dir}/tensorboard has no stage directories")
    record = json.loads((run_dir / "run.json").read_text()) if compare_metrics else None
    failures = 0
    for stage_dir in stages:
        series = load(stage_dir)
        print(f"{stage_dir.name}:")
        for tag, points in sorted(series.items()):
            print(f"  {tag}: {len(points)} points, steps {points[0][0]}..{points[-1][0]}, last {points[-1][1]:.6g}")
        if record is None:
            continue
        stage = next(s for s in record["stages"] if s["name"] == stage_dir.name)
        metrics_path = pathlib.Path(record["cacheDirectory"]) / "objects" / stage["key"] / "data/metrics.json"
        metrics = json.loads(metrics_path.read_text())
        expected = {
            "loss": [(s["step"], s["loss"]) for s in metrics["steps"]],
            "learning_rate": [(s["step"], s["learning_rate"]) for s in metrics["steps"]],
            "grad_norm": [(s["step"], s["grad_norm"]) for s in metrics["steps"]],
            "eval_loss": [(e["step"], e["loss"]) for e in metrics["eval"]],
        }
        for tag, want in expected.items():
            got = series.get(tag, [])
            ok = len(got) == len(want) and all(a[0] == b[0] and math.isclose(a[1], b[1], rel_tol=1e-6, abs_tol=1e-12)
                                               for a, b in zip(got, want))
            print(f"  {tag}: {'ok' if ok else 'MISMATCH'} against {metrics_path}")
            failures += 0 if ok else 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "fixture":
        make_fixture()
    elif len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2], "--metrics" in sys.argv[3:])
    else:
        sys.exit(__doc__)
