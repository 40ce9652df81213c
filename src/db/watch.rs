//! The data version, kept in memory by a listener: a thread that LISTENs for the notification
//! the version trigger sends at commit, re-reads the version when one arrives (and every second
//! in any case), and forgets it whenever its connection fails. While it knows the version,
//! conditional GETs are answered without a database round trip; while it does not, callers
//! read the version from the database as before.

use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use super::releases::{self, DataVersion};

const CHANNEL: &str = "township_stats_data_version";
/// How often the listener checks for notifications: the most a change can take to reach
/// conditional GETs after it commits.
pub const POLL: Duration = Duration::from_millis(10);
/// How often the version is re-read even without a notification.
const REFRESH: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct VersionWatch {
    current: RwLock<Option<DataVersion>>,
}

impl VersionWatch {
    /// The version, when the listener is connected and has read it.
    pub fn get(&self) -> Option<DataVersion> {
        self.current.read().ok().and_then(|v| *v)
    }

    /// Versions only grow: a listener that has not seen a write's notification yet never
    /// takes back what [`VersionWatch::advance`] said.
    fn set(&self, version: Option<DataVersion>) {
        if let Ok(mut current) = self.current.write() {
            *current = match (*current, version) {
                (Some(known), Some(read)) if known.version > read.version => Some(known),
                _ => version,
            };
        }
    }

    /// A write of this instance committed `version`: answers label themselves with it at once,
    /// before the notification comes round (a publisher reads what it wrote). Without a
    /// listener, versions are read per request and nothing is kept.
    pub fn advance(&self, version: DataVersion) {
        if self.get().is_some() {
            self.set(Some(version));
        }
    }

    /// Starts the listener thread; it ends when the returned watch is dropped.
    pub fn spawn(database_url: String) -> Arc<VersionWatch> {
        let watch = Arc::new(VersionWatch::default());
        let weak = Arc::downgrade(&watch);
        let spawned = std::thread::Builder::new()
            .name("data-version".to_owned())
            .spawn(move || listen(&database_url, &weak));
        if let Err(e) = spawned {
            log::warn!("data version listener not started ({e}); versions are read per request");
        }
        watch
    }
}

fn listen(database_url: &str, watch: &Weak<VersionWatch>) {
    while let Some(alive) = watch.upgrade() {
        drop(alive);
        let result = follow(database_url, watch);
        if let Some(watch) = watch.upgrade() {
            watch.set(None);
        }
        if let Err(e) = result {
            log::debug!("data version listener: {e}; reconnecting");
        }
        std::thread::sleep(REFRESH);
    }
}

/// Follows the version on one connection until it fails or the watch is gone.
fn follow(database_url: &str, watch: &Weak<VersionWatch>) -> QueryResult<()> {
    let mut conn = PgConnection::establish(database_url)
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    let mut read_at = Instant::now();
    let mut version = releases::data_version_sync(&mut conn)?;
    loop {
        match watch.upgrade() {
            Some(watch) => watch.set(Some(version)),
            None => return Ok(()),
        }
        std::thread::sleep(POLL);
        let mut notified = false;
        for notification in conn.notifications_iter() {
            notification?;
            notified = true;
        }
        if notified || read_at.elapsed() >= REFRESH {
            version = releases::data_version_sync(&mut conn)?;
            read_at = Instant::now();
        }
    }
}
