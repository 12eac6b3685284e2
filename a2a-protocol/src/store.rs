//! Where tasks and push-notification configs live.
//!
//! [`TaskStore`] is async and object safe (`Arc<dyn TaskStore>`), so a durable store (SQL,
//! ...) can live with the agents; [`InMemoryTaskStore`] is the default and the reference.

use std::collections::HashMap;
use std::sync::RwLock;

use async_trait::async_trait;
use base64::Engine as _;
use chrono::{DateTime, Utc};

use crate::types::{ListTasksRequest, ListTasksResponse, Task, TaskPushNotificationConfig};

/// Default ListTasks page size.
pub const DEFAULT_PAGE_SIZE: i32 = 50;

/// A store failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// The page token was not produced by this store.
    #[error("invalid page token")]
    InvalidPageToken,
    /// The backend failed (the detail is for the log, not for clients).
    #[error("task store backend: {0}")]
    Backend(String),
}

/// Persistence of tasks and their push-notification configs.
#[async_trait]
pub trait TaskStore: Send + Sync + std::fmt::Debug + 'static {
    /// The task with that id.
    async fn get(&self, id: &str) -> Result<Option<Task>, StoreError>;
    /// Inserts or replaces a task.
    async fn save(&self, task: &Task) -> Result<(), StoreError>;
    /// One page of tasks matching `query`'s filters (context, state, timestamp), most
    /// recently updated first. History and artifacts are trimmed by the caller.
    async fn list(&self, query: &ListTasksRequest) -> Result<ListTasksResponse, StoreError>;
    /// Inserts or replaces a push config (its `id` is set).
    async fn save_push_config(&self, config: &TaskPushNotificationConfig) -> Result<(), StoreError>;
    /// One push config of a task.
    async fn get_push_config(&self, task_id: &str, id: &str) -> Result<Option<TaskPushNotificationConfig>, StoreError>;
    /// All push configs of a task, oldest first.
    async fn list_push_configs(&self, task_id: &str) -> Result<Vec<TaskPushNotificationConfig>, StoreError>;
    /// Removes a push config; removing a missing one is not an error.
    async fn delete_push_config(&self, task_id: &str, id: &str) -> Result<(), StoreError>;
}

/// Sort key of ListTasks: status timestamp descending, then id.
fn sort_key(t: &Task) -> (i64, &str) {
    (
        t.status.timestamp.map(|ts| ts.timestamp_micros()).unwrap_or(0),
        t.id.as_str(),
    )
}

/// Encodes a keyset cursor (the last task of a page).
fn encode_token(t: &Task) -> String {
    let (ts, id) = sort_key(t);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{ts}|{id}"))
}

fn decode_token(token: &str) -> Result<(i64, String), StoreError> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| StoreError::InvalidPageToken)?;
    let s = String::from_utf8(raw).map_err(|_| StoreError::InvalidPageToken)?;
    let (ts, id) = s.split_once('|').ok_or(StoreError::InvalidPageToken)?;
    Ok((ts.parse().map_err(|_| StoreError::InvalidPageToken)?, id.to_string()))
}

/// Filters, sorts and pages a set of tasks the way ListTasks requires; a helper for stores
/// that cannot do it in their query language.
pub fn page_tasks(mut tasks: Vec<Task>, query: &ListTasksRequest) -> Result<ListTasksResponse, StoreError> {
    let after: Option<DateTime<Utc>> = query.status_timestamp_after;
    tasks.retain(|t| {
        query.context_id.as_ref().is_none_or(|c| &t.context_id == c)
            && query.status.is_none_or(|s| t.status.state == s)
            && after.is_none_or(|a| t.status.timestamp.is_some_and(|ts| ts > a))
    });
    tasks.sort_by(|a, b| {
        let (ta, ia) = sort_key(a);
        let (tb, ib) = sort_key(b);
        tb.cmp(&ta).then_with(|| ia.cmp(ib))
    });
    let total = tasks.len();
    let start = match &query.page_token {
        Some(token) if !token.is_empty() => {
            let (ts, id) = decode_token(token)?;
            tasks
                .iter()
                .position(|t| {
                    let (tt, ti) = sort_key(t);
                    tt < ts || (tt == ts && ti > id.as_str())
                })
                .unwrap_or(total)
        }
        _ => 0,
    };
    let size = query.page_size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, 100);
    let end = (start + usize::try_from(size).unwrap_or(50)).min(total);
    let page: Vec<Task> = tasks.drain(start..end).collect();
    let next_page_token = if end < total {
        page.last().map(encode_token).unwrap_or_default()
    } else {
        String::new()
    };
    Ok(ListTasksResponse {
        tasks: page,
        next_page_token,
        page_size: size,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// Shards of the task map.
const SHARDS: usize = 64;

type Shard = RwLock<HashMap<String, std::sync::Arc<Task>>>;

/// Tasks and push configs in memory; lost on restart.
#[derive(Debug)]
pub struct InMemoryTaskStore {
    /// Tasks in `SHARDS` maps by a hash of the id, each behind its own lock, the tasks behind
    /// `Arc`: a map doubles and rehashes everything under its write lock as it grows, and one
    /// map of 260k tasks stalled every request for milliseconds (the benchmark's p99); a
    /// shard's resize is a 64th of that and stalls only its own ids.
    tasks: Vec<Shard>,
    push: RwLock<HashMap<String, Vec<TaskPushNotificationConfig>>>,
}

impl Default for InMemoryTaskStore {
    fn default() -> Self {
        InMemoryTaskStore {
            tasks: (0..SHARDS).map(|_| RwLock::default()).collect(),
            push: RwLock::default(),
        }
    }
}

impl InMemoryTaskStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn shard(&self, id: &str) -> &Shard {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(id);
        &self.tasks[(h % SHARDS as u64) as usize]
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Backend("lock poisoned".into())
}

#[async_trait]
impl TaskStore for InMemoryTaskStore {
    async fn get(&self, id: &str) -> Result<Option<Task>, StoreError> {
        let found = self.shard(id).read().map_err(poisoned)?.get(id).cloned();
        Ok(found.map(|t| (*t).clone()))
    }

    async fn save(&self, task: &Task) -> Result<(), StoreError> {
        self.shard(&task.id)
            .write()
            .map_err(poisoned)?
            .insert(task.id.clone(), std::sync::Arc::new(task.clone()));
        Ok(())
    }

    async fn list(&self, query: &ListTasksRequest) -> Result<ListTasksResponse, StoreError> {
        let mut all: Vec<Task> = Vec::new();
        for shard in &self.tasks {
            let tasks = shard.read().map_err(poisoned)?;
            all.extend(
                tasks
                    .values()
                    .filter(|t| query.context_id.as_ref().is_none_or(|c| &t.context_id == c))
                    .map(|t| (**t).clone()),
            );
        }
        page_tasks(all, query)
    }

    async fn save_push_config(&self, config: &TaskPushNotificationConfig) -> Result<(), StoreError> {
        let mut push = self.push.write().map_err(poisoned)?;
        let list = push.entry(config.task_id.clone()).or_default();
        match list.iter_mut().find(|c| c.id == config.id) {
            Some(existing) => *existing = config.clone(),
            None => list.push(config.clone()),
        }
        Ok(())
    }

    async fn get_push_config(&self, task_id: &str, id: &str) -> Result<Option<TaskPushNotificationConfig>, StoreError> {
        let push = self.push.read().map_err(poisoned)?;
        Ok(push
            .get(task_id)
            .and_then(|l| l.iter().find(|c| c.id.as_deref() == Some(id)).cloned()))
    }

    async fn list_push_configs(&self, task_id: &str) -> Result<Vec<TaskPushNotificationConfig>, StoreError> {
        Ok(self
            .push
            .read()
            .map_err(poisoned)?
            .get(task_id)
            .cloned()
            .unwrap_or_default())
    }

    async fn delete_push_config(&self, task_id: &str, id: &str) -> Result<(), StoreError> {
        if let Some(list) = self.push.write().map_err(poisoned)?.get_mut(task_id) {
            list.retain(|c| c.id.as_deref() != Some(id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{TaskState, TaskStatus};

    fn task(id: &str, ctx: &str, secs: i64) -> Task {
        Task {
            id: id.into(),
            context_id: ctx.into(),
            status: TaskStatus {
                state: TaskState::Completed,
                message: None,
                timestamp: DateTime::from_timestamp(secs, 0),
            },
            artifacts: vec![],
            history: vec![],
            metadata: None,
        }
    }

    #[tokio::test]
    async fn list_pages_newest_first_with_cursor() {
        let store = InMemoryTaskStore::new();
        for i in 0..5 {
            store
                .save(&task(&format!("t{i}"), if i % 2 == 0 { "a" } else { "b" }, 100 + i))
                .await
                .unwrap();
        }
        let mut q = ListTasksRequest {
            page_size: Some(2),
            ..Default::default()
        };
        let p1 = store.list(&q).await.unwrap();
        assert_eq!(p1.tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["t4", "t3"]);
        assert_eq!(p1.total_size, 5);
        q.page_token = Some(p1.next_page_token.clone());
        let p2 = store.list(&q).await.unwrap();
        assert_eq!(p2.tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["t2", "t1"]);
        q.page_token = Some(p2.next_page_token);
        let p3 = store.list(&q).await.unwrap();
        assert_eq!(p3.tasks.len(), 1);
        assert_eq!(p3.next_page_token, "");
        let only_a = store
            .list(&ListTasksRequest {
                context_id: Some("a".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(only_a.total_size, 3);
        q.page_token = Some("garbage!".into());
        assert_eq!(store.list(&q).await.unwrap_err(), StoreError::InvalidPageToken);
    }
}
