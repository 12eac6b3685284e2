//! # trailmesh-agent-store
//!
//! A durable [`TaskStore`]: tasks live in the trailmesh database (`a2a_tasks`, keyed by agent
//! and task id), so a restarted agent still answers GetTask and ListTasks for earlier tasks.
//! Push-notification configs stay in memory: the skill agents do not offer push.

use a2a_protocol::store::{StoreError, TaskStore, page_tasks};
use a2a_protocol::types::{ListTasksRequest, ListTasksResponse, Task, TaskPushNotificationConfig};
use a2a_protocol::{InMemoryTaskStore, async_trait};
use trailmesh_core::Store;

/// Tasks of one agent in the trailmesh database.
#[derive(Debug)]
pub struct SqlTaskStore {
    store: Store,
    agent: String,
    push: InMemoryTaskStore,
}

impl SqlTaskStore {
    /// The tasks of `agent` (its name: several agents may share one database).
    pub fn new(store: Store, agent: impl Into<String>) -> Self {
        Self {
            store,
            agent: agent.into(),
            push: InMemoryTaskStore::new(),
        }
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

#[async_trait]
impl TaskStore for SqlTaskStore {
    async fn get(&self, id: &str) -> Result<Option<Task>, StoreError> {
        match self.store.a2a_task(&self.agent, id).await.map_err(backend)? {
            Some(body) => serde_json::from_str(&body).map(Some).map_err(backend),
            None => Ok(None),
        }
    }

    async fn save(&self, task: &Task) -> Result<(), StoreError> {
        let body = serde_json::to_string(task).map_err(backend)?;
        let updated = task
            .status
            .timestamp
            .map(|t| t.timestamp_millis())
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        self.store
            .put_a2a_task(&self.agent, &task.id, &task.context_id, updated, &body)
            .await
            .map_err(backend)
    }

    async fn list(&self, query: &ListTasksRequest) -> Result<ListTasksResponse, StoreError> {
        let bodies = self
            .store
            .a2a_tasks_of(&self.agent, query.context_id.as_deref())
            .await
            .map_err(backend)?;
        let tasks = bodies
            .iter()
            .map(|b| serde_json::from_str::<Task>(b).map_err(backend))
            .collect::<Result<Vec<_>, _>>()?;
        page_tasks(tasks, query)
    }

    async fn save_push_config(&self, config: &TaskPushNotificationConfig) -> Result<(), StoreError> {
        self.push.save_push_config(config).await
    }

    async fn get_push_config(&self, task_id: &str, id: &str) -> Result<Option<TaskPushNotificationConfig>, StoreError> {
        self.push.get_push_config(task_id, id).await
    }

    async fn list_push_configs(&self, task_id: &str) -> Result<Vec<TaskPushNotificationConfig>, StoreError> {
        self.push.list_push_configs(task_id).await
    }

    async fn delete_push_config(&self, task_id: &str, id: &str) -> Result<(), StoreError> {
        self.push.delete_push_config(task_id, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use a2a_protocol::types::{TaskState, TaskStatus};

    #[tokio::test]
    async fn tasks_survive_reopening_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db").display().to_string();
        let task = Task {
            id: "t1".into(),
            context_id: "c1".into(),
            status: TaskStatus::new(TaskState::Completed),
            artifacts: vec![],
            history: vec![],
            metadata: None,
        };
        {
            let store = Store::open(&path).await.unwrap();
            let tasks = SqlTaskStore::new(store.clone(), "agent-a");
            tasks.save(&task).await.unwrap();
            store.close().await;
        }
        let store = Store::open(&path).await.unwrap();
        let tasks = SqlTaskStore::new(store.clone(), "agent-a");
        assert_eq!(tasks.get("t1").await.unwrap(), Some(task));
        assert_eq!(
            SqlTaskStore::new(store.clone(), "agent-b").get("t1").await.unwrap(),
            None
        );
        let listed = tasks
            .list(&ListTasksRequest {
                context_id: Some("c1".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.total_size, 1);
    }
}
