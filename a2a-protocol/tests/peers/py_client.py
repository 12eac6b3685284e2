"""Drives an A2A server with the official Python SDK client (a2a-sdk 1.3.0).

usage: py_client.py BASE_URL BINDING WEBHOOK_URL
  BINDING: JSONRPC or HTTP+JSON

The server's executor must answer: any text -> working, artifact "echo: <text>", completed;
"slow" -> working until canceled; "later" -> working, completed after ~1 s.
Prints one JSON object {step: "ok" | "error: ..."} on stdout; exits 1 if a step failed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
import uuid

from a2a.client import ClientConfig, create_client
from a2a.types import (
    AuthenticationInfo,
    CancelTaskRequest,
    DeleteTaskPushNotificationConfigRequest,
    GetTaskPushNotificationConfigRequest,
    GetTaskRequest,
    ListTaskPushNotificationConfigsRequest,
    ListTasksRequest,
    Message,
    Part,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    SubscribeToTaskRequest,
    TaskPushNotificationConfig,
    TaskState,
)


def request(text: str, *, immediately: bool = False) -> SendMessageRequest:
    msg = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=text)])
    req = SendMessageRequest(message=msg)
    if immediately:
        req.configuration.CopyFrom(SendMessageConfiguration(return_immediately=True))
    return req


def check(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(what)


async def main(base: str, binding: str, webhook: str) -> int:
    results: dict[str, str] = {}
    unary = await create_client(
        base, client_config=ClientConfig(streaming=False, supported_protocol_bindings=[binding])
    )
    streaming = await create_client(
        base, client_config=ClientConfig(streaming=True, supported_protocol_bindings=[binding])
    )
    state: dict[str, str] = {}

    async def send() -> None:
        events = [ev async for ev in unary.send_message(request("hello"))]
        check(len(events) == 1 and events[0].HasField("task"), f"expected one task, got {events}")
        task = events[0].task
        check(task.status.state == TaskState.TASK_STATE_COMPLETED, f"state {task.status.state}")
        check(task.artifacts[0].parts[0].text == "echo: hello", f"artifact {task.artifacts}")
        state["task_id"] = task.id

    async def stream() -> None:
        events = [ev async for ev in streaming.send_message(request("streamed"))]
        kinds = [ev.WhichOneof("payload") for ev in events]
        check(kinds[0] == "task", f"first event {kinds}")
        check(kinds[-1] == "status_update", f"last event {kinds}")
        check(events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED, "not completed")
        check("artifact_update" in kinds, f"no artifact in {kinds}")

    async def get() -> None:
        task = await unary.get_task(GetTaskRequest(id=state["task_id"], history_length=1))
        check(task.id == state["task_id"], "wrong task")
        check(task.status.state == TaskState.TASK_STATE_COMPLETED, "not completed")
        check(len(task.history) <= 1, f"history {len(task.history)}")

    async def list_tasks() -> None:
        resp = await unary.list_tasks(ListTasksRequest(page_size=100))
        check(any(t.id == state["task_id"] for t in resp.tasks), "task not listed")

    async def cancel() -> None:
        events = [ev async for ev in unary.send_message(request("slow", immediately=True))]
        task_id = events[0].task.id
        task = await unary.cancel_task(CancelTaskRequest(id=task_id))
        check(task.status.state == TaskState.TASK_STATE_CANCELED, f"state {task.status.state}")

    async def resubscribe() -> None:
        events = [ev async for ev in unary.send_message(request("later", immediately=True))]
        task_id = events[0].task.id
        seen = [ev async for ev in streaming.subscribe(SubscribeToTaskRequest(id=task_id))]
        check(seen and seen[0].HasField("task"), f"first event {seen[:1]}")
        last = seen[-1]
        final = last.status_update.status.state if last.HasField("status_update") else last.task.status.state
        check(final == TaskState.TASK_STATE_COMPLETED, f"last state {final}")

    async def push_config() -> None:
        task_id = state["task_id"]
        cfg = TaskPushNotificationConfig(
            task_id=task_id,
            url=webhook,
            token="tok",
            authentication=AuthenticationInfo(scheme="Bearer", credentials="s3cret"),
        )
        created = await unary.create_task_push_notification_config(cfg)
        check(created.id != "", "no id")
        check(created.authentication.credentials == "", "credentials echoed on create")
        got = await unary.get_task_push_notification_config(
            GetTaskPushNotificationConfigRequest(task_id=task_id, id=created.id)
        )
        check(got.url == webhook and got.authentication.credentials == "", f"get {got}")
        listed = await unary.list_task_push_notification_configs(
            ListTaskPushNotificationConfigsRequest(task_id=task_id)
        )
        check([c.id for c in listed.configs] == [created.id], f"list {listed}")
        await unary.delete_task_push_notification_config(
            DeleteTaskPushNotificationConfigRequest(task_id=task_id, id=created.id)
        )
        listed = await unary.list_task_push_notification_configs(
            ListTaskPushNotificationConfigsRequest(task_id=task_id)
        )
        check(len(listed.configs) == 0, "not deleted")

    async def push_delivery() -> None:
        cfg = TaskPushNotificationConfig(
            url=webhook, token="tok", authentication=AuthenticationInfo(scheme="Bearer", credentials="s3cret")
        )
        req = request("pushed")
        req.configuration.task_push_notification_config.CopyFrom(cfg)
        events = [ev async for ev in unary.send_message(req)]
        check(events[0].task.status.state == TaskState.TASK_STATE_COMPLETED, "not completed")
        state["pushed_task_id"] = events[0].task.id

    for name, step in [
        ("send", send),
        ("stream", stream),
        ("get", get),
        ("list", list_tasks),
        ("cancel", cancel),
        ("resubscribe", resubscribe),
        ("push_config", push_config),
        ("push_delivery", push_delivery),
    ]:
        try:
            await asyncio.wait_for(step(), timeout=20)
            results[name] = "ok"
        except Exception as e:  # noqa: BLE001 - every failure is reported
            results[name] = f"error: {type(e).__name__}: {e}"
            traceback.print_exc(file=sys.stderr)
    results["pushed_task_id"] = state.get("pushed_task_id", "")
    print(json.dumps(results))
    await unary.close()
    await streaming.close()
    return 0 if all(v == "ok" for k, v in results.items() if k != "pushed_task_id") else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3])))
