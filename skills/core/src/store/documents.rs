//! What the agents keep in the database besides the study: A2A tasks (per agent) and the
//! orchestrator's conversations, as JSON bodies with the columns they are looked up by.
//! The store does not read the bodies; the agents own their format.

use super::{Pool, Quiet, Store, StoreResult};

/// Most tasks one `a2a_tasks_of` call returns (newest first).
pub const MAX_TASKS_LISTED: i64 = 1000;

impl Store {
    /// Inserts or replaces an A2A task of `agent`.
    pub async fn put_a2a_task(
        &self,
        agent: &str,
        id: &str,
        context_id: &str,
        updated_ms: i64,
        body: &str,
    ) -> StoreResult<()> {
        // Agents' bookkeeping: leaves what the store keeps between commits as it is.
        quiet_write!(self, Quiet::Bookkeeping, |conn| {
            sqlx::query(
                "INSERT INTO a2a_tasks (agent, id, context_id, updated_ms, body) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (agent, id) DO UPDATE SET context_id = excluded.context_id, \
                 updated_ms = excluded.updated_ms, body = excluded.body",
            )
            .bind(agent)
            .bind(id)
            .bind(context_id)
            .bind(updated_ms)
            .bind(body)
            .execute(conn)
            .await?;
            Ok(())
        })
    }

    /// The stored body of one A2A task of `agent`.
    pub async fn a2a_task(&self, agent: &str, id: &str) -> StoreResult<Option<String>> {
        on_pool!(self, |pool, DB| {
            let row: Option<(String,)> = sqlx::query_as("SELECT body FROM a2a_tasks WHERE agent = $1 AND id = $2")
                .bind(agent)
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| r.0))
        })
    }

    /// Bodies of the newest tasks of `agent` (at most [`MAX_TASKS_LISTED`]), optionally of
    /// one context only.
    pub async fn a2a_tasks_of(&self, agent: &str, context_id: Option<&str>) -> StoreResult<Vec<String>> {
        on_pool!(self, |pool, DB| {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT body FROM a2a_tasks WHERE agent = $1 AND ($2 IS NULL OR context_id = $2) \
                 ORDER BY updated_ms DESC, id LIMIT $3",
            )
            .bind(agent)
            .bind(context_id)
            .bind(MAX_TASKS_LISTED)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// Inserts or replaces a conversation.
    pub async fn put_conversation(&self, id: &str, updated_ms: i64, body: &str) -> StoreResult<()> {
        // Agents' bookkeeping: leaves what the store keeps between commits as it is.
        quiet_write!(self, Quiet::Bookkeeping, |conn| {
            sqlx::query(
                "INSERT INTO conversations (id, updated_ms, body) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET updated_ms = excluded.updated_ms, body = excluded.body",
            )
            .bind(id)
            .bind(updated_ms)
            .bind(body)
            .execute(conn)
            .await?;
            Ok(())
        })
    }

    /// The stored body of a conversation.
    pub async fn conversation(&self, id: &str) -> StoreResult<Option<String>> {
        on_pool!(self, |pool, DB| {
            let row: Option<(String,)> = sqlx::query_as("SELECT body FROM conversations WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| r.0))
        })
    }
}
