//! [`DataVersion`]: a cheap fingerprint of everything committed to the database, by any
//! connection of any process, so that caches of small, often-read tables can be checked
//! before each use instead of being re-read.
//!
//! - SQLite (WAL mode): the wal-index header, the 48 bytes at the start of the `-shm` file
//!   that every connection reads to learn what is committed ("WAL-index format",
//!   <https://www.sqlite.org/walformat.html>, section 2.1). A commit always rewrites it (the
//!   frame count `mxFrame` grows, or a restarted log gets new salts), and it is kept twice,
//!   written second copy first, so a read whose two copies agree is not torn. Reading it is
//!   one `pread` on a file kept open, about a microsecond, with no lock and no trip to
//!   sqlx's worker thread. The store holds one idle connection open for its whole life so
//!   that SQLite never deletes and recreates the `-shm` file under us (it does when the last
//!   connection closes). If the file cannot be read, `PRAGMA data_version` on that idle connection
//!   answers instead (it changes whenever another connection commits, and that connection
//!   never writes).
//! - PostgreSQL: `pg_current_snapshot()`. Two equal snapshots see exactly the same committed
//!   transactions, hence the same data; any write transaction anywhere in the cluster changes
//!   it, which costs a needless reload at worst.
//! - An in-memory SQLite database has no file to watch and one connection: every version is
//!   new, so nothing is ever served from a cache.
//!
//! Read the version *before* the data it guards: a write that lands in between then costs
//! one extra reload, never a stale answer.

use sqlx::{Connection, SqliteConnection};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the database has committed, as of the call; compare two for equality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVersion(Repr);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    /// The SQLite wal-index header.
    WalIndex([u8; 48]),
    /// SQLite `PRAGMA data_version` of the store's idle connection.
    Pragma(i64),
    /// A PostgreSQL snapshot (`xmin:xmax:xip,...`).
    Snapshot(String),
    /// Nothing can be known: equal to no other version.
    Unknown(u64),
}

/// Size of one copy of the wal-index header.
const HEADER: usize = 48;

static UNKNOWN: AtomicU64 = AtomicU64::new(0);

impl DataVersion {
    /// A version equal to no other (nothing can be known about the database).
    pub fn unknown() -> DataVersion {
        DataVersion(Repr::Unknown(UNKNOWN.fetch_add(1, Ordering::Relaxed)))
    }

    pub(crate) fn snapshot(text: String) -> DataVersion {
        DataVersion(Repr::Snapshot(text))
    }

    /// SQLite's count of write transactions when this version is a wal-index header: its
    /// `iChange` field (bytes 8-11, native byte order), which every commit adds one to and a
    /// checkpoint or a restarted log leaves alone.
    pub(crate) fn transactions(&self) -> Option<u32> {
        match &self.0 {
            Repr::WalIndex(header) => Some(u32::from_ne_bytes([header[8], header[9], header[10], header[11]])),
            _ => None,
        }
    }
}

/// Where an SQLite store reads its version from.
#[derive(Debug)]
pub(crate) struct SqliteWatch {
    shm: PathBuf,
    /// The `-shm` file, opened on first use and kept (the idle connection keeps it in place).
    file: std::sync::OnceLock<std::fs::File>,
    /// Held open so the `-shm` file lives as long as the store; answers `PRAGMA
    /// data_version` when the file cannot be read.
    idle: tokio::sync::Mutex<Option<SqliteConnection>>,
}

impl SqliteWatch {
    /// Watches the database at `db` through `conn`, a connection that will never write.
    pub(crate) fn new(db: &std::path::Path, conn: SqliteConnection) -> SqliteWatch {
        let mut shm = db.as_os_str().to_owned();
        shm.push("-shm");
        SqliteWatch {
            shm: PathBuf::from(shm),
            file: std::sync::OnceLock::new(),
            idle: tokio::sync::Mutex::new(Some(conn)),
        }
    }

    pub(crate) async fn version(&self) -> DataVersion {
        if let Some(header) = self.read_header() {
            return DataVersion(Repr::WalIndex(header));
        }
        let mut idle = self.idle.lock().await;
        let Some(conn) = idle.as_mut() else {
            return DataVersion::unknown();
        };
        match sqlx::query_scalar::<_, i64>("PRAGMA data_version")
            .fetch_one(conn)
            .await
        {
            Ok(v) => DataVersion(Repr::Pragma(v)),
            Err(_) => DataVersion::unknown(),
        }
    }

    /// Both copies of the wal-index header, when they agree and are initialised.
    #[cfg(unix)]
    fn read_header(&self) -> Option<[u8; HEADER]> {
        use std::os::unix::fs::FileExt;
        let file = match self.file.get() {
            Some(f) => f,
            None => {
                let opened = std::fs::File::open(&self.shm).ok()?;
                self.file.get_or_init(|| opened)
            }
        };
        let mut both = [0u8; 2 * HEADER];
        // A writer may be between its two copies: try again a few times.
        for _ in 0..4 {
            file.read_exact_at(&mut both, 0).ok()?;
            let (first, second) = both.split_at(HEADER);
            // Byte 12 is `isInit`: zero until a connection has built the index.
            if first == second && first[12] != 0 {
                return first.try_into().ok();
            }
            std::hint::spin_loop();
        }
        None
    }

    #[cfg(not(unix))]
    fn read_header(&self) -> Option<[u8; HEADER]> {
        None
    }

    pub(crate) async fn close(&self) {
        if let Some(conn) = self.idle.lock().await.take() {
            let _ = conn.close().await;
        }
    }
}
