//! Push notifications: POST each task event (a `StreamResponse`) to the task's webhooks,
//! in order, with retries, the configured `Authorization`, and an SSRF guard.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use tokio::sync::mpsc;

use crate::error::A2aError;
use crate::store::TaskStore;
use crate::types::{StreamResponse, TaskPushNotificationConfig};

/// The header carrying a config's `token`.
pub const NOTIFICATION_TOKEN_HEADER: &str = "X-A2A-Notification-Token";

/// How webhooks are reached.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// Allow webhooks on loopback addresses (tests and single-machine setups only).
    pub allow_loopback: bool,
    /// Allow webhooks on private, link-local and shared address ranges.
    pub allow_private: bool,
    /// Timeout of one delivery attempt.
    pub timeout: Duration,
    /// Attempts per event and webhook (at least 1).
    pub attempts: u32,
    /// Wait before the first retry; doubled after each failure.
    pub backoff: Duration,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            allow_loopback: false,
            allow_private: false,
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(250),
        }
    }
}

/// Sends push notifications.
#[derive(Debug, Clone)]
pub struct PushSender {
    config: Arc<PushConfig>,
    client: reqwest::Client,
}

/// Why a webhook URL is refused.
fn refused(why: impl Into<String>) -> A2aError {
    A2aError::InvalidParams(format!("push notification url refused: {}", why.into()))
}

impl PushSender {
    /// A sender with the given policy.
    pub fn new(config: PushConfig) -> Self {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            config: Arc::new(config),
            client,
        }
    }

    /// Is this address allowed as a webhook target?
    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        if ip.is_loopback() {
            return self.config.allow_loopback;
        }
        if ip.is_unspecified() || ip.is_multicast() {
            return false;
        }
        let private = match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                v4.is_private()
                    || v4.is_link_local()
                    || v4.is_broadcast()
                    || o[0] == 0
                    || (o[0] == 100 && (64..128).contains(&o[1]))
                    || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80
            }
        };
        !private || self.config.allow_private
    }

    /// Checks a webhook URL without DNS (scheme, literal addresses, `localhost`): the check
    /// made when a config is created. Names are resolved and checked at each delivery.
    pub fn check_url_syntax(&self, url: &str) -> Result<(), A2aError> {
        let parsed = Url::parse(url).map_err(|e| refused(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(refused("only http and https are allowed"));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| refused("no host"))?
            .trim_matches(['[', ']'])
            .to_ascii_lowercase();
        let ip = match host.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) if host == "localhost" || host.ends_with(".localhost") => Some(IpAddr::from([127, 0, 0, 1])),
            Err(_) => None,
        };
        match ip {
            Some(ip) if !self.ip_allowed(ip) => Err(refused(format!("{ip} is not a public address"))),
            _ => Ok(()),
        }
    }

    /// Checks a webhook URL (scheme, host, every resolved address) and returns the address
    /// to connect to.
    pub async fn check_url(&self, url: &str) -> Result<(Url, SocketAddr), A2aError> {
        let parsed = Url::parse(url).map_err(|e| refused(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(refused("only http and https are allowed"));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| refused("no host"))?
            .trim_matches(['[', ']'])
            .to_string();
        let port = parsed.port_or_known_default().ok_or_else(|| refused("no port"))?;
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|_| refused(format!("cannot resolve {host}")))?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(refused(format!("{host} has no address")));
        }
        if let Some(bad) = addrs.iter().find(|a| !self.ip_allowed(a.ip())) {
            return Err(refused(format!("{} is not a public address", bad.ip())));
        }
        Ok((parsed, addrs[0]))
    }

    /// Delivers one event to one webhook, retrying; true on a 2xx answer.
    pub async fn deliver(&self, config: &TaskPushNotificationConfig, event: &StreamResponse) -> bool {
        let body = match serde_json::to_vec(event) {
            Ok(b) => b,
            Err(_) => return false,
        };
        let mut backoff = self.config.backoff;
        for attempt in 1..=self.config.attempts.max(1) {
            match self.try_once(config, &body).await {
                Ok(status) if status.is_success() => return true,
                Ok(status) => {
                    tracing::warn!(task_id = %config.task_id, url = %config.url, %status, attempt, "webhook refused notification");
                    if status.is_client_error() && status.as_u16() != 429 && status.as_u16() != 408 {
                        return false;
                    }
                }
                Err(e) => {
                    tracing::warn!(task_id = %config.task_id, url = %config.url, error = %e, attempt, "webhook delivery failed")
                }
            }
            if attempt < self.config.attempts {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        false
    }

    async fn try_once(
        &self,
        config: &TaskPushNotificationConfig,
        body: &[u8],
    ) -> Result<reqwest::StatusCode, A2aError> {
        let (url, addr) = self.check_url(&config.url).await?;
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
        // Pin a domain to the address just checked, so DNS cannot change it in between.
        let client = if host.parse::<IpAddr>().is_err() {
            reqwest::Client::builder()
                .timeout(self.config.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .resolve(&host, addr)
                .build()
                .map_err(|e| A2aError::InvalidAgentResponse(e.to_string()))?
        } else {
            self.client.clone()
        };
        let mut req = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/a2a+json")
            .body(body.to_vec());
        if let Some(auth) = &config.authentication
            && let Some(credentials) = &auth.credentials
        {
            req = req.header(
                reqwest::header::AUTHORIZATION,
                format!("{} {}", auth.scheme, credentials),
            );
        }
        if let Some(token) = &config.token {
            req = req.header(NOTIFICATION_TOKEN_HEADER, token);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| A2aError::InvalidAgentResponse(e.without_url().to_string()))?;
        Ok(resp.status())
    }

    /// A per-task worker delivering events in order in the background.
    pub(crate) fn worker(&self, store: Arc<dyn TaskStore>, task_id: String) -> PushWorker {
        let (tx, mut rx) = mpsc::unbounded_channel::<StreamResponse>();
        let sender = self.clone();
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                let configs = match store.list_push_configs(&task_id).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(task_id = %task_id, error = %e, "loading push configs failed");
                        continue;
                    }
                };
                for c in &configs {
                    if sender.deliver(c, &ev).await {
                        tracing::debug!(task_id = %task_id, url = %c.url, "push notification delivered");
                    }
                }
            }
        });
        PushWorker { tx }
    }
}

/// Queues events for one task's webhooks.
#[derive(Debug)]
pub(crate) struct PushWorker {
    tx: mpsc::UnboundedSender<StreamResponse>,
}

impl PushWorker {
    pub(crate) fn send(&self, ev: StreamResponse) {
        let _ = self.tx.send(ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ssrf_guard() {
        let strict = PushSender::new(PushConfig::default());
        for url in [
            "http://127.0.0.1:9/x",
            "http://[::1]/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest",
            "ftp://example.com/",
            "http://0.0.0.0/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(strict.check_url(url).await.is_err(), "{url} must be refused");
        }
        assert!(strict.check_url("http://93.184.215.14/hook").await.is_ok());
        assert!(strict.check_url_syntax("http://localhost:8080/x").is_err());
        assert!(strict.check_url_syntax("https://hooks.example.com/x").is_ok());
        assert!(strict.check_url_syntax("http://[fe80::1]/").is_err());
        let tests = PushSender::new(PushConfig {
            allow_loopback: true,
            ..PushConfig::default()
        });
        assert!(tests.check_url("http://127.0.0.1:9/x").await.is_ok());
        assert!(tests.check_url("http://10.0.0.1/").await.is_err());
    }
}
