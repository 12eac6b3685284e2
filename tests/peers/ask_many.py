"""Asks the trailmesh orchestrator many questions with the official Python A2A client
(a2a-sdk 1.3.0), one task each, over JSON-RPC.

usage: ask_many.py ORCHESTRATOR_URL < questions.json   (a JSON list of strings)
Prints a JSON list of {"question", "state", "answer"} on stdout, in the same order.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

import httpx

from a2a.client import ClientConfig, create_client
from a2a.types import Message, Part, Role, SendMessageRequest, TaskState


async def main(orchestrator: str, questions: list[str]) -> int:
    # Generous: the tests run debug builds, many at once on two cores.
    http = httpx.AsyncClient(timeout=120)
    cfg = ClientConfig(streaming=False, supported_protocol_bindings=["JSONRPC"], httpx_client=http)
    client = await create_client(orchestrator, client_config=cfg)
    out = []
    for q in questions:
        msg = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=q)])
        events = [ev async for ev in client.send_message(SendMessageRequest(message=msg))]
        task = events[-1].task
        text = " ".join(p.text for a in task.artifacts for p in a.parts if p.HasField("text"))
        out.append({"question": q, "state": TaskState.Name(task.status.state), "answer": text})
    await client.close()
    await http.aclose()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(asyncio.run(main(sys.argv[1], json.load(sys.stdin))))
