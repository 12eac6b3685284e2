"""Asks trailmesh agents questions with the official Python A2A client (a2a-sdk 1.3.0).

usage: mesh_client.py ORCHESTRATOR_URL EVENT_AGENT_URL QUESTION OPERATION_JSON

- sends QUESTION (text) to the orchestrator and reports the answer text;
- sends OPERATION_JSON ({"operation", "arguments"}) as a data part to the event agent,
  reports the data part, then GetTask on the task it made.
Prints one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from google.protobuf import json_format, struct_pb2

from a2a.client import ClientConfig, create_client
from a2a.types import GetTaskRequest, Message, Part, Role, SendMessageRequest, TaskState


def parts_text(parts) -> str:
    return " ".join(p.text for p in parts if p.HasField("text"))


def parts_data(parts):
    for p in parts:
        if p.HasField("data"):
            return json_format.MessageToDict(p.data)
    return None


async def main(orchestrator: str, event_agent: str, question: str, operation: str) -> int:
    out: dict = {}
    cfg = ClientConfig(streaming=False, supported_protocol_bindings=["JSONRPC"])
    orch = await create_client(orchestrator, client_config=cfg)
    msg = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=question)])
    events = [ev async for ev in orch.send_message(SendMessageRequest(message=msg))]
    task = events[-1].task
    out["orchestrator_state"] = TaskState.Name(task.status.state)
    out["answer"] = " ".join(parts_text(a.parts) for a in task.artifacts)
    await orch.close()

    agent = await create_client(event_agent, client_config=cfg)
    value = json_format.ParseDict(json.loads(operation), struct_pb2.Value())
    msg = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(data=value)])
    events = [ev async for ev in agent.send_message(SendMessageRequest(message=msg))]
    task = events[-1].task
    out["data"] = parts_data(task.artifacts[0].parts) if task.artifacts else None
    got = await agent.get_task(GetTaskRequest(id=task.id))
    out["get_task_state"] = TaskState.Name(got.status.state)
    out["get_task_same"] = got.id == task.id
    await agent.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:5])))
