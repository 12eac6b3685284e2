//! Storage: one async API over SQLite (default, a WAL file under the data dir) and
//! PostgreSQL (scale-out), selected by URL. Same tables, same indexes, same behaviour; the
//! storage test suite runs against both.
//!
//! All writes go through [`Store::ingest`]: one transaction per [`Batch`], rows keyed by
//! their identifiers and inserted with `ON CONFLICT DO NOTHING`, so ingesting the same
//! batch twice adds nothing, and a failing batch leaves the database as it was.

use crate::model::*;
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, PgPool, QueryBuilder, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("could not apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names no backend we know.
    #[error("unsupported database URL '{0}': use a file path, sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// A stored value does not parse (someone wrote the database by hand?).
    #[error("stored value is invalid: {0}")]
    Corrupt(String),
    /// Creating the data directory failed.
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Result alias for storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The storage handle. Cheap to clone (a pool inside).
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// How an SQLite file store learns that something was committed (None: PostgreSQL or
    /// in-memory).
    watch: Option<Arc<SqliteWatch>>,
    /// Answers kept as of a [`DataVersion`].
    memos: Arc<Memos>,
}

/// What a store keeps between commits: small answers read on nearly every question.
#[derive(Debug, Default)]
struct Memos {
    /// The cameras table.
    cameras: Memo<Arc<Vec<Camera>>>,
    /// [`Store::events_fingerprint`].
    events: Memo<EventsFingerprint>,
    /// [`Store::camera_activity`] (a scan of media and events).
    activity: Memo<Arc<Vec<CameraActivity>>>,
    /// Every deployment.
    deployments: Memo<Arc<Vec<Deployment>>>,
    /// Every malfunction window.
    malfunctions: Memo<Arc<Vec<Malfunction>>>,
    /// The quiet-commit counts as of a version.
    quiet: Mutex<Option<(DataVersion, QuietCounts)>>,
}

/// A value read from the database, with the [`DataVersion`] read just before it (and the
/// quiet-commit counts as of that version, where known); shared by the clones of a store.
type Memo<T> = Mutex<Option<Kept<T>>>;

#[derive(Debug)]
struct Kept<T> {
    version: DataVersion,
    quiet: Option<QuietCounts>,
    value: T,
}

// Quiet commits. A live gateway records every camera's health every few seconds, extends
// its deployments, and the agents store every A2A task and conversation: on a whole-database
// version each of these commits would empty every memo (and make the next question re-count
// the events and re-scan media). These writes add one, in the same transaction, to a counter
// of their kind in `quiet_commits`. On an SQLite file the version carries SQLite's count of
// write transactions (`DataVersion::transactions`): when the transactions since a memo was
// read equal the quiet commits since then (of the kinds that leave that memo as it is), no
// other commit happened and the memo still holds. Any other writer, in any process, is a
// transaction that is not counted as quiet, so it always empties the memos. PostgreSQL
// snapshots carry no such count: there every commit still empties them.

/// How many quiet commits of each kind the database has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct QuietCounts {
    /// Live camera health, A2A tasks, conversations: nothing a memo holds.
    bookkeeping: i64,
    /// A deployment's end moved later: only the deployments memo changes.
    deployment_end: i64,
}

/// A kind of quiet commit (a row of `quiet_commits`).
#[derive(Debug, Clone, Copy)]
enum Quiet {
    Bookkeeping,
    DeploymentEnd,
}

impl Quiet {
    /// The statement that counts one commit of this kind (run in the commit's transaction).
    fn count_sql(self) -> &'static str {
        match self {
            Quiet::Bookkeeping => "UPDATE quiet_commits SET n = n + 1 WHERE kind = 'bookkeeping'",
            Quiet::DeploymentEnd => "UPDATE quiet_commits SET n = n + 1 WHERE kind = 'deployment_end'",
        }
    }
}

/// Which quiet commits leave a memo as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    /// A memo of the deployments: deployment ends are not quiet for it.
    Deployments,
    /// Any other memo: every quiet commit leaves it as it is.
    Other,
}

impl QuietCounts {
    /// Quiet commits since `then` that leave a memo reading `reads` as it is.
    fn since(&self, then: &QuietCounts, reads: Reads) -> i64 {
        let ends = if reads == Reads::Other {
            self.deployment_end - then.deployment_end
        } else {
            0
        };
        self.bookkeeping - then.bookkeeping + ends
    }
}

/// How many events the store holds and how many of them carry a species: what caches of
/// event summaries compare to know they are stale (an import or a live event adds events;
/// a description or a relabel gives one a species).
pub type EventsFingerprint = (i64, i64);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Rows per multi-row `INSERT` (kept under SQLite's 32,766 bound parameters).
const INSERT_CHUNK: usize = 1000;

/// Runs `$body` once per backend with `$pool` bound to the concrete pool and `$DB` to the
/// sqlx database type, so one piece of SQL-building code serves both.
macro_rules! on_pool {
    ($store:expr, |$pool:ident, $DB:ident| $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($pool) => {
                #[allow(dead_code)]
                type $DB = sqlx::Sqlite;
                $body
            }
            Pool::Postgres($pool) => {
                #[allow(dead_code)]
                type $DB = sqlx::Postgres;
                $body
            }
        }
    };
}

/// A write of a quiet kind (see "Quiet commits"): `$write` runs on `$conn`, and a store that
/// counts quiet commits (an SQLite file) counts one of `$kind` in the same transaction; any
/// other store runs `$write` on the pool as it is, with no transaction around it.
macro_rules! quiet_write {
    ($store:expr, $kind:expr, |$conn:ident| $write:expr) => {
        on_pool!($store, |pool, DB| {
            if $store.counts_quiet() {
                let mut tx = pool.begin().await?;
                let out = {
                    let $conn = &mut *tx;
                    $write
                };
                sqlx::query($kind.count_sql()).execute(&mut *tx).await?;
                tx.commit().await?;
                out
            } else {
                let $conn = pool;
                $write
            }
        })
    };
}

mod documents;
pub use documents::MAX_TASKS_LISTED;
mod version;
pub use version::DataVersion;
use version::SqliteWatch;

/// Inserts `rows` in multi-row `INSERT ... ON CONFLICT DO NOTHING` statements (a macro so
/// that each backend gets concrete types; sqlx's generic executor bounds do not compose).
/// Ties a statement builder's argument type to the rows it will be given.
fn chunk_builder<'a, T, R>(_rows: &'a [T], f: impl Fn(&'a [T]) -> R) -> impl Fn(&'a [T]) -> R {
    f
}

macro_rules! insert_chunks {
    ($DB:ty, $tx:expr, $rows:expr, $head:expr, |$b:ident, $row:ident| $push:block) => {
        insert_chunks!($DB, $tx, $rows, $head, " ON CONFLICT DO NOTHING", |$b, $row| $push)
    };
    ($DB:ty, $tx:expr, $rows:expr, $head:expr, $tail:expr, |$b:ident, $row:ident| $push:block) => {{
        let mut count = TableCount::default();
        let rows = $rows;
        let build = chunk_builder(rows, |chunk| {
            let mut q = QueryBuilder::<$DB>::new($head);
            q.push_values(chunk, |mut $b, $row| $push);
            q.push($tail);
            q
        });
        // Pipelined: while the database executes one statement (on sqlx's worker thread for
        // SQLite, on the server for PostgreSQL), this task encodes the next one.
        let mut chunks = rows.chunks(INSERT_CHUNK);
        let mut next = chunks.next().map(|c| (c.len() as u64, build(c)));
        while let Some((len, mut q)) = next.take() {
            let (done, following) = tokio::join!(q.build().execute(&mut *$tx), async {
                chunks.next().map(|c| (c.len() as u64, build(c)))
            });
            let done = done?;
            next = following;
            count.inserted += done.rows();
            count.existing += len - done.rows();
        }
        count
    }};
}

/// The detection columns, in the order every insert binds them.
macro_rules! detection_columns {
    () => {
        "id, media_id, camera_id, deployment_id, ts_ms, frame_number, observation_type, scientific_name, count, life_stage, sex, behavior, individual_id, confidence, bbox_x, bbox_y, bbox_w, bbox_h, classification_method, classified_by, classification_probability, event_id, track_id"
    };
}

/// How a backend writes the detections insert, the one bulk path.
trait DetectionInsert {
    /// `INSERT ... INTO detections (columns) ` up to `VALUES`.
    const HEAD: &'static str;
    /// What follows the values.
    const TAIL: &'static str;
}

impl DetectionInsert for sqlx::Postgres {
    const HEAD: &'static str = DETECTION_INSERT;
    const TAIL: &'static str = " ON CONFLICT DO NOTHING";
}

/// SQLite: `INSERT OR IGNORE`. A multi-row `ON CONFLICT DO NOTHING` can still abort on a
/// NOT NULL violation, so SQLite keeps a statement journal for it, copying pages as it
/// goes (`subjournalPageIfRequired` in a perf profile of `benches/storage.rs`). Detections
/// have no foreign keys and no CHECKs, and their NOT NULL columns are bound from values
/// that cannot be NULL, so ignoring conflicts skips exactly the rows that already exist.
impl DetectionInsert for sqlx::Sqlite {
    const HEAD: &'static str = concat!("INSERT OR IGNORE INTO detections (", detection_columns!(), ") ");
    const TAIL: &'static str = "";
}

/// Appends the `WHERE` conditions of an [`EventQuery`] to a query builder.
macro_rules! event_filters {
    ($q:ident, $f:expr) => {{
        let f: &EventQuery = $f;
        if let Some(c) = &f.camera_id {
            $q.push(" AND camera_id = ").push_bind(c.clone());
        }
        if let Some(d) = &f.deployment_id {
            $q.push(" AND deployment_id = ").push_bind(d.clone());
        }
        if let Some(s) = &f.scientific_name {
            $q.push(" AND scientific_name = ").push_bind(s.clone());
        }
        if let Some(t) = f.time.from {
            $q.push(" AND start_ms >= ").push_bind(to_ms(t));
        }
        if let Some(t) = f.time.to {
            $q.push(" AND start_ms < ").push_bind(to_ms(t));
        }
        if let Some(t) = f.observation_type {
            $q.push(" AND observation_type = ").push_bind(t.as_str());
        }
        if let Some(b) = f.behaviour {
            // Labels are pipe-separated: match whole labels only.
            $q.push(" AND ('|' || behavior || '|') LIKE ")
                .push_bind(format!("%|{}|%", b.as_str()));
        }
        if let Some(n) = f.min_count {
            $q.push(" AND count >= ").push_bind(n);
        }
        if let Some(i) = &f.individual_id {
            $q.push(" AND individual_id = ").push_bind(i.clone());
        }
    }};
}

/// Appends the order, limit and offset of an [`EventQuery`].
macro_rules! event_order_and_page {
    ($q:ident, $f:expr) => {{
        let f: &EventQuery = $f;
        if f.newest_first {
            $q.push(" ORDER BY start_ms DESC, id DESC");
        } else {
            $q.push(" ORDER BY start_ms, id");
        }
        if let Some(l) = f.limit {
            $q.push(" LIMIT ").push_bind(l);
        }
        if let Some(o) = f.offset {
            if f.limit.is_none() {
                $q.push(" LIMIT ").push_bind(i64::MAX);
            }
            $q.push(" OFFSET ").push_bind(o);
        }
    }};
}

/// [`event_order_and_page!`] inside a packed read's subquery: the aggregate sorts anyway, so
/// the subquery sorts only when a page has to be cut.
macro_rules! packed_event_page {
    ($q:ident, $f:expr) => {{
        let f: &EventQuery = $f;
        if f.limit.is_some() || f.offset.is_some() {
            event_order_and_page!($q, f);
        }
    }};
}

/// The order clause of an [`EventQuery`] (for the packed SQLite reads' aggregate).
fn event_order(f: &EventQuery) -> &'static str {
    if f.newest_first {
        "start_ms DESC, id DESC"
    } else {
        "start_ms, id"
    }
}

/// Runs a query whose one row is one JSON array of rows (SQLite's `json_group_array`) and
/// decodes it: one value crosses sqlx's worker thread instead of every column of every row.
async fn fetch_packed<T: serde::de::DeserializeOwned>(
    pool: &SqlitePool,
    mut q: QueryBuilder<'_, sqlx::Sqlite>,
    table: &str,
) -> StoreResult<Vec<T>> {
    let (json,): (String,) = q.build_query_as().fetch_one(pool).await?;
    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("{table} packed as JSON: {e}")))
}

/// Deserializes a REAL column sent as `%!.17g` text (see [`DETECTION_JSON_COLUMNS`]).
fn packed_real_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v: Option<String> = serde::Deserialize::deserialize(d)?;
    v.map(|s| {
        s.parse::<f64>()
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a number")))
    })
    .transpose()
}

/// The columns of an event that statistics need.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventBrief {
    /// Event id.
    pub id: String,
    /// Camera.
    pub camera_id: String,
    /// Deployment.
    pub deployment_id: String,
    /// Species, when known.
    pub scientific_name: Option<String>,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// Maximum number seen at once.
    pub count: Option<i64>,
    /// Individual, when known.
    pub individual_id: Option<String>,
}

/// One row of [`Store::event_tally`]: events of one camera, time bucket and species.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTally {
    /// Camera.
    pub camera_id: String,
    /// Bucket number from the tally's origin.
    pub bucket: i64,
    /// Species, when known.
    pub scientific_name: Option<String>,
    /// Events.
    pub events: u64,
}

/// What a camera has recorded, for health and inventory questions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CameraActivity {
    /// Camera.
    pub camera_id: String,
    /// Time of its first media file.
    pub first_media: Option<Timestamp>,
    /// Time of its last media file.
    pub last_media: Option<Timestamp>,
    /// Media files.
    pub media_count: i64,
    /// Start of its last event.
    pub last_event: Option<Timestamp>,
    /// Events.
    pub event_count: i64,
}

/// A machine description of one event, by a vision-language model
/// ([`Store::describe_event`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EventDescription {
    /// The event.
    pub event_id: String,
    /// The species the model named, if any (used only where the event has none yet).
    pub species: Option<Species>,
    /// Behaviour labels, dominant first (used only where the event has none yet).
    pub behaviours: Vec<Behaviour>,
    /// One readable sentence.
    pub sentence: String,
    /// The model, for `classified_by` when it set the species.
    pub model: String,
    /// The model's confidence in the species (0..1), if it gave one.
    pub confidence: Option<f64>,
}

/// A live camera's health as the camera gateway last recorded it (`camera_live`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CameraLive {
    /// Camera.
    pub camera_id: String,
    /// A publisher was streaming when this was recorded.
    pub connected: bool,
    /// Frames per second received.
    pub fps: f64,
    /// Bits per second received.
    pub bitrate_bps: f64,
    /// Newest frame received.
    pub last_frame: Option<Timestamp>,
    /// End of the newest event the gateway wrote.
    pub last_event: Option<Timestamp>,
    /// When this was recorded.
    pub updated: Timestamp,
}

/// Everything one import (or one generator run) writes, applied in one transaction.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Species.
    pub species: Vec<Species>,
    /// Cameras.
    pub cameras: Vec<Camera>,
    /// Deployments.
    pub deployments: Vec<Deployment>,
    /// Malfunction windows.
    pub malfunctions: Vec<Malfunction>,
    /// Media files.
    pub media: Vec<Media>,
    /// Events.
    pub events: Vec<Event>,
    /// Tracks.
    pub tracks: Vec<Track>,
    /// Detections.
    pub detections: Vec<Detection>,
}

impl Batch {
    /// Total number of rows in the batch.
    pub fn len(&self) -> usize {
        self.species.len()
            + self.cameras.len()
            + self.deployments.len()
            + self.malfunctions.len()
            + self.media.len()
            + self.events.len()
            + self.tracks.len()
            + self.detections.len()
    }

    /// True when the batch holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Rows inserted and rows that were already there, per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TableCount {
    /// Newly inserted.
    pub inserted: u64,
    /// Already present (same identifier), left as they were.
    pub existing: u64,
}

/// What an ingest did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Species.
    pub species: TableCount,
    /// Cameras.
    pub cameras: TableCount,
    /// Deployments.
    pub deployments: TableCount,
    /// Malfunctions.
    pub malfunctions: TableCount,
    /// Media.
    pub media: TableCount,
    /// Events.
    pub events: TableCount,
    /// Tracks.
    pub tracks: TableCount,
    /// Detections.
    pub detections: TableCount,
}

impl IngestReport {
    /// Rows newly inserted across all tables.
    pub fn inserted(&self) -> u64 {
        [
            self.species,
            self.cameras,
            self.deployments,
            self.malfunctions,
            self.media,
            self.events,
            self.tracks,
            self.detections,
        ]
        .iter()
        .map(|c| c.inserted)
        .sum()
    }
}

/// A record of one import, kept in the `imports` table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRecord {
    /// Identifier.
    pub id: String,
    /// `megadetector`, `camtrap-dp`, `media-folder`, `demo`.
    pub kind: String,
    /// The path that was imported.
    pub source: String,
    /// SHA-256 of the imported content.
    pub sha256: String,
    /// When.
    pub imported: Timestamp,
    /// The ingest report as JSON.
    pub summary: String,
}

/// Row counts of every table.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Species.
    pub species: i64,
    /// Cameras.
    pub cameras: i64,
    /// Deployments.
    pub deployments: i64,
    /// Malfunctions.
    pub malfunctions: i64,
    /// Media.
    pub media: i64,
    /// Events.
    pub events: i64,
    /// Tracks.
    pub tracks: i64,
    /// Detections.
    pub detections: i64,
    /// Imports.
    pub imports: i64,
}

/// A time window, `from` inclusive, `to` exclusive. Either end may be open.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct TimeRange {
    /// Start (inclusive).
    pub from: Option<Timestamp>,
    /// End (exclusive).
    pub to: Option<Timestamp>,
}

/// Filter for [`Store::media`].
#[derive(Debug, Default, Clone)]
pub struct MediaQuery {
    /// Only this camera.
    pub camera_id: Option<String>,
    /// Only this deployment.
    pub deployment_id: Option<String>,
    /// Only media taken in this window.
    pub time: TimeRange,
    /// At most this many rows.
    pub limit: Option<i64>,
}

/// Filter for [`Store::detections`].
#[derive(Debug, Default, Clone)]
pub struct DetectionQuery {
    /// Only this camera.
    pub camera_id: Option<String>,
    /// Only this deployment.
    pub deployment_id: Option<String>,
    /// Only this species.
    pub scientific_name: Option<String>,
    /// Only detections of this event.
    pub event_id: Option<String>,
    /// Only detections on this media file.
    pub media_id: Option<String>,
    /// Only frames in this window.
    pub time: TimeRange,
    /// At most this many rows.
    pub limit: Option<i64>,
}

/// Filter for [`Store::events`].
#[derive(Debug, Default, Clone)]
pub struct EventQuery {
    /// Only this camera.
    pub camera_id: Option<String>,
    /// Only this deployment.
    pub deployment_id: Option<String>,
    /// Only this species.
    pub scientific_name: Option<String>,
    /// Only events starting in this window.
    pub time: TimeRange,
    /// Only events of this type (animal, human, ...).
    pub observation_type: Option<ObservationType>,
    /// Only events carrying this behaviour label.
    pub behaviour: Option<Behaviour>,
    /// Only events with at least this many individuals.
    pub min_count: Option<i64>,
    /// Only events of this individual.
    pub individual_id: Option<String>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// At most this many rows.
    pub limit: Option<i64>,
    /// Skip this many rows.
    pub offset: Option<i64>,
}

impl Store {
    /// Opens (creating if needed) the database at `url` and applies migrations.
    ///
    /// `url` is `postgres://...` / `postgresql://...`, `sqlite://PATH`, `sqlite::memory:`,
    /// or a plain file path (SQLite).
    pub async fn open(url: &str) -> StoreResult<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            Self::open_postgres(opts).await
        } else if url == "sqlite::memory:" {
            let opts = SqliteConnectOptions::from_str(url)?;
            // One connection: every connection to :memory: is its own database.
            let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
            SQLITE_MIGRATIONS.run(&pool).await?;
            Ok(Store::new(Pool::Sqlite(pool), None))
        } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            Self::open_sqlite_file(Path::new(path)).await
        } else if url.contains("://") {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        } else {
            Self::open_sqlite_file(Path::new(url)).await
        }
    }

    /// Opens (creating if needed) an SQLite file in WAL mode and applies migrations.
    pub async fn open_sqlite_file(path: &Path) -> StoreResult<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Rows cross from SQLite's worker thread in batches rather than a few at a time.
            .row_buffer_size(1024)
            // Larger pages: fewer B-tree splits on bulk inserts and fewer pages per range
            // read (takes effect when the file is created).
            .pragma("page_size", "8192")
            .pragma("cache_size", "-65536")
            // Reads map the file instead of copying pages through read(2): a range query
            // touches a few thousand scattered pages.
            .pragma("mmap_size", "2147418112")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts.clone())
            .await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        let idle = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&opts).await?;
        Ok(Store::new(
            Pool::Sqlite(pool),
            Some(Arc::new(SqliteWatch::new(path, idle))),
        ))
    }

    /// Opens a PostgreSQL database with explicit options and applies migrations.
    pub async fn open_postgres(opts: PgConnectOptions) -> StoreResult<Store> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        POSTGRES_MIGRATIONS.run(&pool).await?;
        Ok(Store::new(Pool::Postgres(pool), None))
    }

    fn new(pool: Pool, watch: Option<Arc<SqliteWatch>>) -> Store {
        Store {
            pool,
            watch,
            memos: Arc::default(),
        }
    }

    /// The value in `memo` if nothing was committed since it was read, or only quiet commits
    /// that leave what it `reads` as it is; else `load`'s (kept).
    async fn memoised<T: Clone>(
        &self,
        memo: &Memo<T>,
        reads: Reads,
        load: impl std::future::Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        // The version first: a commit that lands during `load` costs a reload, not staleness.
        let version = self.data_version().await;
        let kept = memo
            .lock()
            .ok()
            .and_then(|m| m.as_ref().map(|k| (k.version.clone(), k.quiet, k.value.clone())));
        let mut now_quiet = None;
        if let Some((seen, then_quiet, value)) = kept {
            if seen == version {
                return Ok(value);
            }
            if let (Some(then_tx), Some(now_tx), Some(then_quiet)) =
                (seen.transactions(), version.transactions(), then_quiet)
            {
                now_quiet = self.quiet_counts(&version).await;
                if let Some(now) = now_quiet
                    && i64::from(now_tx.wrapping_sub(then_tx)) == now.since(&then_quiet, reads)
                {
                    // Every commit since was quiet for this memo: keep it, as of now.
                    if let Ok(mut m) = memo.lock()
                        && let Some(k) = m.as_mut()
                        && k.version == seen
                    {
                        k.version = version;
                        k.quiet = Some(now);
                    }
                    return Ok(value);
                }
            }
        }
        if now_quiet.is_none() && version.transactions().is_some() {
            now_quiet = self.quiet_counts(&version).await;
        }
        let value = load.await?;
        if let Ok(mut m) = memo.lock() {
            *m = Some(Kept {
                version,
                quiet: now_quiet,
                value: value.clone(),
            });
        }
        Ok(value)
    }

    /// Whether writes count themselves in `quiet_commits`: only where versions carry a
    /// transaction count (an SQLite file). On PostgreSQL the counter row would only make
    /// concurrent writers wait for each other.
    fn counts_quiet(&self) -> bool {
        self.watch.is_some()
    }

    /// The quiet-commit counts as of `version` (SQLite only), or `None` when they cannot be
    /// tied to it: they are read between two reads of the version, which must agree.
    async fn quiet_counts(&self, version: &DataVersion) -> Option<QuietCounts> {
        if let Ok(q) = self.memos.quiet.lock()
            && let Some((seen, counts)) = q.as_ref()
            && seen == version
        {
            return Some(*counts);
        }
        let Pool::Sqlite(pool) = &self.pool else {
            return None;
        };
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT kind, n FROM quiet_commits")
            .fetch_all(pool)
            .await
            .ok()?;
        let count = |kind: &str| rows.iter().find(|r| r.0 == kind).map(|r| r.1);
        let counts = QuietCounts {
            bookkeeping: count("bookkeeping")?,
            deployment_end: count("deployment_end")?,
        };
        if self.data_version().await != *version {
            return None;
        }
        if let Ok(mut q) = self.memos.quiet.lock() {
            *q = Some((version.clone(), counts));
        }
        Some(counts)
    }

    /// A copy of the list in `memo`, read again by `load` after any commit.
    async fn kept_list<T: Clone>(
        &self,
        memo: &Memo<Arc<Vec<T>>>,
        reads: Reads,
        load: impl std::future::Future<Output = StoreResult<Vec<T>>>,
    ) -> StoreResult<Vec<T>> {
        let all = self.memoised(memo, reads, async { Ok(Arc::new(load.await?)) }).await?;
        Ok(all.as_ref().clone())
    }

    /// [`EventsFingerprint`]: counted again only after something was committed
    /// ([`Store::data_version`]), so asking before every question is cheap.
    pub async fn events_fingerprint(&self) -> StoreResult<EventsFingerprint> {
        self.memoised(&self.memos.events, Reads::Other, async {
            Ok(on_pool!(self, |pool, DB| sqlx::query_as(
                "SELECT COUNT(*), COUNT(scientific_name) FROM events"
            )
            .fetch_one(pool)
            .await?))
        })
        .await
    }

    /// What the database has committed so far, from any connection of any process: equal
    /// versions mean equal data. Cheap on an SQLite file (a read of the wal-index header, no
    /// query); one small query on PostgreSQL. Read it before the data it is to guard.
    pub async fn data_version(&self) -> DataVersion {
        if let Some(watch) = &self.watch {
            return watch.version().await;
        }
        match &self.pool {
            Pool::Postgres(pool) => sqlx::query_scalar::<_, String>("SELECT pg_current_snapshot()::text")
                .fetch_one(pool)
                .await
                .map(DataVersion::snapshot)
                .unwrap_or_else(|_| DataVersion::unknown()),
            Pool::Sqlite(_) => DataVersion::unknown(),
        }
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes the pool, waiting for connections to finish (and SQLite to checkpoint).
    pub async fn close(&self) {
        if let Some(watch) = &self.watch {
            watch.close().await;
        }
        on_pool!(self, |pool, DB| pool.close().await)
    }

    /// Writes a batch in one transaction; rows whose identifier already exists are left
    /// as they are. Optionally records the import in the same transaction.
    pub async fn ingest(&self, batch: &Batch, record: Option<&ImportRecord>) -> StoreResult<IngestReport> {
        on_pool!(self, |pool, DB| {
            let mut tx = pool.begin().await?;
            let species = insert_chunks!(DB, tx, &batch.species, SPECIES_INSERT, |b, s| {
                b.push_bind(s.scientific_name.as_str())
                    .push_bind(s.common_name.as_deref())
                    .push_bind(s.taxon_rank.as_deref());
            });
            let cameras = insert_chunks!(DB, tx, &batch.cameras, CAMERA_INSERT, |b, c| {
                b.push_bind(c.id.as_str())
                    .push_bind(c.name.as_str())
                    .push_bind(c.latitude)
                    .push_bind(c.longitude)
                    .push_bind(c.site.as_deref())
                    .push_bind(c.habitat.as_deref())
                    .push_bind(c.feature_type.map(|f| f.as_str()))
                    .push_bind(c.model.as_deref())
                    .push_bind(c.height_m)
                    .push_bind(c.heading_deg)
                    .push_bind(c.detection_distance_m)
                    .push_bind(c.status.as_str())
                    .push_bind(c.battery_pct)
                    .push_bind(c.notes.as_deref());
            });
            let deployments = insert_chunks!(DB, tx, &batch.deployments, DEPLOYMENT_INSERT, |b, d| {
                b.push_bind(d.id.as_str())
                    .push_bind(d.camera_id.as_str())
                    .push_bind(d.location_id.as_deref())
                    .push_bind(d.location_name.as_deref())
                    .push_bind(d.latitude)
                    .push_bind(d.longitude)
                    .push_bind(to_ms(d.start))
                    .push_bind(to_ms(d.end))
                    .push_bind(i64::from(d.utc_offset_min))
                    .push_bind(d.feature_type.map(|f| f.as_str()))
                    .push_bind(d.habitat.as_deref())
                    .push_bind(d.camera_height)
                    .push_bind(d.camera_tilt)
                    .push_bind(d.camera_heading)
                    .push_bind(d.detection_distance)
                    .push_bind(d.bait_use)
                    .push_bind(d.timestamp_issues)
                    .push_bind(d.setup_by.as_deref())
                    .push_bind(d.tags.as_deref())
                    .push_bind(d.comments.as_deref());
            });
            let malfunctions = insert_chunks!(DB, tx, &batch.malfunctions, MALFUNCTION_INSERT, |b, m| {
                b.push_bind(m.id.as_str())
                    .push_bind(m.deployment_id.as_str())
                    .push_bind(to_ms(m.start))
                    .push_bind(to_ms(m.end))
                    .push_bind(m.reason.as_str());
            });
            let media = insert_chunks!(DB, tx, &batch.media, MEDIA_INSERT, |b, m| {
                b.push_bind(m.id.as_str())
                    .push_bind(m.deployment_id.as_str())
                    .push_bind(m.camera_id.as_str())
                    .push_bind(to_ms(m.timestamp))
                    .push_bind(m.timestamp_source.as_str())
                    .push_bind(m.file_path.as_str())
                    .push_bind(m.file_name.as_deref())
                    .push_bind(m.media_type.as_str())
                    .push_bind(m.capture_method.map(|c| c.as_str()))
                    .push_bind(m.file_public)
                    .push_bind(m.favorite)
                    .push_bind(m.frame_rate)
                    .push_bind(m.comments.as_deref());
            });
            let events = insert_chunks!(DB, tx, &batch.events, EVENT_INSERT, |b, e| {
                b.push_bind(e.id.as_str())
                    .push_bind(e.deployment_id.as_str())
                    .push_bind(e.camera_id.as_str())
                    .push_bind(to_ms(e.start))
                    .push_bind(to_ms(e.end))
                    .push_bind(e.observation_type.as_str())
                    .push_bind(e.scientific_name.as_deref())
                    .push_bind(e.count)
                    .push_bind(e.life_stage.map(|v| v.as_str()))
                    .push_bind(e.sex.map(|v| v.as_str()))
                    .push_bind(e.behavior.as_deref())
                    .push_bind(e.individual_id.as_deref())
                    .push_bind(e.classification_method.map(|v| v.as_str()))
                    .push_bind(e.classified_by.as_deref())
                    .push_bind(e.classification_probability)
                    .push_bind(e.best_media_id.as_deref())
                    .push_bind(e.description.as_deref());
            });
            let tracks = insert_chunks!(DB, tx, &batch.tracks, TRACK_INSERT, |b, t| {
                b.push_bind(t.id.as_str())
                    .push_bind(t.event_id.as_str())
                    .push_bind(t.camera_id.as_str())
                    .push_bind(to_ms(t.start))
                    .push_bind(to_ms(t.end))
                    .push_bind(t.scientific_name.as_deref())
                    .push_bind(t.individual_id.as_deref())
                    .push_bind(t.heading_deg)
                    .push_bind(t.speed)
                    .push_bind(t.frames);
            });
            let detections = insert_chunks!(
                DB,
                tx,
                &batch.detections,
                <DB as DetectionInsert>::HEAD,
                <DB as DetectionInsert>::TAIL,
                |b, d| {
                    b.push_bind(d.id.as_str())
                        .push_bind(d.media_id.as_str())
                        .push_bind(d.camera_id.as_str())
                        .push_bind(d.deployment_id.as_str())
                        .push_bind(to_ms(d.timestamp))
                        .push_bind(d.frame_number)
                        .push_bind(d.observation_type.as_str())
                        .push_bind(d.scientific_name.as_deref())
                        .push_bind(d.count)
                        .push_bind(d.life_stage.map(|v| v.as_str()))
                        .push_bind(d.sex.map(|v| v.as_str()))
                        .push_bind(d.behavior.as_deref())
                        .push_bind(d.individual_id.as_deref())
                        .push_bind(d.confidence)
                        .push_bind(d.bbox.map(|b| b.x))
                        .push_bind(d.bbox.map(|b| b.y))
                        .push_bind(d.bbox.map(|b| b.width))
                        .push_bind(d.bbox.map(|b| b.height))
                        .push_bind(d.classification_method.map(|v| v.as_str()))
                        .push_bind(d.classified_by.as_deref())
                        .push_bind(d.classification_probability)
                        .push_bind(d.event_id.as_deref())
                        .push_bind(d.track_id.as_deref());
                }
            );
            if let Some(r) = record {
                sqlx::query(
                    "INSERT INTO imports (id, kind, source, sha256, imported_ms, summary) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .bind(&r.id)
                .bind(&r.kind)
                .bind(&r.source)
                .bind(&r.sha256)
                .bind(to_ms(r.imported))
                .bind(&r.summary)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(IngestReport {
                species,
                cameras,
                deployments,
                malfunctions,
                media,
                events,
                tracks,
                detections,
            })
        })
    }

    /// Row counts of every table.
    pub async fn counts(&self) -> StoreResult<Counts> {
        on_pool!(self, |pool, DB| {
            let row: (i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM species), (SELECT COUNT(*) FROM cameras), \
                 (SELECT COUNT(*) FROM deployments), (SELECT COUNT(*) FROM malfunctions), \
                 (SELECT COUNT(*) FROM media), (SELECT COUNT(*) FROM events), \
                 (SELECT COUNT(*) FROM tracks), (SELECT COUNT(*) FROM detections), \
                 (SELECT COUNT(*) FROM imports)",
            )
            .fetch_one(pool)
            .await?;
            Ok(Counts {
                species: row.0,
                cameras: row.1,
                deployments: row.2,
                malfunctions: row.3,
                media: row.4,
                events: row.5,
                tracks: row.6,
                detections: row.7,
                imports: row.8,
            })
        })
    }

    /// All species, by scientific name.
    pub async fn species(&self) -> StoreResult<Vec<Species>> {
        let rows: Vec<SpeciesRow> = on_pool!(self, |pool, DB| sqlx::query_as(
            "SELECT scientific_name, common_name, taxon_rank FROM species ORDER BY scientific_name"
        )
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|r| Species {
                scientific_name: r.scientific_name,
                common_name: r.common_name,
                taxon_rank: r.taxon_rank,
            })
            .collect())
    }

    /// All cameras, by id.
    pub async fn cameras(&self) -> StoreResult<Vec<Camera>> {
        Ok(self.cameras_shared().await?.as_ref().clone())
    }

    /// All cameras, by id, shared: served from memory while the database is unchanged
    /// ([`Store::data_version`]), read again after any commit.
    pub async fn cameras_shared(&self) -> StoreResult<Arc<Vec<Camera>>> {
        self.memoised(&self.memos.cameras, Reads::Other, async {
            let rows: Vec<CameraRow> = on_pool!(self, |pool, DB| sqlx::query_as(&format!(
                "SELECT {CAMERA_COLUMNS} FROM cameras ORDER BY id"
            ))
            .fetch_all(pool)
            .await?);
            Ok(Arc::new(
                rows.into_iter()
                    .map(CameraRow::into_model)
                    .collect::<StoreResult<Vec<_>>>()?,
            ))
        })
        .await
    }

    /// One camera: from the kept cameras on an SQLite file (where keeping them costs one
    /// header read per call), else one query.
    pub async fn camera(&self, id: &str) -> StoreResult<Option<Camera>> {
        if self.watch.is_some() {
            let all = self.cameras_shared().await?;
            return Ok(all.iter().find(|c| c.id == id).cloned());
        }
        let row: Option<CameraRow> = on_pool!(self, |pool, DB| sqlx::query_as(&format!(
            "SELECT {CAMERA_COLUMNS} FROM cameras WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?);
        row.map(CameraRow::into_model).transpose()
    }

    /// Deployments, optionally of one camera, ordered by camera and start. All of them are
    /// kept between commits.
    pub async fn deployments(&self, camera_id: Option<&str>) -> StoreResult<Vec<Deployment>> {
        match camera_id {
            None => {
                self.kept_list(&self.memos.deployments, Reads::Deployments, self.deployments_now(None))
                    .await
            }
            Some(_) => self.deployments_now(camera_id).await,
        }
    }

    async fn deployments_now(&self, camera_id: Option<&str>) -> StoreResult<Vec<Deployment>> {
        let rows: Vec<DeploymentRow> = on_pool!(self, |pool, DB| {
            let mut q = QueryBuilder::<DB>::new(format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments"));
            if let Some(c) = camera_id {
                q.push(" WHERE camera_id = ").push_bind(c.to_string());
            }
            q.push(" ORDER BY camera_id, start_ms, id");
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().map(DeploymentRow::into_model).collect()
    }

    /// Malfunction windows, optionally of one deployment, ordered by deployment and start. All
    /// of them are kept between commits.
    pub async fn malfunctions(&self, deployment_id: Option<&str>) -> StoreResult<Vec<Malfunction>> {
        match deployment_id {
            None => {
                self.kept_list(&self.memos.malfunctions, Reads::Other, self.malfunctions_now(None))
                    .await
            }
            Some(_) => self.malfunctions_now(deployment_id).await,
        }
    }

    async fn malfunctions_now(&self, deployment_id: Option<&str>) -> StoreResult<Vec<Malfunction>> {
        let rows: Vec<MalfunctionRow> = on_pool!(self, |pool, DB| {
            let mut q = QueryBuilder::<DB>::new("SELECT id, deployment_id, start_ms, end_ms, reason FROM malfunctions");
            if let Some(d) = deployment_id {
                q.push(" WHERE deployment_id = ").push_bind(d.to_string());
            }
            q.push(" ORDER BY deployment_id, start_ms, id");
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|r| Malfunction {
                id: r.id,
                deployment_id: r.deployment_id,
                start: from_ms(r.start_ms),
                end: from_ms(r.end_ms),
                reason: r.reason,
            })
            .collect())
    }

    /// Media, ordered by time then id.
    pub async fn media(&self, f: &MediaQuery) -> StoreResult<Vec<Media>> {
        let rows: Vec<MediaRow> = on_pool!(self, |pool, DB| {
            let mut q = QueryBuilder::<DB>::new(format!("SELECT {MEDIA_COLUMNS} FROM media WHERE 1=1"));
            if let Some(c) = &f.camera_id {
                q.push(" AND camera_id = ").push_bind(c.clone());
            }
            if let Some(d) = &f.deployment_id {
                q.push(" AND deployment_id = ").push_bind(d.clone());
            }
            if let Some(t) = f.time.from {
                q.push(" AND ts_ms >= ").push_bind(to_ms(t));
            }
            if let Some(t) = f.time.to {
                q.push(" AND ts_ms < ").push_bind(to_ms(t));
            }
            q.push(" ORDER BY ts_ms, id");
            if let Some(l) = f.limit {
                q.push(" LIMIT ").push_bind(l);
            }
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().map(MediaRow::into_model).collect()
    }

    /// Detections, ordered by time then id.
    pub async fn detections(&self, f: &DetectionQuery) -> StoreResult<Vec<Detection>> {
        macro_rules! detection_filters {
            ($q:ident) => {
                if let Some(c) = &f.camera_id {
                    $q.push(" AND camera_id = ").push_bind(c.clone());
                }
                if let Some(d) = &f.deployment_id {
                    $q.push(" AND deployment_id = ").push_bind(d.clone());
                }
                if let Some(s) = &f.scientific_name {
                    $q.push(" AND scientific_name = ").push_bind(s.clone());
                }
                if let Some(e) = &f.event_id {
                    $q.push(" AND event_id = ").push_bind(e.clone());
                }
                if let Some(m) = &f.media_id {
                    $q.push(" AND media_id = ").push_bind(m.clone());
                }
                if let Some(t) = f.time.from {
                    $q.push(" AND ts_ms >= ").push_bind(to_ms(t));
                }
                if let Some(t) = f.time.to {
                    $q.push(" AND ts_ms < ").push_bind(to_ms(t));
                }
                $q.push(" ORDER BY ts_ms, id");
                if let Some(l) = f.limit {
                    $q.push(" LIMIT ").push_bind(l);
                }
            };
        }
        let rows: Vec<DetectionRow> = match &self.pool {
            Pool::Sqlite(pool) => {
                // SQLite packs the rows into one JSON array: sqlx copies every value of
                // every row across its worker thread, which costs more than the query
                // itself for a few thousand rows (see the storage benchmark).
                let mut q = QueryBuilder::<sqlx::Sqlite>::new(format!(
                    "SELECT json_group_array(json_array({DETECTION_JSON_COLUMNS}) ORDER BY ts_ms, id) \
                     FROM (SELECT {DETECTION_COLUMNS} FROM detections WHERE 1=1"
                ));
                detection_filters!(q);
                q.push(")");
                let (json,): (String,) = q.build_query_as().fetch_one(pool).await?;
                let packed: Vec<DetectionJsonRow> = serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("detections packed as JSON: {e}")))?;
                packed
                    .into_iter()
                    .map(DetectionJsonRow::into_row)
                    .collect::<StoreResult<_>>()?
            }
            Pool::Postgres(pool) => {
                let mut q = QueryBuilder::<sqlx::Postgres>::new(format!(
                    "SELECT {DETECTION_COLUMNS} FROM detections WHERE 1=1"
                ));
                detection_filters!(q);
                q.build_query_as().fetch_all(pool).await?
            }
        };
        rows.into_iter().map(DetectionRow::into_model).collect()
    }

    /// Events, ordered by start time (oldest first unless `newest_first`), then id.
    pub async fn events(&self, f: &EventQuery) -> StoreResult<Vec<Event>> {
        let rows: Vec<EventRow> = match &self.pool {
            Pool::Sqlite(pool) => {
                let mut q = QueryBuilder::<sqlx::Sqlite>::new(format!(
                    "SELECT json_group_array(json_array({EVENT_JSON_COLUMNS}) ORDER BY {}) FROM (SELECT {EVENT_COLUMNS} FROM events WHERE 1=1",
                    event_order(f)
                ));
                event_filters!(q, f);
                packed_event_page!(q, f);
                q.push(")");
                fetch_packed(pool, q, "events").await?
            }
            Pool::Postgres(pool) => {
                let mut q =
                    QueryBuilder::<sqlx::Postgres>::new(format!("SELECT {EVENT_COLUMNS} FROM events WHERE 1=1"));
                event_filters!(q, f);
                event_order_and_page!(q, f);
                q.build_query_as().fetch_all(pool).await?
            }
        };
        rows.into_iter().map(EventRow::into_model).collect()
    }

    /// The few columns of events that statistics need, in the same order as [`Store::events`]:
    /// much cheaper than whole events over large periods.
    pub async fn event_briefs(&self, f: &EventQuery) -> StoreResult<Vec<EventBrief>> {
        const BRIEF: &str = "id, camera_id, deployment_id, scientific_name, start_ms, end_ms, count, individual_id";
        let rows: Vec<EventBriefRow> = match &self.pool {
            Pool::Sqlite(pool) => {
                let mut q = QueryBuilder::<sqlx::Sqlite>::new(format!(
                    "SELECT json_group_array(json_array({BRIEF}) ORDER BY {}) FROM (SELECT {BRIEF} FROM events WHERE 1=1",
                    event_order(f)
                ));
                event_filters!(q, f);
                packed_event_page!(q, f);
                q.push(")");
                fetch_packed(pool, q, "events").await?
            }
            Pool::Postgres(pool) => {
                let mut q = QueryBuilder::<sqlx::Postgres>::new(format!("SELECT {BRIEF} FROM events WHERE 1=1"));
                event_filters!(q, f);
                event_order_and_page!(q, f);
                q.build_query_as().fetch_all(pool).await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|r| EventBrief {
                id: r.id,
                camera_id: r.camera_id,
                deployment_id: r.deployment_id,
                scientific_name: r.scientific_name,
                start: from_ms(r.start_ms),
                end: from_ms(r.end_ms),
                count: r.count,
                individual_id: r.individual_id,
            })
            .collect())
    }

    /// Matching events counted per camera, time bucket and species, in the database: bucket
    /// `k` starts at `origin + k * bucket`; events before `origin` are not counted; limit,
    /// offset and order are ignored. Rows come in no particular order.
    pub async fn event_tally(
        &self,
        f: &EventQuery,
        origin: Timestamp,
        bucket: chrono::Duration,
    ) -> StoreResult<Vec<EventTally>> {
        // A bucket under 1 ms counts per millisecond (never a division by zero).
        let size = bucket.num_milliseconds().max(1);
        let rows: Vec<(String, i64, Option<String>, i64)> = on_pool!(self, |pool, DB| {
            let mut q = QueryBuilder::<DB>::new("SELECT camera_id, (start_ms - ");
            q.push_bind(to_ms(origin)).push(") / ").push_bind(size);
            q.push(" AS bucket, scientific_name, COUNT(*) FROM events WHERE start_ms >= ")
                .push_bind(to_ms(origin));
            event_filters!(q, f);
            q.push(" GROUP BY camera_id, bucket, scientific_name");
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(camera_id, bucket, scientific_name, events)| EventTally {
                camera_id,
                bucket,
                scientific_name,
                events: events as u64,
            })
            .collect())
    }

    /// How many events match (limit, offset and order are ignored).
    pub async fn count_events(&self, f: &EventQuery) -> StoreResult<i64> {
        on_pool!(self, |pool, DB| {
            let mut q = QueryBuilder::<DB>::new("SELECT COUNT(*) FROM events WHERE 1=1");
            event_filters!(q, f);
            let (n,): (i64,) = q.build_query_as().fetch_one(pool).await?;
            Ok(n)
        })
    }

    /// One event.
    pub async fn event(&self, id: &str) -> StoreResult<Option<Event>> {
        let row: Option<EventRow> = on_pool!(self, |pool, DB| sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?);
        row.map(EventRow::into_model).transpose()
    }

    /// One media file.
    pub async fn media_item(&self, id: &str) -> StoreResult<Option<Media>> {
        let row: Option<MediaRow> = on_pool!(self, |pool, DB| sqlx::query_as(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?);
        row.map(MediaRow::into_model).transpose()
    }

    /// Adds a camera or replaces every field of an existing one (inventory edits).
    pub async fn upsert_camera(&self, c: &Camera) -> StoreResult<()> {
        on_pool!(self, |pool, DB| {
            sqlx::query(
                "INSERT INTO cameras (id, name, latitude, longitude, site, habitat, feature_type, model, height_m, heading_deg, detection_distance_m, status, battery_pct, notes) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, latitude = excluded.latitude, longitude = excluded.longitude, \
                 site = excluded.site, habitat = excluded.habitat, feature_type = excluded.feature_type, model = excluded.model, \
                 height_m = excluded.height_m, heading_deg = excluded.heading_deg, detection_distance_m = excluded.detection_distance_m, \
                 status = excluded.status, battery_pct = excluded.battery_pct, notes = excluded.notes",
            )
            .bind(&c.id)
            .bind(&c.name)
            .bind(c.latitude)
            .bind(c.longitude)
            .bind(&c.site)
            .bind(&c.habitat)
            .bind(c.feature_type.map(|f| f.as_str()))
            .bind(&c.model)
            .bind(c.height_m)
            .bind(c.heading_deg)
            .bind(c.detection_distance_m)
            .bind(c.status.as_str())
            .bind(c.battery_pct)
            .bind(&c.notes)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Moves a deployment's end later (never earlier): a live camera's deployment grows
    /// while it streams, so its effort is the time it was connected. Returns whether the
    /// deployment exists.
    pub async fn extend_deployment(&self, id: &str, end: Timestamp) -> StoreResult<bool> {
        let found = quiet_write!(self, Quiet::DeploymentEnd, |conn| {
            sqlx::query("UPDATE deployments SET end_ms = CASE WHEN end_ms < $1 THEN $1 ELSE end_ms END WHERE id = $2")
                .bind(to_ms(end))
                .bind(id)
                .execute(conn)
                .await?
                .rows_affected()
        });
        Ok(found > 0)
    }

    /// Records a machine description of an event: the sentence replaces the event's
    /// description; the species and behaviours fill in only what the event does not have yet
    /// (a label from a person or an imported file is never replaced), and a species also goes
    /// into the species list and onto the event's detections that have none. One
    /// transaction. Returns whether the event exists.
    pub async fn describe_event(&self, d: &EventDescription) -> StoreResult<bool> {
        let species = d.species.as_ref().map(|s| s.scientific_name.as_str());
        let behaviour = behaviour_string(&d.behaviours);
        let found = on_pool!(self, |pool, DB| {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE events SET \
                 classified_by = CASE WHEN scientific_name IS NULL AND $1 IS NOT NULL THEN $2 ELSE classified_by END, \
                 classification_probability = CASE WHEN scientific_name IS NULL AND $1 IS NOT NULL THEN $3 \
                 ELSE classification_probability END, \
                 scientific_name = COALESCE(scientific_name, $1), behavior = COALESCE(behavior, $4), \
                 description = $5 WHERE id = $6",
            )
            .bind(species)
            .bind(&d.model)
            .bind(d.confidence)
            .bind(behaviour.as_deref())
            .bind(&d.sentence)
            .bind(&d.event_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if let (Some(s), true) = (&d.species, n > 0) {
                sqlx::query(&format!("{SPECIES_INSERT}VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"))
                    .bind(&s.scientific_name)
                    .bind(&s.common_name)
                    .bind(&s.taxon_rank)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE detections SET scientific_name = $1 WHERE event_id = $2 AND scientific_name IS NULL",
                )
                .bind(&s.scientific_name)
                .bind(&d.event_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            n
        });
        Ok(found > 0)
    }

    /// Records a live camera's health (replacing what was recorded before).
    pub async fn upsert_camera_live(&self, l: &CameraLive) -> StoreResult<()> {
        quiet_write!(self, Quiet::Bookkeeping, |conn| {
            sqlx::query(
                "INSERT INTO camera_live (camera_id, connected, fps, bitrate_bps, last_frame_ms, last_event_ms, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (camera_id) DO UPDATE SET connected = excluded.connected, fps = excluded.fps, \
                 bitrate_bps = excluded.bitrate_bps, last_frame_ms = excluded.last_frame_ms, \
                 last_event_ms = excluded.last_event_ms, updated_ms = excluded.updated_ms",
            )
            .bind(&l.camera_id)
            .bind(l.connected)
            .bind(l.fps)
            .bind(l.bitrate_bps)
            .bind(l.last_frame.map(to_ms))
            .bind(l.last_event.map(to_ms))
            .bind(to_ms(l.updated))
            .execute(conn)
            .await?;
            Ok(())
        })
    }

    /// The live health of one camera (or of every live camera), as last recorded.
    pub async fn camera_live(&self, camera_id: Option<&str>) -> StoreResult<Vec<CameraLive>> {
        type Row = (String, bool, f64, f64, Option<i64>, Option<i64>, i64);
        let rows: Vec<Row> = on_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT camera_id, connected, fps, bitrate_bps, last_frame_ms, last_event_ms, updated_ms FROM camera_live \
                 WHERE (CAST($1 AS TEXT) IS NULL OR camera_id = $1) ORDER BY camera_id",
            )
            .bind(camera_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| CameraLive {
                camera_id: r.0,
                connected: r.1,
                fps: r.2,
                bitrate_bps: r.3,
                last_frame: r.4.map(from_ms),
                last_event: r.5.map(from_ms),
                updated: from_ms(r.6),
            })
            .collect())
    }

    /// Per camera: first and last media time and count, last event time and count.
    pub async fn camera_activity(&self) -> StoreResult<Vec<CameraActivity>> {
        self.kept_list(&self.memos.activity, Reads::Other, self.camera_activity_now())
            .await
    }

    async fn camera_activity_now(&self) -> StoreResult<Vec<CameraActivity>> {
        type Row = (String, Option<i64>, Option<i64>, i64, Option<i64>, i64);
        let rows: Vec<Row> = on_pool!(self, |pool, DB| {
            sqlx::query_as(
            "SELECT c.id, m.first_ms, m.last_ms, COALESCE(m.n, 0), e.last_ms, COALESCE(e.n, 0) FROM cameras c \
             LEFT JOIN (SELECT camera_id, MIN(ts_ms) AS first_ms, MAX(ts_ms) AS last_ms, COUNT(*) AS n FROM media GROUP BY camera_id) m ON m.camera_id = c.id \
             LEFT JOIN (SELECT camera_id, MAX(start_ms) AS last_ms, COUNT(*) AS n FROM events GROUP BY camera_id) e ON e.camera_id = c.id \
             ORDER BY c.id"
        )
        .fetch_all(pool)
        .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| CameraActivity {
                camera_id: r.0,
                first_media: r.1.map(from_ms),
                last_media: r.2.map(from_ms),
                media_count: r.3,
                last_event: r.4.map(from_ms),
                event_count: r.5,
            })
            .collect())
    }

    /// Tracks of one event (or all tracks), ordered by start then id.
    pub async fn tracks(&self, event_id: Option<&str>) -> StoreResult<Vec<Track>> {
        let rows: Vec<TrackRow> = on_pool!(self, |pool, DB| {
            let mut q = QueryBuilder::<DB>::new(format!("SELECT {TRACK_COLUMNS} FROM tracks"));
            if let Some(e) = event_id {
                q.push(" WHERE event_id = ").push_bind(e.to_string());
            }
            q.push(" ORDER BY start_ms, id");
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|r| Track {
                id: r.id,
                event_id: r.event_id,
                camera_id: r.camera_id,
                start: from_ms(r.start_ms),
                end: from_ms(r.end_ms),
                scientific_name: r.scientific_name,
                individual_id: r.individual_id,
                heading_deg: r.heading_deg,
                speed: r.speed,
                frames: r.frames,
            })
            .collect())
    }

    /// Past imports, oldest first.
    pub async fn imports(&self) -> StoreResult<Vec<ImportRecord>> {
        let rows: Vec<(String, String, String, String, i64, String)> = on_pool!(self, |pool, DB| sqlx::query_as(
            "SELECT id, kind, source, sha256, imported_ms, summary FROM imports ORDER BY imported_ms, id"
        )
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|r| ImportRecord {
                id: r.0,
                kind: r.1,
                source: r.2,
                sha256: r.3,
                imported: from_ms(r.4),
                summary: r.5,
            })
            .collect())
    }

    /// Names of the indexes on our tables (for checks and `trailmesh status`).
    pub async fn indexes(&self) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, |pool, DB| {
            match self.backend() {
                Backend::Sqlite => sqlx::query_as(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
                )
                .fetch_all(pool)
                .await?,
                Backend::Postgres => sqlx::query_as(
                    "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' ORDER BY indexname",
                )
                .fetch_all(pool)
                .await?,
            }
        });
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The query plan the database would use for a per-camera time-range detection query
    /// (used by tests to prove the index is there and used).
    pub async fn explain_detection_range_query(&self) -> StoreResult<String> {
        on_pool!(self, |pool, DB| {
            match self.backend() {
                Backend::Sqlite => {
                    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
                        "EXPLAIN QUERY PLAN SELECT id FROM detections WHERE camera_id = 'x' AND ts_ms >= 0 AND ts_ms < 1 ORDER BY ts_ms",
                    )
                    .fetch_all(pool)
                    .await?;
                    Ok(rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n"))
                }
                Backend::Postgres => {
                    let rows: Vec<(String,)> = sqlx::query_as(
                        "EXPLAIN SELECT id FROM detections WHERE camera_id = 'x' AND ts_ms >= 0 AND ts_ms < 1 ORDER BY ts_ms",
                    )
                    .fetch_all(pool)
                    .await?;
                    Ok(rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n"))
                }
            }
        })
    }
}

/// `rows_affected` for both backends' query results.
trait RowsAffected {
    fn rows(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

const SPECIES_INSERT: &str = "INSERT INTO species (scientific_name, common_name, taxon_rank) ";
const CAMERA_INSERT: &str = "INSERT INTO cameras (id, name, latitude, longitude, site, habitat, feature_type, model, height_m, heading_deg, detection_distance_m, status, battery_pct, notes) ";
const CAMERA_COLUMNS: &str = "id, name, latitude, longitude, site, habitat, feature_type, model, height_m, heading_deg, detection_distance_m, status, battery_pct, notes";
const DEPLOYMENT_INSERT: &str = "INSERT INTO deployments (id, camera_id, location_id, location_name, latitude, longitude, start_ms, end_ms, utc_offset_min, feature_type, habitat, camera_height, camera_tilt, camera_heading, detection_distance, bait_use, timestamp_issues, setup_by, tags, comments) ";
const DEPLOYMENT_COLUMNS: &str = "id, camera_id, location_id, location_name, latitude, longitude, start_ms, end_ms, utc_offset_min, feature_type, habitat, camera_height, camera_tilt, camera_heading, detection_distance, bait_use, timestamp_issues, setup_by, tags, comments";
const MALFUNCTION_INSERT: &str = "INSERT INTO malfunctions (id, deployment_id, start_ms, end_ms, reason) ";
const MEDIA_INSERT: &str = "INSERT INTO media (id, deployment_id, camera_id, ts_ms, timestamp_source, file_path, file_name, media_type, capture_method, file_public, favorite, frame_rate, comments) ";
const MEDIA_COLUMNS: &str = "id, deployment_id, camera_id, ts_ms, timestamp_source, file_path, file_name, media_type, capture_method, file_public, favorite, frame_rate, comments";
const EVENT_INSERT: &str = "INSERT INTO events (id, deployment_id, camera_id, start_ms, end_ms, observation_type, scientific_name, count, life_stage, sex, behavior, individual_id, classification_method, classified_by, classification_probability, best_media_id, description) ";
const EVENT_COLUMNS: &str = "id, deployment_id, camera_id, start_ms, end_ms, observation_type, scientific_name, count, life_stage, sex, behavior, individual_id, classification_method, classified_by, classification_probability, best_media_id, description";
/// [`EVENT_COLUMNS`] as SQLite JSON values (the REAL as exact text).
const EVENT_JSON_COLUMNS: &str = "id, deployment_id, camera_id, start_ms, end_ms, observation_type, scientific_name, count, life_stage, sex, behavior, individual_id, classification_method, classified_by, \
     iif(classification_probability IS NULL, NULL, printf('%!.17g', classification_probability)), best_media_id, description";
const TRACK_INSERT: &str = "INSERT INTO tracks (id, event_id, camera_id, start_ms, end_ms, scientific_name, individual_id, heading_deg, speed, frames) ";
const TRACK_COLUMNS: &str =
    "id, event_id, camera_id, start_ms, end_ms, scientific_name, individual_id, heading_deg, speed, frames";
const DETECTION_INSERT: &str = concat!("INSERT INTO detections (", detection_columns!(), ") ");
const DETECTION_COLUMNS: &str = detection_columns!();

/// The detection columns as SQLite JSON values; REAL columns go as 17-digit text so that
/// every `f64` comes back bit for bit (JSON's own float rendering rounds to 15 digits).
const DETECTION_JSON_COLUMNS: &str = "id, media_id, camera_id, deployment_id, ts_ms, frame_number, observation_type, scientific_name, count, life_stage, sex, behavior, individual_id, \
     iif(confidence IS NULL, NULL, printf('%!.17g', confidence)), iif(bbox_x IS NULL, NULL, printf('%!.17g', bbox_x)), \
     iif(bbox_y IS NULL, NULL, printf('%!.17g', bbox_y)), iif(bbox_w IS NULL, NULL, printf('%!.17g', bbox_w)), \
     iif(bbox_h IS NULL, NULL, printf('%!.17g', bbox_h)), classification_method, classified_by, \
     iif(classification_probability IS NULL, NULL, printf('%!.17g', classification_probability)), event_id, track_id";

/// One detection as SQLite's `json_array` writes it (see [`DETECTION_JSON_COLUMNS`]).
#[derive(serde::Deserialize)]
struct DetectionJsonRow(
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn packed_real(column: &str, v: Option<String>) -> StoreResult<Option<f64>> {
    v.map(|s| {
        s.parse::<f64>()
            .map_err(|_| StoreError::Corrupt(format!("detections.{column}: '{s}' is not a number")))
    })
    .transpose()
}

impl DetectionJsonRow {
    fn into_row(self) -> StoreResult<DetectionRow> {
        Ok(DetectionRow {
            id: self.0,
            media_id: self.1,
            camera_id: self.2,
            deployment_id: self.3,
            ts_ms: self.4,
            frame_number: self.5,
            observation_type: self.6,
            scientific_name: self.7,
            count: self.8,
            life_stage: self.9,
            sex: self.10,
            behavior: self.11,
            individual_id: self.12,
            confidence: packed_real("confidence", self.13)?,
            bbox_x: packed_real("bbox_x", self.14)?,
            bbox_y: packed_real("bbox_y", self.15)?,
            bbox_w: packed_real("bbox_w", self.16)?,
            bbox_h: packed_real("bbox_h", self.17)?,
            classification_method: self.18,
            classified_by: self.19,
            classification_probability: packed_real("classification_probability", self.20)?,
            event_id: self.21,
            track_id: self.22,
        })
    }
}

fn parse_opt<T: FromStr<Err = String>>(table: &str, column: &str, v: Option<String>) -> StoreResult<Option<T>> {
    v.map(|s| {
        s.parse::<T>()
            .map_err(|e| StoreError::Corrupt(format!("{table}.{column}: {e}")))
    })
    .transpose()
}

fn parse_req<T: FromStr<Err = String>>(table: &str, column: &str, v: String) -> StoreResult<T> {
    v.parse::<T>()
        .map_err(|e| StoreError::Corrupt(format!("{table}.{column}: {e}")))
}

#[derive(FromRow)]
struct SpeciesRow {
    scientific_name: String,
    common_name: Option<String>,
    taxon_rank: Option<String>,
}

#[derive(FromRow)]
struct CameraRow {
    id: String,
    name: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    site: Option<String>,
    habitat: Option<String>,
    feature_type: Option<String>,
    model: Option<String>,
    height_m: Option<f64>,
    heading_deg: Option<f64>,
    detection_distance_m: Option<f64>,
    status: String,
    battery_pct: Option<f64>,
    notes: Option<String>,
}

impl CameraRow {
    fn into_model(self) -> StoreResult<Camera> {
        Ok(Camera {
            feature_type: parse_opt("cameras", "feature_type", self.feature_type)?,
            status: parse_req("cameras", "status", self.status)?,
            id: self.id,
            name: self.name,
            latitude: self.latitude,
            longitude: self.longitude,
            site: self.site,
            habitat: self.habitat,
            model: self.model,
            height_m: self.height_m,
            heading_deg: self.heading_deg,
            detection_distance_m: self.detection_distance_m,
            battery_pct: self.battery_pct,
            notes: self.notes,
        })
    }
}

#[derive(FromRow)]
struct DeploymentRow {
    id: String,
    camera_id: String,
    location_id: Option<String>,
    location_name: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    start_ms: i64,
    end_ms: i64,
    utc_offset_min: i64,
    feature_type: Option<String>,
    habitat: Option<String>,
    camera_height: Option<f64>,
    camera_tilt: Option<f64>,
    camera_heading: Option<f64>,
    detection_distance: Option<f64>,
    bait_use: Option<bool>,
    timestamp_issues: Option<bool>,
    setup_by: Option<String>,
    tags: Option<String>,
    comments: Option<String>,
}

impl DeploymentRow {
    fn into_model(self) -> StoreResult<Deployment> {
        Ok(Deployment {
            feature_type: parse_opt("deployments", "feature_type", self.feature_type)?,
            utc_offset_min: i32::try_from(self.utc_offset_min)
                .map_err(|_| StoreError::Corrupt(format!("deployments.utc_offset_min: {}", self.utc_offset_min)))?,
            id: self.id,
            camera_id: self.camera_id,
            location_id: self.location_id,
            location_name: self.location_name,
            latitude: self.latitude,
            longitude: self.longitude,
            start: from_ms(self.start_ms),
            end: from_ms(self.end_ms),
            habitat: self.habitat,
            camera_height: self.camera_height,
            camera_tilt: self.camera_tilt,
            camera_heading: self.camera_heading,
            detection_distance: self.detection_distance,
            bait_use: self.bait_use,
            timestamp_issues: self.timestamp_issues,
            setup_by: self.setup_by,
            tags: self.tags,
            comments: self.comments,
        })
    }
}

#[derive(FromRow)]
struct MalfunctionRow {
    id: String,
    deployment_id: String,
    start_ms: i64,
    end_ms: i64,
    reason: String,
}

#[derive(FromRow)]
struct MediaRow {
    id: String,
    deployment_id: String,
    camera_id: String,
    ts_ms: i64,
    timestamp_source: String,
    file_path: String,
    file_name: Option<String>,
    media_type: String,
    capture_method: Option<String>,
    file_public: bool,
    favorite: Option<bool>,
    frame_rate: Option<f64>,
    comments: Option<String>,
}

impl MediaRow {
    fn into_model(self) -> StoreResult<Media> {
        Ok(Media {
            timestamp_source: parse_req("media", "timestamp_source", self.timestamp_source)?,
            capture_method: parse_opt("media", "capture_method", self.capture_method)?,
            id: self.id,
            deployment_id: self.deployment_id,
            camera_id: self.camera_id,
            timestamp: from_ms(self.ts_ms),
            file_path: self.file_path,
            file_name: self.file_name,
            media_type: self.media_type,
            file_public: self.file_public,
            favorite: self.favorite,
            frame_rate: self.frame_rate,
            comments: self.comments,
        })
    }
}

/// Also decodes from a packed JSON array, in column order.
#[derive(FromRow, serde::Deserialize)]
struct EventRow {
    id: String,
    deployment_id: String,
    camera_id: String,
    start_ms: i64,
    end_ms: i64,
    observation_type: String,
    scientific_name: Option<String>,
    count: Option<i64>,
    life_stage: Option<String>,
    sex: Option<String>,
    behavior: Option<String>,
    individual_id: Option<String>,
    classification_method: Option<String>,
    classified_by: Option<String>,
    #[serde(deserialize_with = "packed_real_de")]
    classification_probability: Option<f64>,
    best_media_id: Option<String>,
    description: Option<String>,
}

impl EventRow {
    fn into_model(self) -> StoreResult<Event> {
        Ok(Event {
            observation_type: parse_req("events", "observation_type", self.observation_type)?,
            life_stage: parse_opt("events", "life_stage", self.life_stage)?,
            sex: parse_opt("events", "sex", self.sex)?,
            classification_method: parse_opt("events", "classification_method", self.classification_method)?,
            id: self.id,
            deployment_id: self.deployment_id,
            camera_id: self.camera_id,
            start: from_ms(self.start_ms),
            end: from_ms(self.end_ms),
            scientific_name: self.scientific_name,
            count: self.count,
            behavior: self.behavior,
            individual_id: self.individual_id,
            classified_by: self.classified_by,
            classification_probability: self.classification_probability,
            best_media_id: self.best_media_id,
            description: self.description,
        })
    }
}

#[derive(FromRow, serde::Deserialize)]
struct EventBriefRow {
    id: String,
    camera_id: String,
    deployment_id: String,
    scientific_name: Option<String>,
    start_ms: i64,
    end_ms: i64,
    count: Option<i64>,
    individual_id: Option<String>,
}

#[derive(FromRow)]
struct TrackRow {
    id: String,
    event_id: String,
    camera_id: String,
    start_ms: i64,
    end_ms: i64,
    scientific_name: Option<String>,
    individual_id: Option<String>,
    heading_deg: Option<f64>,
    speed: Option<f64>,
    frames: i64,
}

#[derive(FromRow)]
struct DetectionRow {
    id: String,
    media_id: String,
    camera_id: String,
    deployment_id: String,
    ts_ms: i64,
    frame_number: Option<i64>,
    observation_type: String,
    scientific_name: Option<String>,
    count: Option<i64>,
    life_stage: Option<String>,
    sex: Option<String>,
    behavior: Option<String>,
    individual_id: Option<String>,
    confidence: Option<f64>,
    bbox_x: Option<f64>,
    bbox_y: Option<f64>,
    bbox_w: Option<f64>,
    bbox_h: Option<f64>,
    classification_method: Option<String>,
    classified_by: Option<String>,
    classification_probability: Option<f64>,
    event_id: Option<String>,
    track_id: Option<String>,
}

impl DetectionRow {
    fn into_model(self) -> StoreResult<Detection> {
        let bbox = match (self.bbox_x, self.bbox_y, self.bbox_w, self.bbox_h) {
            (Some(x), Some(y), Some(width), Some(height)) => Some(BBox { x, y, width, height }),
            _ => None,
        };
        Ok(Detection {
            observation_type: parse_req("detections", "observation_type", self.observation_type)?,
            life_stage: parse_opt("detections", "life_stage", self.life_stage)?,
            sex: parse_opt("detections", "sex", self.sex)?,
            classification_method: parse_opt("detections", "classification_method", self.classification_method)?,
            id: self.id,
            media_id: self.media_id,
            camera_id: self.camera_id,
            deployment_id: self.deployment_id,
            timestamp: from_ms(self.ts_ms),
            frame_number: self.frame_number,
            scientific_name: self.scientific_name,
            count: self.count,
            behavior: self.behavior,
            individual_id: self.individual_id,
            confidence: self.confidence,
            bbox,
            classified_by: self.classified_by,
            classification_probability: self.classification_probability,
            event_id: self.event_id,
            track_id: self.track_id,
        })
    }
}
