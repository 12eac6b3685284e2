-- Commits that change nothing the store keeps between commits, counted by kind: the store
-- compares these counts with SQLite's count of write transactions to know that every
-- commit since it read a table was one of these (see store.rs, "quiet commits").
-- 'bookkeeping': live camera health, A2A tasks, conversations.
-- 'deployment_end': a live camera's deployment end moved later.
-- A transaction that adds 1 to a kind changes nothing but that kind's tables. Only an SQLite
-- file store counts (PostgreSQL versions carry no transaction count to compare with).
CREATE TABLE quiet_commits (
    kind TEXT PRIMARY KEY NOT NULL,
    n    BIGINT NOT NULL
);
INSERT INTO quiet_commits (kind, n) VALUES ('bookkeeping', 0), ('deployment_end', 0);
