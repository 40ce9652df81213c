//! Prometheus gauges of the connection pools (all workers' together), read at each scrape.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::IntGauge;

use super::PgPool;

pub struct PoolCollector {
    pools: Vec<PgPool>,
    size: IntGauge,
    idle: IntGauge,
    max: IntGauge,
}

impl PoolCollector {
    pub fn new(pools: Vec<PgPool>) -> prometheus::Result<PoolCollector> {
        Ok(PoolCollector {
            pools,
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
        let (mut size, mut idle, mut max) = (0, 0, 0);
        for status in self.pools.iter().map(|p| p.status()) {
            size += status.size as i64;
            idle += status.available as i64;
            max += status.max_size as i64;
        }
        self.size.set(size);
        self.idle.set(idle);
        self.max.set(max);
        [&self.size, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.collect())
            .collect()
    }
}
