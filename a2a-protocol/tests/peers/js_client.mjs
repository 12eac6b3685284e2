// Drives an A2A server with the official JS SDK client (@a2a-js/sdk 1.3.0).
//
// usage: node js_client.mjs BASE_URL BINDING   (BINDING: JSONRPC or HTTP+JSON)
// Run with NODE_PATH pointing at a2a-protocol/tests/js/node_modules.
// The server's executor answers any text with: working, artifact "echo: <text>", completed.
// Prints one JSON object {step: "ok" | "error: ..."}; exits 1 if a step failed.

import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import path from "node:path";

// Resolve the SDK from tests/js/node_modules (this file lives in tests/peers).
const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, "..", "js", "package.json"));
const clientEntry = require.resolve("@a2a-js/sdk/client");
const sdkEntry = require.resolve("@a2a-js/sdk");
const { ClientFactory, ClientFactoryOptions } = await import(pathToFileURL(clientEntry).href);
const { Role, TaskState } = await import(pathToFileURL(sdkEntry).href);

const [base, binding] = process.argv.slice(2);

function message(text) {
  return {
    messageId: randomUUID(),
    contextId: "",
    taskId: "",
    role: Role.ROLE_USER,
    parts: [{ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "" }],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

function request(text) {
  return { tenant: "", message: message(text), configuration: undefined, metadata: undefined };
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

const factory = new ClientFactory(
  ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { preferredTransports: [binding] }),
);
const client = await factory.createFromUrl(base);
const results = {};
const state = {};

const steps = {
  async send() {
    const result = await client.sendMessage(request("from js"));
    check(result.id && result.status, `expected a task, got ${JSON.stringify(result)}`);
    check(result.status.state === TaskState.TASK_STATE_COMPLETED, `state ${result.status.state}`);
    const part = result.artifacts[0].parts[0].content;
    check(part.$case === "text" && part.value === "echo: from js", `artifact ${JSON.stringify(part)}`);
    state.taskId = result.id;
  },
  async stream() {
    const kinds = [];
    let last;
    for await (const ev of client.sendMessageStream(request("js stream"))) {
      kinds.push(ev.payload?.$case);
      last = ev;
    }
    check(kinds[0] === "task", `first event ${kinds}`);
    check(kinds.includes("artifactUpdate"), `no artifact in ${kinds}`);
    check(
      last.payload.$case === "statusUpdate" && last.payload.value.status.state === TaskState.TASK_STATE_COMPLETED,
      `last event ${JSON.stringify(last)}`,
    );
  },
  async get() {
    const task = await client.getTask({ tenant: "", id: state.taskId, historyLength: undefined });
    check(task.id === state.taskId, "wrong task");
    check(task.status.state === TaskState.TASK_STATE_COMPLETED, `state ${task.status.state}`);
  },
};

for (const [name, step] of Object.entries(steps)) {
  try {
    await step();
    results[name] = "ok";
  } catch (e) {
    results[name] = `error: ${e?.message ?? e}`;
    console.error(e);
  }
}
console.log(JSON.stringify(results));
process.exit(Object.values(results).every((v) => v === "ok") ? 0 : 1);
