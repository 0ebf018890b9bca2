"""The Test column's shortening keeps what tells a test's parametrized ids apart (no Textual)."""

from __future__ import annotations

from tui_replay.catalog.testids import CommonParams, fit_test_name, short_test_name

SAFE = "tests/x/test_x.py::test_guardrails_safe[openai_client-txt=ollama/llama3.2:3b-fp16-{}]"


def _common(*ids: str) -> CommonParams:
    common = CommonParams()
    for test_id in ids:
        common.add(test_id)
    return common


def test_the_shared_start_gives_way_and_the_differing_part_stays():
    ids = [SAFE.format("False"), SAFE.format("True")]
    common = _common(*ids)
    for test_id, flag in zip(ids, ("False", "True"), strict=True):
        for width in (20, 27, 40):
            shown = fit_test_name(test_id, width, common.common(test_id))
            assert len(shown) <= width and shown.endswith(f"-{flag}]" if width > 27 else f"…{flag}]"), shown
            assert "_safe[" in shown  # the end of the test's name stays too
        assert fit_test_name(test_id, 200, common.common(test_id)) == test_id.split("::")[1]  # room: whole


def test_the_differing_part_is_made_of_whole_pieces():
    ids = ["t.py::test_m[client-gpt-4o]", "t.py::test_m[client-gpt-4o-mini]"]
    common = _common(*ids)
    assert [common.common(test_id) for test_id in ids] == [(len("client-gpt-"), 0)] * 2  # not `-mini` vs ``
    assert fit_test_name(ids[1], 18, common.common(ids[1])).endswith("-4o-mini]")


def test_one_variant_or_nothing_shared_cuts_the_parameters_as_before():
    common = _common(SAFE.format("False"), "t.py::test_m[a-x]", "t.py::test_m[b-y]")
    assert common.common(SAFE.format("False")) == (0, 0)
    assert common.common("t.py::test_m[a-x]") == (0, 0)
    assert fit_test_name(SAFE.format("False"), 30, (0, 0)) == short_test_name(SAFE.format("False"), 30)
