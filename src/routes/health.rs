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

/// Whether the process is up. Does not touch the database.
#[utoipa::path(tag = "health", responses((status = 200, body = Status)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// Whether the service can answer data requests: the database is reachable.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = Status),
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
    Ok(HttpResponse::Ok().json(Status { status: "ready" }))
}
