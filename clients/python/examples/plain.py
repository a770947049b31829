"""A plain function held until a reviewer decides in Countersign, inside a reported run,
with the budget asked first. Run against `countersign backend serve`:

    COUNTERSIGN_URL=http://127.0.0.1:8787 COUNTERSIGN_KEY=cs_ingest_... python examples/plain.py
"""

import os
from decimal import Decimal
from typing import Any

from countersign import ApprovalDenied, Countersign, FieldSpec, Target, requires_approval

cs = Countersign(os.environ["COUNTERSIGN_URL"], key=os.environ["COUNTERSIGN_KEY"])


@requires_approval(
    cs,
    kind="issue_refund",
    title=lambda a: f"Refund {a['amount']} EUR on {a['order_id']}",
    fields=[FieldSpec("order_id", "identifier", editable=False), FieldSpec("amount", "money", confirm="reenter")],
    target=lambda a: Target("billing", a["order_id"]),
)
def issue_refund(order_id: str, amount: Decimal) -> dict[str, Any]:
    return {"refund_id": f"rf_{order_id}", "amount": str(amount)}  # the real write goes here


def main() -> None:
    budget = cs.reserve(workflow="refund_request", user_id="u_17", estimated_cost="0.02")
    with cs.run(workflow="refund_request", user_id="u_17", model="gpt-4.1-mini") as run:
        run.tool_call("lookup_order", {"order_id": "ord_1001"}, result={"total": "40.00"}, cost_micros=9000)
        try:
            print("refunded", issue_refund("ord_1001", Decimal("40.00")))
        except ApprovalDenied as e:
            print("denied:", e.reason)
    cs.settle(budget, final_cost="0.009", run_id=run.run_id)
    print("run", run.run_id, "reported as revision", run.revision)


if __name__ == "__main__":
    main()
