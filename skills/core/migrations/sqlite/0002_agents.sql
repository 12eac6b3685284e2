-- What the agents keep: A2A tasks (so a restarted agent still answers GetTask) and the
-- orchestrator's conversations. Bodies are the JSON the agent wrote; the other columns are
-- what the agents filter and sort on.
CREATE TABLE a2a_tasks (
    agent       TEXT NOT NULL,
    id          TEXT NOT NULL,
    context_id  TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (agent, id)
);
CREATE INDEX a2a_tasks_context ON a2a_tasks (agent, context_id, updated_ms);

CREATE TABLE conversations (
    id          TEXT PRIMARY KEY NOT NULL,
    updated_ms  INTEGER NOT NULL,
    body        TEXT NOT NULL
);
