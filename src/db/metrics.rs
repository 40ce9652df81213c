//! Prometheus gauges of the connection pool, read from the pool at each scrape.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::IntGauge;

use super::PgPool;

pub struct PoolCollector {
    pool: PgPool,
    size: IntGauge,
    idle: IntGauge,
    max: IntGauge,
}

impl PoolCollector {
    pub fn new(pool: PgPool) -> prometheus::Result<PoolCollector> {
        Ok(PoolCollector {
            pool,
            size: IntGauge::new(
                "township_stats_db_pool_connections",
                "Open database connections",
            )?,
            idle: IntGauge::new(
                "township_stats_db_pool_idle",
                "Open database connections not in use",
            )?,
            max: IntGauge::new(
                "township_stats_db_pool_max",
                "Most database connections the pool opens",
            )?,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        [&self.size, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let state = self.pool.state();
        self.size.set(i64::from(state.connections));
        self.idle.set(i64::from(state.idle_connections));
        self.max.set(i64::from(self.pool.max_size()));
        [&self.size, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.collect())
            .collect()
    }
}
