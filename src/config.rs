//! Configuration: TOML files in `configs/`, then environment overrides, then flags.
//!
//! Environment overrides: any `TRAILMESH__SECTION__KEY=value` sets `[section] key` (the value
//! is read as TOML when it parses, else as a string), and the short forms
//! `TRAILMESH_DATABASE_URL` (= `storage.database`) and `TRAILMESH_LISTEN` (= `server.listen`).

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where data lives.
    pub storage: StorageConfig,
    /// The HTTP side of `trailmesh up`.
    pub server: ServerConfig,
    /// Demo data.
    pub demo: DemoSettings,
    /// Import defaults.
    pub import: ImportSettings,
    /// The vision pipeline: detector model and runtime, thresholds, gate, tracker, events.
    pub vision: trailmesh_vision::VisionConfig,
    /// The skill agents `trailmesh up` starts.
    pub agents: AgentsConfig,
    /// The orchestrator: which agents, timeouts, API keys, CORS.
    pub orchestrator: trailmesh_orchestrator::OrchestratorConfig,
    /// The camera gateway: WHIP/WHEP address, cameras and their tokens, queues.
    pub gateway: trailmesh_camera_gateway::GatewayConfig,
}

/// `[agents]`: where `trailmesh up` (and `trailmesh agent <skill>`) serve the skill agents.
/// Each serves its A2A endpoint and its MCP endpoint (`/mcp`) on one loopback port; 0 picks
/// a free port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentsConfig {
    /// Address the skill agents bind (loopback unless an API key is set).
    pub host: String,
    /// Port of the camera-inventory agent.
    pub camera_inventory: u16,
    /// Port of the event-analyzer agent.
    pub event_analyzer: u16,
    /// Port of the behavior-analytics agent.
    pub behavior_analytics: u16,
    /// Port of the trail-builder agent.
    pub trail_builder: u16,
}

impl Default for AgentsConfig {
    fn default() -> Self {
        AgentsConfig {
            host: "127.0.0.1".to_string(),
            camera_inventory: 0,
            event_analyzer: 0,
            behavior_analytics: 0,
            trail_builder: 0,
        }
    }
}

impl AgentsConfig {
    /// The configured port of a skill agent (by skill name).
    pub fn port_of(&self, skill: &str) -> u16 {
        match skill {
            "camera-inventory" => self.camera_inventory,
            "event-analyzer" => self.event_analyzer,
            "behavior-analytics" => self.behavior_analytics,
            "trail-builder" => self.trail_builder,
            _ => 0,
        }
    }
}

/// `[storage]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Database URL: `postgres://user@host/db` or an SQLite file path. Default: the SQLite
    /// file `trailmesh.db` in the data directory.
    pub database: Option<String>,
}

/// `[server]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address of the orchestrator's HTTP API.
    pub listen: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".to_string(),
        }
    }
}

/// `[demo]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoSettings {
    /// Seed the demo study when `trailmesh up` finds an empty database.
    pub seed_on_first_start: bool,
    /// Random seed.
    pub seed: u64,
    /// First day of the study (YYYY-MM-DD).
    pub start: String,
    /// Length of the study, days.
    pub days: u32,
    /// Activity multiplier (1 = tens of thousands of events).
    pub scale: f64,
}

impl Default for DemoSettings {
    fn default() -> Self {
        let d = trailmesh_core::demo::DemoConfig::default();
        DemoSettings {
            seed_on_first_start: true,
            seed: d.seed,
            start: d.start.format("%Y-%m-%d").to_string(),
            days: d.days,
            scale: d.scale,
        }
    }
}

impl DemoSettings {
    /// The generator's configuration.
    pub fn to_demo_config(&self) -> Result<trailmesh_core::demo::DemoConfig> {
        let start = chrono::NaiveDate::parse_from_str(&self.start, "%Y-%m-%d")
            .with_context(|| format!("demo.start '{}' is not a date (YYYY-MM-DD)", self.start))?;
        if self.days == 0 || self.days > 3660 {
            bail!("demo.days must be between 1 and 3660, not {}", self.days);
        }
        if !(self.scale > 0.0 && self.scale <= 1000.0) {
            bail!("demo.scale must be in (0, 1000], not {}", self.scale);
        }
        Ok(trailmesh_core::demo::DemoConfig {
            seed: self.seed,
            start,
            days: self.days,
            scale: self.scale,
        })
    }
}

/// `[import]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportSettings {
    /// UTC offset of camera clocks for times written without a zone (EXIF, file names).
    pub utc_offset: String,
    /// Drop MegaDetector detections below this confidence.
    pub min_confidence: f64,
}

impl Default for ImportSettings {
    fn default() -> Self {
        ImportSettings {
            utc_offset: "+00:00".to_string(),
            min_confidence: 0.0,
        }
    }
}

/// Parses `+HH:MM` / `-HH:MM` / `Z` into minutes east of UTC.
pub fn parse_utc_offset(s: &str) -> Result<i32> {
    let s = s.trim();
    if s == "Z" || s == "UTC" || s == "0" {
        return Ok(0);
    }
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => bail!("UTC offset '{s}' must look like +02:00 or -06:00"),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i32 = h
        .parse()
        .with_context(|| format!("UTC offset '{s}': hours are not a number"))?;
    let m: i32 = m
        .parse()
        .with_context(|| format!("UTC offset '{s}': minutes are not a number"))?;
    if h > 14 || m > 59 {
        bail!("UTC offset '{s}' is out of range (-14:00..+14:00)");
    }
    Ok(sign * (h * 60 + m))
}

impl Config {
    /// Reads a TOML file (errors name the file, line and key).
    pub fn from_file(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::from_toml(&text, std::iter::empty()).with_context(|| format!("config file {}", path.display()))
    }

    /// Parses TOML text, then applies overrides given as `(env var name, value)`.
    pub fn from_toml(text: &str, env: impl IntoIterator<Item = (String, String)>) -> Result<Config> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| anyhow::anyhow!("{e}"))?;
        for (key, value) in env {
            let path: Vec<String> = if key == "TRAILMESH_DATABASE_URL" {
                vec!["storage".into(), "database".into()]
            } else if key == "TRAILMESH_LISTEN" {
                vec!["server".into(), "listen".into()]
            } else if key == "TRAILMESH_API_KEY" {
                // One key, as a list.
                let mut orch = table
                    .remove("orchestrator")
                    .and_then(|v| v.as_table().cloned())
                    .unwrap_or_default();
                orch.insert(
                    "api_keys".into(),
                    toml::Value::Array(vec![toml::Value::String(value.clone())]),
                );
                table.insert("orchestrator".into(), toml::Value::Table(orch));
                continue;
            } else if let Some(rest) = key.strip_prefix("TRAILMESH__") {
                rest.split("__").map(|p| p.to_ascii_lowercase()).collect()
            } else {
                continue;
            };
            let parsed: toml::Value = format!("v = {value}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or(toml::Value::String(value.clone()));
            let mut cursor = &mut table;
            for part in &path[..path.len().saturating_sub(1)] {
                let entry = cursor
                    .entry(part.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                cursor = entry
                    .as_table_mut()
                    .with_context(|| format!("{key}: '{part}' is not a section"))?;
            }
            if let Some(last) = path.last() {
                cursor.insert(last.clone(), parsed);
            }
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| anyhow::anyhow!("{e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Loads the configuration: the given file, else `configs/trailmesh.toml` when it
    /// exists, else the built-in defaults; then the process environment's overrides.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        let default_path = PathBuf::from("configs/trailmesh.toml");
        let text = match explicit {
            Some(p) => {
                std::fs::read_to_string(p).with_context(|| format!("cannot read config file {}", p.display()))?
            }
            None if default_path.is_file() => std::fs::read_to_string(&default_path)
                .with_context(|| format!("cannot read config file {}", default_path.display()))?,
            None => String::new(),
        };
        let source = explicit.map(Path::to_path_buf).unwrap_or(default_path);
        Self::from_toml(&text, std::env::vars())
            .with_context(|| format!("configuration ({} + environment)", source.display()))
    }

    /// Checks values serde cannot check.
    pub fn validate(&self) -> Result<()> {
        self.server.listen.parse::<std::net::SocketAddr>().with_context(|| {
            format!(
                "server.listen '{}' is not an address like 127.0.0.1:8080",
                self.server.listen
            )
        })?;
        parse_utc_offset(&self.import.utc_offset).context("import.utc_offset")?;
        if !(0.0..=1.0).contains(&self.import.min_confidence) {
            bail!(
                "import.min_confidence must be in 0..1, not {}",
                self.import.min_confidence
            );
        }
        self.demo.to_demo_config()?;
        self.vision.validate()?;
        format!("{}:0", self.agents.host)
            .parse::<std::net::SocketAddr>()
            .or_else(|_| format!("[{}]:0", self.agents.host).parse::<std::net::SocketAddr>())
            .with_context(|| format!("agents.host '{}' is not an IP address", self.agents.host))?;
        for url in &self.orchestrator.agents {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("orchestrator.agents: '{url}' is not an http(s) URL of an agent or its card");
            }
        }
        if let Some(t) = &self.orchestrator.reference_time {
            chrono::DateTime::parse_from_rfc3339(t)
                .with_context(|| format!("orchestrator.reference_time '{t}' is not ISO 8601 with a zone"))?;
        }
        if let Some(llm) = &self.orchestrator.llm {
            if !(llm.base_url.starts_with("http://") || llm.base_url.starts_with("https://")) {
                bail!(
                    "orchestrator.llm.base_url: '{}' is not an http(s) URL (e.g. http://127.0.0.1:11434/v1)",
                    llm.base_url
                );
            }
            if llm.model.trim().is_empty() || llm.timeout_ms == 0 || !(8..=8192).contains(&llm.max_tokens) {
                bail!("orchestrator.llm: model must be named, timeout_ms > 0 and max_tokens within 8..=8192");
            }
        }
        if self.orchestrator.agent_timeout_ms == 0 || self.orchestrator.max_body_bytes < 1024 {
            bail!("orchestrator.agent_timeout_ms must be > 0 and max_body_bytes at least 1024");
        }
        Ok(())
    }

    /// The database URL to open, given the data directory.
    pub fn database_url(&self, data_dir: &Path) -> String {
        self.storage
            .database
            .clone()
            .unwrap_or_else(|| data_dir.join("trailmesh.db").display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_reach_nested_keys() {
        let c = Config::from_toml(
            "[demo]\nseed = 1\n",
            [
                ("TRAILMESH__DEMO__SEED".to_string(), "42".to_string()),
                (
                    "TRAILMESH_DATABASE_URL".to_string(),
                    "postgres://x@127.0.0.1/db".to_string(),
                ),
                ("UNRELATED".to_string(), "1".to_string()),
            ],
        )
        .unwrap();
        assert_eq!(c.demo.seed, 42);
        assert_eq!(c.storage.database.as_deref(), Some("postgres://x@127.0.0.1/db"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = Config::from_toml("[storage]\ndatabse = \"x\"\n", []).unwrap_err();
        assert!(format!("{err:#}").contains("databse"), "{err:#}");
        let err = Config::from_toml("[server]\nlisten = \"everywhere\"\n", []).unwrap_err();
        assert!(format!("{err:#}").contains("server.listen"), "{err:#}");
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_utc_offset("-06:00").unwrap(), -360);
        assert_eq!(parse_utc_offset("+05:30").unwrap(), 330);
        assert_eq!(parse_utc_offset("Z").unwrap(), 0);
        assert!(parse_utc_offset("6").is_err());
    }
}
