//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Database;

/// Readiness answers within this, whatever the database does: a probe that hangs is a failed
/// probe.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);
use crate::error::{ApiError, Problem};

#[derive(Serialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Readiness, and where reads go.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `primary` or `replica`: the database that answers reads now.
    #[schema(example = "replica")]
    pub reads_from: &'static str,
    /// The streaming replicas of `DATABASE_REPLICA_URLS`, as last polled (none when unset).
    pub replicas: Vec<ReplicaStatus>,
}

#[derive(Serialize, ToSchema)]
pub struct ReplicaStatus {
    /// Its URL, without a password.
    pub url: String,
    /// Whether it serves reads now.
    pub serving: bool,
    pub reachable: bool,
    /// Seconds behind the primary (0 when it has replayed all it received).
    pub lag_secs: f64,
    /// The data version it has replayed.
    pub data_version: Option<i64>,
    /// Why it could not be polled, when it could not.
    pub error: Option<String>,
}

/// Whether the process is up. Does not touch the database.
#[utoipa::path(tag = "health", responses((status = 200, body = Status)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// Whether the service can answer data requests: the database that serves reads (a replica
/// or the primary) answers. Says which one does, and how far each replica lags.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(db: web::Data<Database>) -> Result<HttpResponse, ApiError> {
    let check = db.run(async |conn| {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .await
            .map_err(ApiError::unavailable)
    });
    match tokio::time::timeout(READY_WITHIN, check).await {
        Ok(answer) => answer?,
        Err(_) => {
            return Err(ApiError::unavailable(anyhow::anyhow!(
                "the database did not answer within {READY_WITHIN:?}"
            )))
        }
    };
    let route = db.read_route();
    let serving = route.target().map(|(i, _)| i);
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        reads_from: if serving.is_some() {
            "replica"
        } else {
            "primary"
        },
        replicas: route
            .states()
            .into_iter()
            .enumerate()
            .map(|(i, s)| ReplicaStatus {
                url: s.name,
                serving: serving == Some(i),
                reachable: s.reachable,
                lag_secs: s.lag_secs,
                data_version: s.version.map(|v| v.version),
                error: s.error,
            })
            .collect(),
    }))
}
