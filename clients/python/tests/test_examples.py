"""Each example in examples/ runs end to end, as a separate process, against its own
`countersign backend serve`, while a reviewer edits the refund in the console's API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from server import Reviewer, serve, until

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    "script,expected",
    [
        ("plain.py", "refunded {'refund_id': 'rf_ord_1001', 'amount': '35.00'}"),
        ("pydantic_ai_refund.py", "Done: refunded 35.00 EUR on ord_1001"),
        ("openai_agents_refund.py", "Done: refunded 35.00 EUR on ord_1001"),
    ],
)
def test_example_runs_end_to_end(script: str, expected: str) -> None:
    with serve() as server:
        reviewer = Reviewer(server, server.create_key("example-reviewer", "reviewer"))
        env = dict(os.environ, COUNTERSIGN_URL=server.url, COUNTERSIGN_KEY=server.create_key("example-agent"))
        proc = subprocess.Popen(
            [sys.executable, str(EXAMPLES / script)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            action = reviewer.pending(kind="issue_refund", timeout=60)
            assert action["title"] == "Refund 40.00 EUR on ord_1001"
            reviewer.decide(action, "approve_with_edits", edits={"amount": "35.00"})
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err
        assert expected in out, out
        done = until("the action executed", lambda: server.action(action["action_id"])["status"] == "executed")
        assert done
        run = server.run(action["run_id"])
        assert run["outcome"] == "success"
        assert run["workflow"] == "refund_request"
