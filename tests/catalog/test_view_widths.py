"""The widest file label of a name several files share, measured all at once for the table's
widths: the same labels `FileNames.label` gives file by file."""

from __future__ import annotations

from tui_replay.catalog.view import FileNames, shared_name_key, widest_shared_label


def test_the_widest_label_of_a_shared_name_is_that_of_label_for_each_file():
    # Copies of a tree, folders of different depths, one file a folder's suffix of another.
    files = [
        *(
            f"copy{copy}/tests/integration/{area}/recordings/{name}"
            for copy in range(5)
            for area in ("agents", "inference", "vector_io")
            for name in ("x.json", "models-list.json")
        ),
        "x.json",
        "recordings/x.json",
        "inference/recordings/x.json",
        "deep/er/still/inference/recordings/x.json",
        "other/unique-name.json",
    ]
    names = FileNames()
    for file in files:
        names.add(file)
    for name in ("x.json", "models-list.json", "unique-name.json"):
        same = [file for file in files if file.rsplit("/", 1)[-1] == name]
        expected = max(len(names.label(file)) for file in same)
        key = shared_name_key(names, same[0])
        if name == "unique-name.json":
            assert key is None
            continue
        assert key is not None
        measured: list[str] = []  # every label it measured: each file's, as `label` says

        def width(label: str, measured: list[str] = measured) -> int:
            measured.append(label)
            return len(label)

        assert widest_shared_label(names, key, width) == expected
        assert sorted(measured) == sorted(names.label(file) for file in same)
    assert names.label("copy3/tests/integration/agents/recordings/x.json") == "copy3/…/x.json"
