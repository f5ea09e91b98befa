"""bench/compare.py's reading of what Kanboard and wrk answer, and its verdicts (the script
itself needs a running Kanboard: docs/performance.md, "Measuring against Kanboard")."""

import pytest

from bench.compare import kanboard_columns, parse_wrk, project_map, summarise

KANBOARD_BOARD = """
<table id="board" data-save-url="/?controller=BoardAjaxController&amp;action=save&amp;project_id=1&amp;csrf_token=abc">
<div class="
        task-board
        draggable-item         task-board-status-open color-yellow"
     data-task-id="9"
     data-column-id="1"
     data-swimlane-id="1"
     data-position="2">
<div class="task-board" data-task-id="3"
     data-column-id="1" data-swimlane-id="1" data-position="1">
<div class="task-board" data-task-id="4" data-column-id="2" data-swimlane-id="1">
"""

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:18580/
  2 threads and 8 connections
  25 requests in 3.02s, 17.77MB read
  Socket errors: connect 0, read 25, write 0, timeout 2
  Non-2xx or 3xx responses: 1
Requests/sec:      8.27
Transfer/sec:      5.88MB
"""


def test_a_kanboard_board_is_read_as_columns_of_tasks_in_page_order():
    assert kanboard_columns(KANBOARD_BOARD) == ({1: [9, 3], 2: [4]}, 1)


def test_wrk_errors_count_bad_statuses_and_socket_errors():
    assert parse_wrk(WRK_OUTPUT) == (8.27, 28)
    assert parse_wrk("Requests/sec:   120.50\n") == (120.5, 0)
    with pytest.raises(RuntimeError):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_sizes_are_paired_with_kanboard_projects():
    assert project_map("100=1, 1_000=2") == {100: 1, 1000: 2}
    with pytest.raises(ValueError):
        project_map("100")


def _side(board_ms: float, rps: float, move_ms: float) -> dict:
    return {"board_ms": board_ms, "board_bytes": 1000, "rps": rps, "rps_errors": 0,
            "rps_tool": "wrk", "all_cards_ms": 10.0, "all_cards_parallel_ms": 8.0,
            "all_cards_requests": 1, "all_cards_bytes": 1000, "all_cards_count": 100,
            "move_ms": move_ms, "move_bytes": 100}


def test_ratios_are_medians_over_rounds_checked_against_the_issue_targets():
    rounds = [{"Incubateur": _side(10, 300, 1), "Kanboard": _side(30, 100, 40)},
              {"Incubateur": _side(20, 100, 3), "Kanboard": _side(30, 100, 40)},
              {"Incubateur": _side(12, 250, 2), "Kanboard": _side(30, 100, 40)}]
    result = summarise(100, rounds)
    assert result["ratio"]["board_ms"] == pytest.approx(0.4)
    assert result["verdict"] == {"board_ms": "PASS", "rps": "PASS", "move_ms": "PASS"}
    result = summarise(1000, rounds)
    assert result["verdict"] == {"board_ms": "MISS", "all_cards_ms": "MISS", "move_ms": "PASS"}


def test_no_request_finished_on_either_side_is_no_ratio_and_no_verdict():
    # wrk's --seconds 1 on a busy machine: neither side finished a request (0/s each).
    rounds = [{"Incubateur": _side(10, 0, 1), "Kanboard": _side(30, 0, 40)}]
    result = summarise(100, rounds)
    assert result["ratio"]["rps"] is None
    assert result["verdict"]["rps"] == "n/a"
    assert result["verdict"]["board_ms"] == "PASS"


def test_incubateur_takes_the_port_it_is_given():
    from bench.compare import parse_args

    args = parse_args(["--kanboard-project", "100=1", "--kanboard-cookie", "KB_SID=x",
                       "--port", "18741"])
    assert args.port == 18741
    assert parse_args(["--kanboard-project", "100=1", "--kanboard-cookie", "x"]).port == 0


def test_reads_in_the_cache_other_states_are_held_to_the_plain_reads_targets():
    from bench.compare import target_of

    assert target_of("board_revalidated_ms", 100) == (0.5, "max")
    assert target_of("board_after_move_ms", 1000) == (0.1, "max")
    assert target_of("all_cards_after_move_ms", 1000) == (0.2, "max")
    assert target_of("all_cards_after_move_cpu_ms", 1000) == (0.2, "max")
    assert target_of("board_after_move_ms", 10) is None
    after = {"board_revalidated_ms": 2.0, "board_revalidated_bytes": 0,
             "board_revalidated_cpu_ms": 1.0, "board_after_move_ms": 40.0,
             "board_after_move_cpu_ms": 30.0, "all_cards_after_move_ms": 50.0,
             "all_cards_after_move_cpu_ms": 45.0}
    kanboard = after | {"board_revalidated_ms": 30.0, "board_revalidated_bytes": 1000,
                        "board_after_move_ms": 30.0, "all_cards_after_move_ms": 200.0}
    rounds = [{"Incubateur": _side(10, 300, 1) | after, "Kanboard": _side(30, 100, 40) | kanboard}]
    result = summarise(100, rounds)
    assert result["verdict"]["board_revalidated_ms"] == "PASS"
    assert result["verdict"]["board_after_move_ms"] == "MISS"  # 40 / 30
    assert "all_cards_after_move_ms" not in result["verdict"]  # no target at 100
    assert summarise(1000, rounds)["verdict"]["all_cards_after_move_ms"] == "MISS"  # 0.25


def test_after_move_pairs_time_the_reads_that_follow_each_move():
    from bench.compare import after_moves

    class Side:
        pids: list[int] = []
        done: list[str] = []

        def move(self, across):
            self.done.append("move")
            return 5.0, 100

        def board(self):
            self.done.append("board")
            return 20.0, 1000

        def all_cards(self, parallel):
            self.done.append("cards")
            return 70.0, 2, 2000, 100

    side = Side()
    figures = after_moves(side, 2)
    assert side.done == ["move", "board", "move", "cards"] * 2
    assert figures == {"board_after_move_ms": 20.0, "board_after_move_cpu_ms": None,
                       "all_cards_after_move_ms": 70.0, "all_cards_after_move_cpu_ms": None}
    assert set(after_moves(side, 0).values()) == {None}
