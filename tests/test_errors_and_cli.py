"""The exception tree and the CLI's promise: one clear line and a documented exit code."""

import pytest

from pipeline.cli import build_parser, main
from roadcam import errors


def all_error_classes():
    seen, todo = [], [errors.RoadcamError]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


def test_every_error_has_its_own_exit_code_and_kind():
    classes = all_error_classes()
    codes = [c.exit_code for c in classes]
    kinds = [c.kind for c in classes]
    assert len(set(codes)) == len(codes), "exit codes must be unique"
    assert len(set(kinds)) == len(kinds)
    assert all(c.exit_code not in (0, errors.EXIT_INTERNAL, errors.EXIT_PARTIAL) for c in classes)


def test_error_record_for_user_and_internal_errors():
    rec = errors.error_record(errors.CorruptInputError("truncated video", path="a.mp4"))
    assert rec == {
        "path": "a.mp4",
        "kind": "corrupt_input",
        "exit_code": 13,
        "message": "truncated video",
    }
    rec = errors.error_record(ValueError("boom"), path="b.mp4")
    assert (
        rec["kind"] == "internal" and rec["exit_code"] == 1 and rec["message"] == "ValueError: boom"
    )


def test_readme_lists_every_exit_code(repo_root):
    readme = (repo_root / "README.md").read_text()
    for cls in all_error_classes():
        if cls is errors.RoadcamError:
            continue
        assert f"| {cls.exit_code} |" in readme, (
            f"README lacks exit code {cls.exit_code} ({cls.__name__})"
        )


def test_cli_user_error_is_one_line_without_traceback(tmp_path, capsys):
    code = main(
        [
            "process",
            str(tmp_path / "missing.mp4"),
            "--no-detect",
            "--database",
            f"sqlite:///{tmp_path}/x.sqlite",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == errors.InputNotFoundError.exit_code
    assert len(err) == 1 and "missing.mp4" in err[0] and "Traceback" not in err[0]


def test_cli_usage_error_exit_code(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == errors.EXIT_USAGE


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in (
        "db",
        "network",
        "process",
        "serve",
        "track",
        "match",
        "detect",
        "train",
        "evaluate",
        "dataset",
        "hierarchy",
        "repairs",
        "skips",
    ):
        assert name in sub.choices, f"roadcam {name} is missing"
