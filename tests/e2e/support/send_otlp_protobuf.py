"""Posts an OTLP/JSON trace file to an OTLP/HTTP endpoint as protobuf (what Phoenix takes).

    python send_otlp_protobuf.py FILE.json http://127.0.0.1:PORT/v1/traces

Runs with the Phoenix venv's Python (it ships opentelemetry-proto and protobuf). The OTLP/JSON
spec writes trace and span ids as hex, where protobuf's JSON mapping (and the Python exporter)
uses base64: hex ids are converted before parsing, base64 ones kept. Prints the number of
spans sent.
"""

import base64
import json
import re
import sys
import urllib.request

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


HEX_ID = re.compile(r"[0-9a-fA-F]{16}|[0-9a-fA-F]{32}")


def hex_ids_to_base64(node):
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                if HEX_ID.fullmatch(value):
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
            else:
                hex_ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            hex_ids_to_base64(item)


def main():
    path, endpoint = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    hex_ids_to_base64(doc)
    request = json_format.ParseDict(doc, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    spans = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
    req = urllib.request.Request(
        endpoint,
        data=request.SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        if resp.status >= 300:
            raise SystemExit(f"{endpoint} answered {resp.status}")
    print(spans)


if __name__ == "__main__":
    main()
