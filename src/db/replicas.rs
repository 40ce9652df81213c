//! Where reads go: one of the PostgreSQL streaming replicas of `DATABASE_REPLICA_URLS`, or the
//! primary. A monitor thread polls every replica for the data version it has replayed; its lag
//! is how long that version has been older than the primary's (which the process's listener
//! follows). An instance sticks to one healthy replica; a replica that cannot be
//! reached, or lags more than `REPLICA_MAX_LAG_SECS`, is left for the primary, and taken back
//! once it is healthy and has replayed what the primary had when it was left. While reads go to
//! a replica, answers are labelled with the version that replica holds (read from it, never
//! from the primary), so no answer carries a newer version than its rows.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::releases::{self, DataVersion};

/// How often each replica is polled: the longest a replica that fell behind keeps answering
/// reads before they move to the primary, and how soon a new version it replays labels answers.
pub const POLL: Duration = Duration::from_millis(200);
/// How long an unreachable replica is left before it is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// No replica chosen: reads go to the primary.
const PRIMARY: usize = usize::MAX;

/// What was last seen of one replica.
#[derive(Debug, Clone, Default)]
pub struct ReplicaState {
    /// The replica's URL without its password.
    pub name: String,
    pub reachable: bool,
    /// How long its data have been older than the primary's, in seconds: 0 while it holds the
    /// primary's data version (or the primary cannot be read).
    pub lag_secs: f64,
    pub version: Option<DataVersion>,
    pub error: Option<String>,
}

/// When the monitor first saw each recent data version of the primary: a replica's lag is how
/// long ago the primary first held a version newer than the replica's.
#[derive(Default)]
struct PrimaryHistory(std::collections::VecDeque<(i64, Instant)>);

impl PrimaryHistory {
    const KEPT: usize = 256;

    fn saw(&mut self, primary: Option<DataVersion>) {
        let Some(primary) = primary else { return };
        if self.0.back().is_none_or(|(v, _)| primary.version > *v) {
            self.0.push_back((primary.version, Instant::now()));
            if self.0.len() > Self::KEPT {
                self.0.pop_front();
            }
        }
    }

    /// Seconds since the primary first held a version newer than `replica` (0 when none is
    /// known: the replica holds all the primary is known to have).
    fn lag(&self, replica: DataVersion, primary: Option<DataVersion>) -> f64 {
        if primary.is_none_or(|p| replica.version >= p.version) {
            return 0.0;
        }
        self.0
            .iter()
            .find(|(v, _)| *v > replica.version)
            .map_or(0.0, |(_, at)| at.elapsed().as_secs_f64())
    }
}

/// The read route of a process, shared by its workers.
pub struct ReadRoute {
    max_lag: Duration,
    /// The index of the replica reads go to, or [`PRIMARY`].
    chosen: AtomicUsize,
    states: RwLock<Vec<ReplicaState>>,
    /// Shared with every pool of the process (`pool::build`): bumped when a replica goes away
    /// or comes back, so that pooled connections are pinged before their next use instead of
    /// failing a request on a server that restarted.
    losses: Arc<AtomicU64>,
    /// The newest data version a write of this process committed: a replica that has not
    /// replayed it serves none of this process's reads until it has.
    written: AtomicI64,
}

impl ReadRoute {
    /// A route with no replica: every read goes to the primary.
    pub fn primary_only() -> Arc<ReadRoute> {
        Arc::new(ReadRoute {
            max_lag: Duration::ZERO,
            chosen: AtomicUsize::new(PRIMARY),
            states: RwLock::new(Vec::new()),
            losses: Arc::default(),
            written: AtomicI64::new(i64::MIN),
        })
    }

    /// Starts polling `replicas`; reads go to the primary until one is found healthy.
    /// `primary_version` is what the primary holds as far as this process knows (its listener).
    pub fn spawn(
        replicas: &[String],
        max_lag: Duration,
        primary_version: impl Fn() -> Option<DataVersion> + Send + 'static,
    ) -> Arc<ReadRoute> {
        let route = Arc::new(ReadRoute {
            max_lag,
            chosen: AtomicUsize::new(PRIMARY),
            states: RwLock::new(
                replicas
                    .iter()
                    .map(|url| ReplicaState {
                        name: super::redact(url),
                        ..ReplicaState::default()
                    })
                    .collect(),
            ),
            losses: Arc::default(),
            written: AtomicI64::new(i64::MIN),
        });
        if !replicas.is_empty() {
            let weak = Arc::downgrade(&route);
            let urls = replicas.to_vec();
            let spawned = std::thread::Builder::new()
                .name("replica-monitor".to_owned())
                .spawn(move || monitor(&urls, &weak, &primary_version));
            if let Err(e) = spawned {
                log::warn!("replica monitor not started ({e}); reads go to the primary");
            }
        }
        route
    }

    /// The count of lost servers every pool of the process shares.
    pub fn losses(&self) -> Arc<AtomicU64> {
        self.losses.clone()
    }

    /// The replica reads go to now, if any.
    pub fn chosen(&self) -> Option<usize> {
        match self.chosen.load(Ordering::Acquire) {
            PRIMARY => None,
            i => Some(i),
        }
    }

    /// The data version of the replica reads go to, as last polled; `None` when reads go to
    /// the primary.
    pub fn version(&self) -> Option<DataVersion> {
        self.target().map(|(_, v)| v)
    }

    /// The replica reads go to and its data version, read together; none while it has not
    /// replayed this process's own latest write.
    pub fn target(&self) -> Option<(usize, DataVersion)> {
        let i = self.chosen()?;
        let version = self.version_of(i)?;
        (version.version >= self.written.load(Ordering::Acquire)).then_some((i, version))
    }

    /// A write of this process committed `version`.
    pub fn wrote(&self, version: i64) {
        self.written.fetch_max(version, Ordering::AcqRel);
    }

    /// The data version of replica `i`, as last polled.
    pub fn version_of(&self, i: usize) -> Option<DataVersion> {
        self.states.read().ok()?.get(i)?.version
    }

    /// A request could not reach replica `i`: reads go to the primary at once, until the
    /// monitor finds it healthy again.
    pub fn failed(&self, i: usize) {
        if self
            .chosen
            .compare_exchange(i, PRIMARY, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            log::warn!(
                "replica {} failed a request; reads go to the primary",
                self.name(i)
            );
            self.losses.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut states) = self.states.write() {
                if let Some(state) = states.get_mut(i) {
                    state.reachable = false;
                }
            }
        }
    }

    fn name(&self, i: usize) -> String {
        self.states
            .read()
            .ok()
            .and_then(|s| s.get(i).map(|s| s.name.clone()))
            .unwrap_or_default()
    }

    /// What was last seen of every replica.
    pub fn states(&self) -> Vec<ReplicaState> {
        self.states.read().map(|s| s.clone()).unwrap_or_default()
    }

    fn healthy(&self, state: &ReplicaState) -> bool {
        state.reachable && state.lag_secs <= self.max_lag.as_secs_f64() && state.version.is_some()
    }

    /// Keeps the replica in use while it is healthy; else moves reads to the first healthy one
    /// that has replayed at least `primary` (when known), or to the primary.
    fn choose(&self, primary: Option<DataVersion>) {
        let Ok(states) = self.states.read() else {
            return;
        };
        let current = self.chosen();
        if let Some(i) = current {
            if states.get(i).is_some_and(|s| self.healthy(s)) {
                return;
            }
        }
        // Caught up: it holds what the primary held when last read.
        let caught_up = |s: &ReplicaState| match (s.version, primary) {
            (Some(replica), Some(primary)) => replica.version >= primary.version,
            _ => true,
        };
        let next = states
            .iter()
            .position(|s| self.healthy(s) && caught_up(s))
            .unwrap_or(PRIMARY);
        drop(states);
        if self.chosen.swap(next, Ordering::AcqRel) != next {
            match next {
                PRIMARY => log::warn!(
                    "no healthy replica (lag at most {:?}); reads go to the primary: {}",
                    self.max_lag,
                    states_line(&self.states())
                ),
                i => log::info!("reads go to replica {}", self.name(i)),
            }
        }
    }
}

/// The replicas as last seen, for a log line.
fn states_line(states: &[ReplicaState]) -> String {
    states
        .iter()
        .map(|s| {
            format!(
                "{} (reachable: {}, lag {:.1} s, version {:?})",
                s.name,
                s.reachable,
                s.lag_secs,
                s.version.map(|v| v.version)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(QueryableByName)]
struct Seen {
    #[diesel(sql_type = Bool)]
    recovering: bool,
}

/// Polls every replica until the route is dropped.
fn monitor(
    urls: &[String],
    route: &Weak<ReadRoute>,
    primary_version: &dyn Fn() -> Option<DataVersion>,
) {
    let mut conns: Vec<Option<PgConnection>> = urls.iter().map(|_| None).collect();
    let mut retry_at: Vec<Instant> = urls.iter().map(|_| Instant::now()).collect();
    let mut history = PrimaryHistory::default();
    while let Some(route) = route.upgrade() {
        let primary = primary_version();
        history.saw(primary);
        for (i, url) in urls.iter().enumerate() {
            if conns[i].is_none() && Instant::now() >= retry_at[i] {
                match super::connect(&monitor_url(url)) {
                    Ok(conn) => conns[i] = Some(conn),
                    Err(e) => {
                        retry_at[i] = Instant::now() + RETRY;
                        record(&route, i, Err(e.to_string()));
                    }
                }
            }
            if let Some(conn) = conns[i].as_mut() {
                match poll(conn) {
                    Ok(version) => record(&route, i, Ok((version, history.lag(version, primary)))),
                    Err(e) => {
                        conns[i] = None;
                        retry_at[i] = Instant::now() + RETRY;
                        record(&route, i, Err(e.to_string()));
                    }
                }
            }
        }
        route.choose(primary);
        drop(route);
        std::thread::sleep(POLL);
    }
}

/// The data version the replica has replayed. Its lag is measured on that, not on WAL
/// positions: what matters to a reader is how long its answers have been older than the
/// primary's, and a replay-timestamp lag grows on an idle primary that sends nothing.
fn poll(conn: &mut PgConnection) -> QueryResult<DataVersion> {
    let seen: Seen =
        diesel::sql_query("SELECT pg_is_in_recovery() AS recovering").get_result(conn)?;
    if !seen.recovering {
        log::warn!("a DATABASE_REPLICA_URLS entry is not a standby; it is read as one anyway");
    }
    releases::data_version_sync(conn)
}

/// Records a poll of replica `i`: its version and its lag in seconds, or why it failed.
fn record(route: &ReadRoute, i: usize, seen: Result<(DataVersion, f64), String>) {
    if let Ok(mut states) = route.states.write() {
        if let Some(state) = states.get_mut(i) {
            if state.reachable != seen.is_ok() {
                // Gone or back: connections pooled before are pinged before their next use.
                route.losses.fetch_add(1, Ordering::Relaxed);
                match &seen {
                    Ok(_) => log::info!("replica {} answers", state.name),
                    Err(e) => log::warn!("replica {} cannot be polled: {e}", state.name),
                }
            }
            match seen {
                Ok((version, lag)) => {
                    state.lag_secs = lag;
                    state.reachable = true;
                    state.version = Some(version);
                    state.error = None;
                }
                Err(e) => {
                    state.reachable = false;
                    state.error = Some(e);
                }
            }
        }
    }
    // The replica in use turned unhealthy: reads go to the primary at once. Another replica is
    // chosen at the end of the round, only if it has caught up.
    if route.chosen() == Some(i) {
        let down = route
            .states
            .read()
            .ok()
            .and_then(|s| s.get(i).map(|s| !route.healthy(s)))
            .unwrap_or(true);
        if down
            && route
                .chosen
                .compare_exchange(i, PRIMARY, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            log::warn!(
                "replica left (lag at most {:?}); reads go to the primary: {}",
                route.max_lag,
                states_line(&route.states())
            );
        }
    }
}

/// A monitor must not hang on a replica that drops packets: connecting gives up after 2 s, a
/// poll after 1 s, and an established connection whose host vanished is dropped within about
/// 5 s (TCP keepalives and user timeout), unless the URL says otherwise.
fn monitor_url(url: &str) -> String {
    let mut url = url.to_owned();
    for (name, value) in [
        ("connect_timeout", "2"),
        ("keepalives_idle", "2"),
        ("keepalives_interval", "1"),
        ("keepalives_count", "2"),
        ("tcp_user_timeout", "5000"),
        ("options", "-c%20statement_timeout%3D1000"),
    ] {
        if !url.contains(&format!("{name}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{name}={value}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(n: i64) -> DataVersion {
        DataVersion {
            version: n,
            changed_at: chrono::Utc::now(),
        }
    }

    fn route(max_lag: Duration) -> ReadRoute {
        ReadRoute {
            max_lag,
            chosen: AtomicUsize::new(PRIMARY),
            states: RwLock::new(vec![ReplicaState::default()]),
            losses: Arc::default(),
            written: AtomicI64::new(i64::MIN),
        }
    }

    #[test]
    fn lag_is_how_long_ago_the_primary_first_held_a_newer_version() {
        let mut history = PrimaryHistory::default();
        history.saw(Some(version(5)));
        history.saw(Some(version(6)));
        assert_eq!(history.lag(version(6), Some(version(6))), 0.0);
        assert_eq!(history.lag(version(9), None), 0.0, "primary unknown");
        std::thread::sleep(Duration::from_millis(20));
        assert!(history.lag(version(5), Some(version(6))) >= 0.02);
        history.saw(Some(version(7)));
        // Still timed from version 6, the first it lacks, not reset by the newer one.
        assert!(history.lag(version(5), Some(version(7))) >= 0.02);
        assert!(history.lag(version(6), Some(version(7))) < 0.02);
    }

    #[test]
    fn a_caught_up_replica_serves_and_labels_answers_with_its_own_version() {
        let route = route(Duration::from_secs(10));
        assert_eq!(route.chosen(), None);
        record(&route, 0, Ok((version(5), 0.0)));
        route.choose(Some(version(5)));
        assert_eq!(route.chosen(), Some(0));
        // Behind, but not for long: it keeps serving, labelled with what it holds.
        record(&route, 0, Ok((version(5), 1.0)));
        route.choose(Some(version(6)));
        assert_eq!(route.chosen(), Some(0));
        assert_eq!(route.version().map(|v| v.version), Some(5));
        // This process wrote version 6: its reads go to the primary until the replica has it.
        route.wrote(6);
        assert_eq!(route.target(), None);
        record(&route, 0, Ok((version(6), 0.0)));
        assert_eq!(route.target().map(|(i, v)| (i, v.version)), Some((0, 6)));
    }

    #[test]
    fn a_replica_behind_too_long_or_gone_is_left_and_taken_back_once_caught_up() {
        let route = route(Duration::from_secs(2));
        record(&route, 0, Ok((version(5), 0.0)));
        route.choose(Some(version(5)));
        assert_eq!(route.chosen(), Some(0));
        record(&route, 0, Ok((version(5), 2.5)));
        assert_eq!(route.chosen(), None, "behind longer than the limit");
        assert_eq!(
            route.version(),
            None,
            "answers are labelled by the primary then"
        );
        record(&route, 0, Ok((version(5), 0.5)));
        route.choose(Some(version(6)));
        assert_eq!(route.chosen(), None, "not taken back while behind");
        record(&route, 0, Ok((version(6), 0.0)));
        route.choose(Some(version(6)));
        assert_eq!(route.chosen(), Some(0), "taken back once caught up");
        let before = route.losses.load(Ordering::Relaxed);
        record(&route, 0, Err("connection refused".to_owned()));
        assert_eq!(route.chosen(), None, "unreachable");
        assert!(
            route.losses.load(Ordering::Relaxed) > before,
            "pools ping before reuse"
        );
        record(&route, 0, Ok((version(6), 0.0)));
        route.choose(Some(version(6)));
        route.failed(0);
        assert_eq!(route.chosen(), None, "a failed checkout leaves it at once");
    }
}
